"""Measurements, each run in its own process so that it can be timed out and its peak memory
is its own: `python -m bench.steps STEP FILE [ARG]`. Every measurement is one JSON object on
a line of standard output, printed as soon as it is known (a step killed at its time limit
keeps what it had measured)."""

from __future__ import annotations

import hashlib
import inspect
import json
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
PYSHACL = "pyshacl"


def emit(**fields: Any) -> None:
    print(json.dumps(fields), flush=True)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def timed(call: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    value = call()
    return time.perf_counter() - start, value


def _project():
    from stkg.project import Project

    return Project(REPO)


def _stkg_store(path: Path):
    from stkg.project import external_source

    project = _project()
    seconds, store = timed(project.open_store)
    emit(step="project-load", seconds=seconds)
    seconds, _ = timed(lambda: store.load([external_source(path)]))
    emit(step="load", engine="stkg", seconds=seconds, triples=len(store))
    return project, store


MAX_ROWS = 10_000  # the endpoint's row cap (STKG_MAX_ROWS): the unbound variant is cut there
UNBOUND_RUNS = 3  # the whole-portfolio variant of a per-system query is slow: fewer runs


def per_system(query: Any) -> bool:
    """A query with a `system` parameter answers for one system, as the explorer, the
    query pages and the HTTP benchmark use it."""
    return any(p.name == "system" for p in query.params)


def query_bindings(query: Any, system: str) -> dict[str, str]:
    """Default parameters; a generated system for the `system` parameter (bound even when
    optional: that is how the per-system queries are used) and any other required one."""
    return {
        p.name: system
        for p in query.params
        if p.name == "system" or (p.required and p.default is None)
    }


def sample_systems(store: Any, first: str, count: int) -> list[str]:
    """`first` and `count - 1` more real systems spread over the portfolio, so that the
    runs of a per-system query do not all hit the same (cached) one."""
    rows = store.query(
        "SELECT ?s WHERE { ?s a <https://w3id.org/stkg#SocialTechnicalSystem> } ORDER BY ?s"
    ).rows
    found = [row[0].value for row in rows if row[0].value.startswith(first.rsplit("-", 1)[0])]
    step = max(1, len(found) // max(1, count))
    return [first, *[s for s in found[step::step] if s != first][: count - 1]]


def capped(store: Any, sparql: str, bindings: dict) -> tuple[float, int]:
    """Seconds to answer as the endpoint does (rows beyond the cap are never converted),
    and the rows it sends."""
    import pyoxigraph as ox

    from stkg.store import query_options

    start = time.perf_counter()
    raw = store._store.query(sparql, **query_options(bindings, None, None, None))
    rows = 0
    for _ in raw if not isinstance(raw, ox.QueryBoolean) else ():
        rows += 1
        if rows == MAX_ROWS:
            break
    return time.perf_counter() - start, rows


# The smallest patterns the portfolio-wide gap queries cannot avoid, with classes asserted
# directly (no subclass path), to show what one join over the portfolio costs in Oxigraph.
FLOORS = {
    "every system": "SELECT ?s WHERE { ?s a <https://w3id.org/stkg#SocialTechnicalSystem> }",
    "high-impact systems": "SELECT ?s WHERE { ?s a <https://w3id.org/stkg#SocialTechnicalSystem> ;"
    " <https://w3id.org/stkg#impactLevel> <https://w3id.org/stkg#HighImpact> }",
    "systems with a human review": "SELECT ?s ?p WHERE { ?s <https://w3id.org/stkg#hasProcess> ?p ."
    " ?p a <https://w3id.org/stkg#HumanReview> }",
}


def stkg_queries(path: Path, runs: int, system: str) -> None:
    """Load with stkg (Oxigraph), then every named query `runs` times (a per-system query
    with its `system` bound to a different real system each run), then the whole-portfolio
    variant of each per-system query (unbound, cut at the endpoint's row cap), then
    classification."""
    from stkg.queries import named_queries

    project, store = _stkg_store(path)
    systems = sample_systems(store, system, runs)
    queries = named_queries(project)
    for name, query in queries.items():
        times, rows = [], []
        for run in range(runs):
            chosen = systems[run % len(systems)]
            bindings = query.bindings(query_bindings(query, chosen))
            seconds, result = timed(lambda q=query, b=bindings: store.query(q.sparql, bindings=b))
            times.append(seconds)
            rows.append(len(result))
        emit(step="query", engine="stkg", query=name, times=times, rows=max(rows),
             bound="system" if per_system(query) else "")  # fmt: skip
    for name, query in queries.items():
        if not per_system(query) or any(p.name == "system" and p.required for p in query.params):
            continue
        bindings = query.bindings({})
        seconds, result = timed(lambda q=query, b=bindings: store.query(q.sparql, bindings=b))
        times, sent = [], 0
        for _ in range(UNBOUND_RUNS):
            took, sent = capped(store, query.sparql, bindings)
            times.append(took)
        emit(step="query-unbound", engine="stkg", query=name, times=times, rows=len(result),
             sent=sent, cap=MAX_ROWS, full_seconds=seconds)  # fmt: skip
    for name, sparql in FLOORS.items():
        times, rows = [], 0
        for _ in range(runs):
            seconds, result = timed(lambda s=sparql: store.query(s))
            times.append(seconds)
            rows = len(result)
        emit(step="floor", engine="stkg", probe=name, times=times, rows=rows)
    try:
        from stkg import classify  # the classification contract (docs/decisions.md)
    except ImportError:
        emit(step="classify", engine="stkg", missing=True)
    else:
        seconds, found = timed(lambda: classify.classify(store))
        emit(step="classify", engine="stkg", seconds=seconds, systems=len(found))
    emit(step="rss", engine="stkg", mb=peak_rss_mb())


def fast_engine() -> str | None:
    """The name of stkg's own validation engine when `stkg.validate.validate` offers one."""
    from stkg import validate

    parameter = inspect.signature(validate.validate).parameters.get("engine")
    if parameter is None:
        return None
    names = getattr(validate, "ENGINES", None) or ("sparql",)
    return next((str(n) for n in names if str(n) != PYSHACL), None)


def results_digest(report: Any) -> str:
    """A fingerprint of a report's results, to check that two engines agree."""
    rows = sorted(
        f"{r.focus_node}|{r.source_shape}|{r.path}|{r.value}|{r.severity}"
        for r in report.results
        if not r.focus_node.startswith("_:")
    )
    return hashlib.sha256("\n".join(rows).encode()).hexdigest()[:16]


def stkg_validate(path: Path, engine: str) -> None:
    """Full validation of the store (project and portfolio) with one engine."""
    from stkg.validate import validate

    _, store = _stkg_store(path)
    chosen = fast_engine() if engine == "stkg" else PYSHACL
    if chosen is None:  # no engine choice yet: stkg validates with pySHACL
        chosen = PYSHACL
        options: dict[str, str] = {}
    else:
        options = {"engine": chosen}
    seconds, report = timed(lambda: validate(store, **options))
    emit(
        step="validate",
        engine=engine,
        implementation=chosen,
        seconds=seconds,
        results=len(report.results),
        digest=results_digest(report),
    )
    emit(step="rss", engine=f"validate-{engine}", mb=peak_rss_mb())


def _rdflib_dataset(path: Path):
    """The project and the portfolio in rdflib, one named graph per file as in stkg; the
    default graph is their union, as in stkg. Only the portfolio's parse is timed."""
    import rdflib

    dataset = rdflib.Dataset(default_union=True)
    for source in _project().sources():
        dataset.graph(rdflib.URIRef(source.graph)).parse(source.path)
    graph = dataset.graph(rdflib.URIRef(path.resolve().as_uri()))
    seconds, _ = timed(lambda: graph.parse(path, format="nt"))
    emit(step="load", engine="rdflib", seconds=seconds, triples=len(graph))
    return dataset


def rdflib_queries(path: Path, system: str, skip: str = "") -> None:
    """rdflib's SPARQL engine on the same data; the caller times each query out."""
    import pyoxigraph as ox
    import rdflib

    from stkg.queries import named_queries

    def term(value: Any) -> Any:
        if isinstance(value, ox.NamedNode):
            return rdflib.URIRef(value.value)
        return rdflib.Literal(value.value, datatype=rdflib.URIRef(value.datatype.value))

    graph = _rdflib_dataset(path)
    done = set(skip.split(",")) if skip else set()
    for name, query in named_queries(_project()).items():
        if name in done:
            continue
        emit(step="query-start", engine="rdflib", query=name)
        bindings = {k: term(v) for k, v in query.bindings(query_bindings(query, system)).items()}
        seconds, rows = timed(
            lambda q=query, b=bindings: len(list(graph.query(q.sparql, initBindings=b)))
        )
        emit(step="query", engine="rdflib", query=name, times=[seconds], rows=rows)


def owlrl_closure(path: Path, semantics: str) -> None:
    """owlrl's RDFS or OWL RL closure of the ontology and the portfolio."""
    import owlrl
    import rdflib

    graph = rdflib.Graph()
    graph.parse(REPO / "ontology" / "stkg.ttl")
    graph.parse(path, format="nt")
    before = len(graph)
    closure = owlrl.RDFS_Semantics if semantics == "rdfs" else owlrl.OWLRL_Semantics
    seconds, _ = timed(lambda: owlrl.DeductiveClosure(closure).expand(graph))
    emit(step="reason", engine=f"owlrl-{semantics}", seconds=seconds, inferred=len(graph) - before)


STEPS: dict[str, Callable[..., None]] = {
    "stkg-queries": lambda path, runs, system: stkg_queries(Path(path), int(runs), system),
    "stkg-validate": lambda path, engine: stkg_validate(Path(path), engine),
    "rdflib-queries": lambda path, system, skip="": rdflib_queries(Path(path), system, skip),
    "owlrl": lambda path, semantics: owlrl_closure(Path(path), semantics),
}

if __name__ == "__main__":
    STEPS[sys.argv[1]](*sys.argv[2:])
