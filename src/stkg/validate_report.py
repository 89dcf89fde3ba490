"""The validation report: results explained with the requirements, systems and labels
they concern, whichever engine found them.

A `Background` answers those questions: from an rdflib data graph (files, pySHACL), or with
a few batched SPARQL queries from the store (the compiled engine at scale).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple, Protocol

import pyoxigraph as ox
import rdflib
from rdflib import RDF, RDFS, SKOS, BNode, Graph, Literal, URIRef
from rdflib.namespace import SH

from stkg.namespace import STKG_NS
from stkg.shacl.terms import sparql_term, to_rdflib
from stkg.store import Store

FRAMEWORK_BASE = "https://w3id.org/stkg/framework/"
SEVERITIES = ("Violation", "Warning", "Info")  # most severe first; SHACL allows others

_STS = URIRef(STKG_NS + "SocialTechnicalSystem")
_OPERATIONALISES = URIRef(STKG_NS + "operationalises")
Node = rdflib.term.Node


@dataclass(frozen=True)
class RequirementRef:
    """A framework requirement a shape operationalises, as a report shows it."""

    iri: str
    framework: str | None
    notation: str | None


@dataclass(frozen=True)
class ValidationResult:
    focus_node: str
    severity: str  # "Violation", "Warning" or "Info"
    message: str
    path: str | None
    value: str | None
    source_shape: str  # the named shape (an anonymous property shape resolves to its parent)
    requirements: tuple[RequirementRef, ...] = ()
    systems: tuple[str, ...] = ()  # systems the focus node is, or belongs to


@dataclass(frozen=True)
class EngineInfo:
    """Which engine validated: `sparql` (shapes compiled to SPARQL, with the shapes it could
    not compile left to pySHACL) or `pyshacl`; what a focused run cost."""

    name: str
    compiled: tuple[str, ...] = ()
    fallback: tuple[tuple[str, str], ...] = ()  # (shape, reason)
    queries: int = 0
    focus_nodes: int | None = None  # (shape, focus node) pairs of a focused run


class GraphBuilder:
    """A report graph not built yet: `ValidationReport.graph` builds it on first use (at
    100,000 systems building it costs as much as finding the results)."""

    def __init__(self, build: Callable[[], Graph]) -> None:
        self.build = build


@dataclass
class ValidationReport:
    """The results of one validation run, and the standard sh:ValidationReport graph."""

    conforms: bool  # SHACL's answer: false as soon as there is any result, even an Info
    results: list[ValidationResult]
    graph: Graph  # given as a `GraphBuilder`, built when first read
    labels: dict[str, str] = field(default_factory=dict)
    engine: EngineInfo | None = None

    def counts(self) -> dict[str, int]:
        counts = {s: 0 for s in SEVERITIES}
        for result in self.results:
            counts[result.severity] = counts.get(result.severity, 0) + 1
        return counts

    def fails(self, threshold: str = "Violation") -> bool:
        """True when a result is at least as severe as `threshold`. A custom severity (any
        IRI other than sh:Violation, sh:Warning, sh:Info) counts as a Violation."""
        passing = SEVERITIES[SEVERITIES.index(threshold) + 1 :]
        return any(r.severity not in passing for r in self.results)


def _get_graph(report: ValidationReport) -> Graph:
    graph = report.__dict__["_graph"]
    if isinstance(graph, GraphBuilder):
        graph = report.__dict__["_graph"] = graph.build()
    return graph


def _set_graph(report: ValidationReport, graph: Graph | GraphBuilder) -> None:
    report.__dict__["_graph"] = graph


ValidationReport.graph = property(_get_graph, _set_graph)  # type: ignore[assignment]


class Row(NamedTuple):
    """What a report says of one result, read from its graph or straight from an engine."""

    focus: Node | None
    severity: Node | None
    source: Node | None
    path: Node | None
    value: Node | None
    messages: tuple[Node, ...]


def graph_rows(report: Graph, nodes: Sequence[Node]) -> list[Row]:
    """The rows of these results of a report graph, read in one pass over it."""
    wanted = set(nodes)
    found: dict[Node, dict[Node, list[Node]]] = {n: {} for n in nodes}
    for s, p, o in report:
        if s in wanted:
            found[s].setdefault(p, []).append(o)

    def one(props: dict[Node, list[Node]], p: Node) -> Node | None:
        return props.get(p, [None])[0]

    return [
        Row(one(f, SH.focusNode), one(f, SH.resultSeverity), one(f, SH.sourceShape),
            one(f, SH.resultPath), one(f, SH.value), tuple(f.get(SH.resultMessage, ())))
        for f in (found[n] for n in nodes)
    ]  # fmt: skip


class WrittenTerms(Protocol):
    def subjects(self, literal: Literal) -> set[Node] | None:
        """The subjects of triples whose object the files wrote exactly as `literal` (None
        when the files were not read for their literals)."""
        ...


class Background(Protocol):
    def systems(self, focus: set[Node]) -> dict[Node, tuple[str, ...]]: ...
    def labels(self, iris: set[str]) -> dict[str, str]: ...
    def requirement(self, iri: URIRef) -> RequirementRef: ...


class GraphBackground:
    """Explanations from an rdflib data graph."""

    def __init__(self, data: Graph) -> None:
        self.data = data
        classes = set(data.transitive_subjects(RDFS.subClassOf, _STS))
        self.all_systems = {s for c in classes for s in data.subjects(RDF.type, c)}

    def systems(self, focus: set[Node]) -> dict[Node, tuple[str, ...]]:
        found = {}
        for node in focus:
            if node in self.all_systems:
                found[node] = (_text(node),)
            else:
                owners = {_text(s) for s in self.data.subjects(None, node) if s in self.all_systems}
                found[node] = tuple(sorted(owners))
        return found

    def labels(self, iris: set[str]) -> dict[str, str]:
        found = {}
        for iri in iris:
            label = self.data.value(URIRef(iri), RDFS.label)
            if label is not None:
                found[iri] = str(label)
        return found

    def requirement(self, iri: URIRef) -> RequirementRef:
        notation = self.data.value(iri, SKOS.notation)
        scheme = self.data.value(iri, SKOS.inScheme) or self.data.value(iri, SKOS.topConceptOf)
        return _requirement(iri, scheme, notation)


class StoreBackground:
    """Explanations from the store, in batched queries (no data leaves it)."""

    BATCH = 2000

    def __init__(
        self,
        store: Store,
        default_graphs: Sequence[str] | None = None,
        written: WrittenTerms | None = None,
    ) -> None:
        self.store, self.graphs, self.written = store, default_graphs, written

    def _rows(
        self, template: str, terms: Iterable[Node], terms_in: int | None = None
    ) -> list[tuple]:
        """The template's rows for `terms`, in batches; the first `terms_in` columns (all
        when None) as rdflib terms, the others as `_text` (making an rdflib term of every
        label took 4 of 6 s explaining 81,000 results)."""
        named = sorted({t for t in terms if not isinstance(t, BNode)}, key=str)
        rows = []
        for start in range(0, len(named), self.BATCH):
            values = " ".join(sparql_term(t) for t in named[start : start + self.BATCH])
            answer = self.store.query(template.replace("%s", values), default_graphs=self.graphs)
            for r in answer.rows:
                keep = len(r) if terms_in is None else terms_in
                rows.append(tuple(_term_or_text(t, i < keep) for i, t in enumerate(r)))
        return rows

    def systems(self, focus: set[Node]) -> dict[Node, tuple[str, ...]]:
        system = f"?c <{RDFS.subClassOf}>* <{_STS}> ."
        # A typed literal is found by its value ("1" and "true" are one xsd:boolean in the
        # store): the files say which subjects wrote it so, when they were read for it.
        written = {f: self.written.subjects(f) for f in focus if self.written is not None
                   and isinstance(f, Literal) and self.written.subjects(f) is not None}  # fmt: skip
        rows = self._rows(
            f"SELECT ?f ?s WHERE {{ {{ VALUES ?f {{ %s }} ?s ?p ?f . ?s a ?c . {system} }} "
            f"UNION {{ VALUES ?s {{ %s }} ?s a ?c . {system} BIND(?s AS ?f) }} }}",
            focus - set(written),
            terms_in=1,
        )
        found: dict[Node, set[str]] = {}
        for f, s in rows:
            found.setdefault(f, set()).add(s)
        users = set().union(*written.values())
        systems = {s for (s,) in self._rows(f"SELECT ?s WHERE {{ VALUES ?s {{ %s }} ?s a ?c . "
                                            f"{system} }}", users)} if users else set()  # fmt: skip
        for f, subjects in written.items():
            found[f] = {_text(s) for s in subjects & systems}
        return {
            f: (_text(f),) if _text(f) in found.get(f, ()) else tuple(sorted(found.get(f, ())))
            for f in focus
        }

    def labels(self, iris: set[str]) -> dict[str, str]:
        rows = self._rows(
            f"SELECT ?i ?l WHERE {{ VALUES ?i {{ %s }} ?i <{RDFS.label}> ?l }} ORDER BY ?i ?l",
            (URIRef(i) for i in iris if not i.startswith("_:")),  # a blank system has no IRI
            terms_in=0,
        )
        found: dict[str, str] = {}
        for iri, label in rows:
            found.setdefault(iri, label)
        return found

    def requirement(self, iri: URIRef) -> RequirementRef:
        rows = self._rows(
            "SELECT ?n ?s WHERE { VALUES ?r { %s } "
            f"OPTIONAL {{ ?r <{SKOS.notation}> ?n }} "
            f"OPTIONAL {{ {{ ?r <{SKOS.inScheme}> ?s }} "
            f"UNION {{ ?r <{SKOS.topConceptOf}> ?s }} }} }}",
            [iri],
        )
        notation, scheme = rows[0] if rows else (None, None)
        return _requirement(iri, scheme, notation)


def explain(
    conforms: bool,
    report: Graph | GraphBuilder,
    shapes: Graph,
    background: Background,
    engine: EngineInfo | None = None,
    rows: Sequence[Row] | None = None,
) -> ValidationReport:
    """The report's results with requirements, systems and labels, in report order.
    `rows` are the results when the engine gives them directly (the graph is then built
    only if someone reads it); else they are read from the report graph."""
    if rows is None:
        graph = report.build() if isinstance(report, GraphBuilder) else report
        rows = graph_rows(graph, top_results(graph))
    systems = background.systems({row.focus for row in rows})
    requirements: dict[URIRef, RequirementRef] = {}
    by_source: dict[Node | None, tuple[tuple[RequirementRef, ...], str, set[str]]] = {}
    results = []
    for row in rows:
        if row.source not in by_source:
            reqs = []
            for iri in sorted(_operationalised(shapes, row.source)):
                if iri not in requirements:
                    requirements[iri] = background.requirement(iri)
                reqs.append(requirements[iri])
            own = (
                set()
                if row.source is None
                else {str(m) for m in shapes.objects(row.source, SH.message)}
            )
            by_source[row.source] = (tuple(reqs), _text(_named_shape(shapes, row.source)), own)
        reqs, named, own = by_source[row.source]
        results.append(
            ValidationResult(
                focus_node=_text(row.focus),
                severity=_severity(row.severity),
                message=_message(row.messages, own),
                path=_text(row.path) if isinstance(row.path, URIRef) else None,
                value=_text(row.value) if row.value is not None else None,
                source_shape=named,
                requirements=reqs,
                systems=systems.get(row.focus, ()),
            )
        )
    results.sort(key=_sort_key)
    named = {_text(row.focus) for row in rows if isinstance(row.focus, URIRef)}  # no literals
    labels = background.labels(named | {s for r in results for s in r.systems})
    return ValidationReport(conforms, results, report, labels, engine)


def top_results(report: Graph) -> list[Node]:
    """The report's own results (sh:result), not results nested under sh:detail."""
    return [r for node in report.subjects(RDF.type, SH.ValidationReport)
            for r in report.objects(node, SH.result)]  # fmt: skip


def _sort_key(result: ValidationResult) -> tuple:
    return (
        result.systems or ("~",),
        SEVERITIES.index(result.severity) if result.severity in SEVERITIES else -1,
        result.source_shape,
        result.focus_node,
        result.value or "",
        result.message,
    )


def _severity(term: Node | None) -> str:
    """ "Violation", "Warning", "Info" for SHACL's own; the IRI of a custom severity."""
    if term is None:
        return "Violation"
    name = str(term).removeprefix(str(SH))
    return name if name in SEVERITIES else str(term)


def _text(term: object) -> str:
    return f"_:{term}" if isinstance(term, BNode) else str(term)


def _term_or_text(term: ox.NamedNode | ox.BlankNode | ox.Literal | None, rdflib: bool) -> object:
    """An engine term as an rdflib term, or as the `_text` of that term."""
    if term is None or rdflib:
        return None if term is None else to_rdflib(term)
    return f"_:{term.value}" if isinstance(term, ox.BlankNode) else term.value


def _message(found: Iterable[Node], own: set[str]) -> str:
    """The English message; when a SHACL-SPARQL result has the shape's message (`own`) and
    its constraint's, the constraint's (it names the values), whatever order the graph has."""
    messages = sorted(set(found), key=str)
    english = [m for m in messages if isinstance(m, Literal) and m.language in (None, "en")]
    specific = [m for m in english if str(m) not in own]
    return str((specific or english or messages or [""])[0])


def _parents(shapes: Graph, shape: Node) -> list[Node]:
    return list(shapes.subjects(SH.property, shape))


def _named_shape(shapes: Graph, shape: Node | None) -> Node | None:
    """The IRI-named shape a result comes from: anonymous property shapes belong to one."""
    seen = set()
    while isinstance(shape, BNode) and shape not in seen:
        seen.add(shape)
        parents = _parents(shapes, shape)
        if not parents:
            break
        shape = parents[0]
    return shape


def _operationalised(shapes: Graph, shape: Node | None) -> set[URIRef]:
    """Requirements linked from the shape or any shape it is part of."""
    found: set[URIRef] = set()
    todo, seen = [shape], set()
    while todo:
        current = todo.pop()
        if current is None or current in seen:
            continue
        seen.add(current)
        found |= {o for o in shapes.objects(current, _OPERATIONALISES) if isinstance(o, URIRef)}
        todo += _parents(shapes, current)
    return found


def _requirement(iri: URIRef, scheme: Node | None, notation: Node | None) -> RequirementRef:
    """Notation and framework from the catalogue when it is loaded, else from the IRI scheme."""
    return RequirementRef(
        str(iri),
        str(scheme) if scheme is not None else _scheme_of(str(iri)),
        str(notation) if notation is not None else _notation_of(str(iri)),
    )


def _scheme_of(iri: str) -> str | None:
    if not iri.startswith(FRAMEWORK_BASE):
        return None
    slug = iri[len(FRAMEWORK_BASE) :].split("/", 1)[0]
    return FRAMEWORK_BASE + slug


_ANNEX_POINT = re.compile(r"annex-III-(\d+)(?:-([a-z]))?$")


def _notation_of(iri: str) -> str | None:
    """The official code, read from an IRI of the shared scheme (docs/decisions.md)."""
    scheme = _scheme_of(iri)
    if scheme is None or not iri.startswith(scheme + "/"):
        return None
    local = iri[len(scheme) + 1 :]
    if scheme.endswith("/nist-ai-rmf"):
        return local.replace("-", " ", 1)
    if scheme.endswith("/eu-ai-act"):
        if local.startswith("art-"):
            return "Art. " + local[4:]
        point = _ANNEX_POINT.match(local)
        if point:
            return f"III.{point[1]}" + (f"({point[2]})" if point[2] else "")
    return local
