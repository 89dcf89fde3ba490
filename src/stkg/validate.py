"""Validation of governance data against the SHACL shapes in `shapes/`.

The seam is `validate(data, shapes) -> ValidationReport`, with two engines: `sparql` (the
default) compiles the shapes to SPARQL and runs them on the Oxigraph store (`stkg.shacl`),
handing any shape it cannot compile to pySHACL and saying so in `report.engine`; `pyshacl`
runs pySHACL alone, the reference implementation both are tested against. Everything else
(`stkg validate`, gap reports) reads the `ValidationReport`, which carries, per result, the
named shape it comes from, the framework requirements that shape operationalises, and the
systems the focus node belongs to. `validate_focus` and `revalidate` validate only what a
change can affect (incremental validation).

pySHACL changes rdflib's process-wide literal handling while it runs; `validate` restores it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

import pyoxigraph as ox
import rdflib
import rdflib.term
from rdflib import RDF, BNode, Graph, URIRef
from rdflib.namespace import SH

from stkg.errors import StkgError
from stkg.project import Project, external_source
from stkg.rdf_files import Source
from stkg.shacl import engine as compiled
from stkg.shacl.compile import Plan, compile_shapes
from stkg.shacl.scope import DataScope
from stkg.shacl.scope import scope as data_scope
from stkg.shacl.terms import to_ox
from stkg.store import OxigraphStore, Store
from stkg.validate_graphs import (
    BACKGROUND_FOLDERS,
    RESULTS_GRAPH,
    SHAPES_PREFIX,
    WrittenLiterals,
    data_graph_names,
    exact_literals,
    fallback_data,
    graphs_from_store,
    left_out,
    merge,
    project_background,
    project_shapes,
    rdflib_graph,
    read_graph,
    split_graphs,
    store_graphs,
    store_shapes,
)
from stkg.validate_report import (
    FRAMEWORK_BASE,
    SEVERITIES,
    Background,
    EngineInfo,
    GraphBackground,
    GraphBuilder,
    RequirementRef,
    Row,
    StoreBackground,
    ValidationReport,
    ValidationResult,
    explain,
    graph_rows,
    top_results,
)
from stkg.validate_terms import (
    UnknownTerm,
    known_terms,
    start_unknown_terms,
    unknown_terms,
)

ENGINES = ("sparql", "pyshacl")

__all__ = [
    "BACKGROUND_FOLDERS", "ENGINES", "FRAMEWORK_BASE", "RESULTS_GRAPH", "SEVERITIES",
    "SHAPES_PREFIX", "EngineInfo", "RequirementRef", "ShapesError", "UnknownTerm",
    "ValidationReport", "ValidationResult", "exact_literals", "graphs_from_store",
    "known_terms", "merge", "project_background", "project_shapes", "rdflib_graph",
    "rdflib_literal_handling_preserved", "read_graph", "revalidate", "split_graphs",
    "start_unknown_terms", "store_graphs", "store_results", "unknown_terms", "validate",
    "validate_files", "validate_focus", "validate_paths", "validate_sources",
]  # fmt: skip


class ShapesError(StkgError):
    """Shapes the engine cannot apply (e.g. SHACL-SPARQL using an unsupported feature)."""


@contextmanager
def rdflib_literal_handling_preserved() -> Iterator[None]:
    """Undo the process-wide changes pySHACL makes to rdflib's literal handling.

    pySHACL swaps the xsd:boolean parser and `rdflib.NORMALIZE_LITERALS` for the run and
    "restores" them to rdflib's defaults, not to what they were.
    """
    saved = dict(rdflib.term._toPythonMapping)
    normalize = rdflib.NORMALIZE_LITERALS
    try:
        yield
    finally:
        rdflib.term._toPythonMapping.clear()
        rdflib.term._toPythonMapping.update(saved)
        rdflib.NORMALIZE_LITERALS = normalize


def validate(
    data: Store | Graph | Sequence[Graph],
    shapes: Graph | None = None,
    *,
    only: Sequence[str] | None = None,
    engine: str = "sparql",
) -> ValidationReport:
    """Validate `data` against `shapes` and explain every result.

    `data` is a graph, several graphs (merged), or a store: then every graph except the
    shapes and earlier validation results is data, and `shapes` defaults to the store's
    `shapes/` graphs. Background knowledge (the ontology, so that subclasses count; the
    framework catalogues, for requirement notations) must be part of the data: use
    `project_background`. `only` restricts validation to the named shapes. `engine` is
    `sparql` (compiled, with a per-shape pySHACL fallback) or `pyshacl`.
    """
    if engine not in ENGINES:
        raise ValueError(f"unknown validation engine {engine!r}; use one of {ENGINES}")
    if isinstance(data, (Graph, Sequence)):
        data_graph = data if isinstance(data, Graph) else merge(data)
        if shapes is None:
            raise ValueError("validate() needs a shapes graph")
        if engine == "pyshacl":
            return _pyshacl_report(data_graph, shapes, only)
        store = OxigraphStore.from_quads(
            ox.Quad(*(to_ox(t) for t in triple)) for triple in data_graph
        )
        restore = compiled.canonical_literals(
            o for o in data_graph.objects() if isinstance(o, rdflib.Literal)
        )
        return _sparql(
            store, None, shapes, only, lambda _: data_graph, GraphBackground(data_graph),
            restore=restore,
        )  # fmt: skip
    if engine == "pyshacl":
        data_graph, store_shape_graph = graphs_from_store(data)
        return _pyshacl_report(data_graph, shapes or store_shape_graph, only)
    names = data_graph_names(data)
    shapes = shapes if shapes is not None else store_shapes(data)
    left = [g for g in data.graph_names() if left_out(g)]
    scope = data_scope(data, names, left, shapes)  # the union of all graphs when it is exact
    return _sparql(
        data,
        scope,
        shapes,
        only,
        lambda _: merge(list(store_graphs(data, names).values())),
        StoreBackground(data, None if scope.union else names),
    )


def _pyshacl(data: Graph, shapes: Graph, only: Sequence[str] | None) -> Graph:
    with rdflib_literal_handling_preserved():
        import pyshacl  # imported here: importing it must not change anything either

        try:
            _, report_graph, _ = pyshacl.validate(
                data,
                shacl_graph=shapes,
                advanced=True,  # SPARQL targets select high-impact, deployed, high-risk systems
                inference="none",
                inplace=False,
                use_shapes=list(only) if only else None,
            )
        except Exception as error:  # pySHACL reports unusable shapes with plain exceptions
            raise ShapesError(f"the shapes cannot be applied: {error}") from error
    if not isinstance(report_graph, Graph):  # pySHACL's ValidationFailure
        raise ShapesError(f"the shapes cannot be applied: {report_graph}")
    return report_graph


def _pyshacl_report(data: Graph, shapes: Graph, only: Sequence[str] | None) -> ValidationReport:
    graph = _pyshacl(data, shapes, only)
    conforms = not top_results(graph)
    return explain(conforms, graph, shapes, GraphBackground(data), EngineInfo("pyshacl"))


def _sparql(
    store: Store,
    names: Sequence[str] | DataScope | None,
    shapes: Graph,
    only: Sequence[str] | None,
    data_graph: Callable[[Plan], Graph],
    background: Background,
    plan: Plan | None = None,
    focused: tuple[int, int] | None = None,
    restore: Mapping | None = None,
) -> ValidationReport:
    """Run the compiled checks; shapes that did not compile go to pySHACL on
    `data_graph(plan)`."""
    targets = compiled.TargetCache(store, names)
    if plan is None:
        only_shapes = [URIRef(s) for s in only] if only else None
        # Through the named data graphs a SPARQL target is slow: evaluate it once and list its
        # nodes. Through the union, joining it inside each check is faster than the list.
        named = names is not None and not (isinstance(names, DataScope) and names.union)
        plan = compile_shapes(shapes, only=only_shapes, resolve=targets if named else None)
    done = compiled.run(store, plan, names, restore)
    results = compiled.distinct(done.results)
    rows = [Row(r.focus, r.check.severity, r.check.shape, r.path, r.value, r.messages)
            for r in results]  # fmt: skip
    fallback, copied = None, []
    if plan.fallback:
        fallback = _pyshacl(data_graph(plan), shapes, _fallback_names(plan))
        copied = _fallback_results(fallback, plan, shapes)
        rows += graph_rows(fallback, copied)
    conforms = not rows

    def build() -> Graph:  # the standard report graph, when someone reads it
        graph = compiled.report_graph(results, shapes)
        if fallback is not None:
            _add_fallback(graph, fallback, copied)
        graph.set((next(graph.subjects(RDF.type, SH.ValidationReport)), SH.conforms,
                   rdflib.Literal(conforms)))  # fmt: skip
        return graph

    info = EngineInfo(
        "sparql",
        tuple(str(s) for s in plan.compiled),
        tuple((_name(s), why) for s, why in sorted(plan.fallback.items(), key=str)),
        done.queries + len(targets.found) + (focused[1] if focused else 0),
        focused[0] if focused else None,
    )
    return explain(conforms, GraphBuilder(build), shapes, background, info, rows)


def _name(node: rdflib.term.Node) -> str:
    return f"_:{node}" if isinstance(node, BNode) else str(node)


def _fallback_names(plan: Plan) -> list[str] | None:
    """pySHACL's use_shapes takes IRIs only: with an anonymous fallback shape, run all."""
    if any(isinstance(s, BNode) for s in plan.fallback):
        return None
    return [str(s) for s in plan.fallback]


def _fallback_results(fallback: Graph, plan: Plan, shapes: Graph) -> list[rdflib.term.Node]:
    """pySHACL's results for the fallback shapes (it may have validated them all)."""
    owned = set()
    for shape in plan.fallback:
        todo = [shape]
        while todo:
            current = todo.pop()
            if current not in owned:
                owned.add(current)
                todo += list(shapes.objects(current, SH.property))
    return [r for r in fallback.subjects(RDF.type, SH.ValidationResult)
            if fallback.value(r, SH.sourceShape) in owned]  # fmt: skip


def _add_fallback(graph: Graph, fallback: Graph, copied: list[rdflib.term.Node]) -> None:
    """Copy pySHACL's results for the fallback shapes into the compiled report."""
    report = next(graph.subjects(RDF.type, SH.ValidationReport))
    for result in copied:
        graph.add((report, SH.result, result))
        todo, seen = [result], set()
        while todo:
            node = todo.pop()
            if node in seen:
                continue
            seen.add(node)
            for p, o in fallback.predicate_objects(node):
                graph.add((node, p, o))
                if isinstance(o, BNode):
                    todo.append(o)


# --- incremental validation -----------------------------------------------------------------


def validate_focus(
    store: Store, focus_nodes: Iterable[str | rdflib.term.Node], shapes: Graph | None = None
) -> ValidationReport:
    """Validate only these focus nodes, each against the shapes that target it: the cost is
    in proportion to the nodes, not to the store (`report.engine` counts queries and focus
    nodes). Shapes that do not compile need the whole data graph (pySHACL)."""
    names = data_graph_names(store)
    shapes = shapes if shapes is not None else store_shapes(store)
    nodes = [URIRef(n) if isinstance(n, str) else n for n in focus_nodes]
    plan, pairs, queries = compiled.focus_plan(store, shapes, nodes, names)
    return _sparql(
        store, names, shapes, None, lambda _: merge(list(store_graphs(store, names).values())),
        StoreBackground(store, names), plan, (pairs, queries),
    )  # fmt: skip


def revalidate(
    store: Store, changed: Iterable[str | rdflib.term.Node], shapes: Graph | None = None
) -> ValidationReport:
    """After `changed` nodes (e.g. one system) changed, recompute the results of every focus
    node within their neighbourhood (`stkg.shacl.engine.neighbourhood`) and replace those
    results in the stored results graph. Without a stored report, validate everything."""
    names = data_graph_names(store)
    if RESULTS_GRAPH not in store.graphs():
        report = validate(store, shapes)
        store_results(store, report)
        return report
    nodes = [URIRef(n) if isinstance(n, str) else n for n in changed]
    affected = compiled.neighbourhood(store, nodes, names)
    report = validate_focus(store, affected, shapes)
    values = " ".join(str(to_ox(n)) for n in sorted(affected, key=str))
    g = f"<{RESULTS_GRAPH}>"
    store.update(
        f"PREFIX sh: <{SH}> DELETE {{ GRAPH {g} {{ ?report sh:result ?r . ?r ?p ?o }} }} "
        f"WHERE {{ GRAPH {g} {{ VALUES ?f {{ {values} }} ?r sh:focusNode ?f . "
        f"?report sh:result ?r . ?r ?p ?o }} }}"
    )
    triples = [t for t in report.graph if t[1] != SH.conforms and t[0] != t[1]]
    text = _template(report.graph, triples)
    store.update(
        f"PREFIX sh: <{SH}> INSERT {{ GRAPH {g} {{ {text} }} }} "
        f"WHERE {{ GRAPH {g} {{ ?report a sh:ValidationReport }} }}"
    )
    store.update(
        f"PREFIX sh: <{SH}> DELETE {{ GRAPH {g} {{ ?report sh:conforms ?c }} }} "
        f"INSERT {{ GRAPH {g} {{ ?report sh:conforms ?now }} }} WHERE {{ GRAPH {g} {{ "
        f"?report a sh:ValidationReport ; sh:conforms ?c }} "
        f"BIND(NOT EXISTS {{ GRAPH {g} {{ ?report sh:result ?any }} }} AS ?now) }}"
    )
    return report


def _template(graph: Graph, triples: list[tuple]) -> str:
    """Triples as an update template, the new report node replaced by the stored one's."""
    [report] = graph.subjects(RDF.type, SH.ValidationReport)
    lines = []
    for triple in triples:
        if triple[0] == report and triple[1] == RDF.type:
            continue
        terms = ["?report" if t == report else _template_term(t) for t in triple]
        lines.append(" ".join(terms) + " .")
    return "\n".join(lines)


def _template_term(term: rdflib.term.Node) -> str:
    return f"_:{term}" if isinstance(term, BNode) else str(to_ox(term))


def store_results(store: Store, report: ValidationReport) -> int:
    """Replace the results graph with this report, so SPARQL can join it with the rest."""
    text = report.graph.serialize(format="nt")
    store.drop_graph(RESULTS_GRAPH)
    store.update(f"INSERT DATA {{ GRAPH <{RESULTS_GRAPH}> {{ {text} }} }}")
    return len(report.graph)


def validate_files(
    project: Project, paths: Sequence[Path], *, engine: str = "sparql"
) -> tuple[ValidationReport, Graph]:
    """Validate data files with the project's ontology, catalogues and shapes as background.

    Returns the report and the files' own graph (for the unknown-term check)."""
    own = read_graph([external_source(path) for path in paths])
    data = merge([project_background(project), own])
    return validate(data, project_shapes(project), engine=engine), own


def validate_paths(
    project: Project, paths: Sequence[Path], *, source: str | None = None
) -> tuple[ValidationReport, list[UnknownTerm]]:
    """`stkg validate FILE…`: the files with the project's ontology and catalogues as
    background, parsed straight into an in-memory store (`validate_sources`), and the
    unknown stkg: terms the files use (each named with `source`, by default the paths),
    found while the store is validated."""
    own = [external_source(path) for path in paths]
    background = [s for s in project.sources() if s.label.startswith(BACKGROUND_FOLDERS)]
    store = OxigraphStore.from_files([*background, *own])
    label = source if source is not None else ", ".join(s.label for s in own)
    unknown = start_unknown_terms(
        store, dict.fromkeys((s.graph for s in own), label), [s.graph for s in background]
    )
    report = _validate_read(store, [*background, *own], project_shapes(project))
    return report, unknown.result()


def validate_sources(
    sources: Sequence[Source], shapes: Graph, background: Sequence[Source] = ()
) -> tuple[ValidationReport, Store]:
    """Validate files (with `background` files) with the compiled engine, and the store
    they were read into.

    Each file is parsed once, by Oxigraph, into its own graph of an in-memory store; no
    rdflib graph is made (parsing into rdflib and merging was 78% of the time of `stkg
    validate FILE`). Only shapes that do not compile go to pySHACL, with only the triples
    they can read (`fallback_data`). The report is `validate(merge(graphs), shapes)`'s:
    literals are reported as the files wrote them (`WrittenLiterals`)."""
    everything = [*background, *sources]
    store = OxigraphStore.from_files(everything)
    return _validate_read(store, everything, shapes), store


def _validate_read(store: Store, sources: Sequence[Source], shapes: Graph) -> ValidationReport:
    """`validate_sources` on the store the sources were read into."""
    written = WrittenLiterals(sources)
    return _sparql(
        store, None, shapes, None,
        lambda plan: fallback_data(store, shapes, plan.fallback, written),
        StoreBackground(store, None, written), restore=written,
    )  # fmt: skip
