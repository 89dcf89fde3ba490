"""Validation of governance data against the SHACL shapes in `shapes/`.

The seam is `validate(data, shapes) -> ValidationReport`: pySHACL is the engine today (the
reference implementation); a faster engine that compiles the shapes to SPARQL can implement
the same function later. Everything else (`stkg validate`, gap reports) reads the
`ValidationReport`, which carries, per result, the named shape it comes from, the framework
requirements that shape operationalises, and the systems the focus node belongs to.

pySHACL changes rdflib's process-wide literal handling while it runs; `validate` restores it.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox
import rdflib
import rdflib.term
from rdflib import RDF, RDFS, SKOS, BNode, Graph, Literal, URIRef
from rdflib.namespace import SH

from stkg.errors import StkgError
from stkg.namespace import STKG_NS
from stkg.project import GRAPH_BASE, Project, external_source
from stkg.store import Source, Store, read_quads

RESULTS_GRAPH = GRAPH_BASE + "validation"  # where --store-results puts the report
SHAPES_PREFIX = GRAPH_BASE + "shapes/"
FRAMEWORK_BASE = "https://w3id.org/stkg/framework/"
SEVERITIES = ("Violation", "Warning", "Info")  # most severe first; SHACL allows others
BACKGROUND_FOLDERS = ("ontology/", "data/frameworks/")  # loaded under files given to validate

_STS = URIRef(STKG_NS + "SocialTechnicalSystem")
_OPERATIONALISES = URIRef(STKG_NS + "operationalises")


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


@dataclass
class ValidationReport:
    """The results of one validation run, and the standard sh:ValidationReport graph."""

    conforms: bool  # SHACL's answer: false as soon as there is any result, even an Info
    results: list[ValidationResult]
    graph: Graph
    labels: dict[str, str] = field(default_factory=dict)

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


class ShapesError(StkgError):
    """Shapes the engine cannot apply (e.g. SHACL-SPARQL using an unsupported feature)."""


@dataclass(frozen=True)
class UnknownTerm:
    term: str
    closest: str | None
    source: str | None = None


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


@contextmanager
def exact_literals() -> Iterator[None]:
    """Parse literals as written: SHACL compares terms, so "1"^^xsd:boolean must not become
    "true" (rdflib normalises lexical forms by default)."""
    normalize = rdflib.NORMALIZE_LITERALS
    rdflib.NORMALIZE_LITERALS = False
    try:
        yield
    finally:
        rdflib.NORMALIZE_LITERALS = normalize


def validate(
    data: Store | Graph | Sequence[Graph],
    shapes: Graph | None = None,
    *,
    only: Sequence[str] | None = None,
) -> ValidationReport:
    """Validate `data` against `shapes` with pySHACL and explain every result.

    `data` is a graph, several graphs (merged), or a store: then every graph except the
    shapes and earlier validation results is data, and `shapes` defaults to the store's
    `shapes/` graphs. Background knowledge (the ontology, so that subclasses count; the
    framework catalogues, for requirement notations) must be part of the data: use
    `project_background`. `only` restricts validation to the named shapes.
    """
    if isinstance(data, Graph):
        data_graph = data
    elif isinstance(data, Sequence):
        data_graph = merge(data)
    else:
        data_graph, store_shapes = graphs_from_store(data)
        shapes = store_shapes if shapes is None else shapes
    if shapes is None:
        raise ValueError("validate() needs a shapes graph")
    with rdflib_literal_handling_preserved():
        import pyshacl  # imported here: importing it must not change anything either

        try:
            conforms, report_graph, _ = pyshacl.validate(
                data_graph,
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
    return _explain(bool(conforms), report_graph, data_graph, shapes)


def _explain(conforms: bool, report: Graph, data: Graph, shapes: Graph) -> ValidationReport:
    systems = _systems(data)
    requirements: dict[URIRef, RequirementRef] = {}
    results = []
    for node in report.subjects(RDF.type, SH.ValidationResult):
        focus = report.value(node, SH.focusNode)
        shape = _named_shape(shapes, report.value(node, SH.sourceShape))
        reqs = []
        for iri in sorted(_operationalised(shapes, report.value(node, SH.sourceShape))):
            if iri not in requirements:
                requirements[iri] = _requirement(data, iri)
            reqs.append(requirements[iri])
        severity = report.value(node, SH.resultSeverity)
        path = report.value(node, SH.resultPath)
        value = report.value(node, SH.value)
        results.append(
            ValidationResult(
                focus_node=_text(focus),
                severity=_severity(severity),
                message=_message(report, node),
                path=_text(path) if isinstance(path, URIRef) else None,
                value=_text(value) if value is not None else None,
                source_shape=_text(shape),
                requirements=tuple(reqs),
                systems=_systems_of(data, focus, systems),
            )
        )
    results.sort(key=_sort_key)
    labels = {}
    for result in results:
        for iri in (result.focus_node, *result.systems):
            label = data.value(URIRef(iri), RDFS.label)
            if label is not None:
                labels[iri] = str(label)
    return ValidationReport(conforms, results, report, labels)


def _sort_key(result: ValidationResult) -> tuple:
    return (
        result.systems or ("~",),
        SEVERITIES.index(result.severity) if result.severity in SEVERITIES else -1,
        result.source_shape,
        result.focus_node,
        result.value or "",
    )


def _severity(term: rdflib.term.Node | None) -> str:
    """ "Violation", "Warning", "Info" for SHACL's own; the IRI of a custom severity."""
    if term is None:
        return "Violation"
    name = str(term).removeprefix(str(SH))
    return name if name in SEVERITIES else str(term)


def _text(term: object) -> str:
    return f"_:{term}" if isinstance(term, BNode) else str(term)


def _message(report: Graph, node: rdflib.term.Node) -> str:
    messages = list(report.objects(node, SH.resultMessage))
    english = [m for m in messages if isinstance(m, Literal) and m.language in (None, "en")]
    return str((english or messages or [""])[0])


def _parents(shapes: Graph, shape: rdflib.term.Node) -> list[rdflib.term.Node]:
    return list(shapes.subjects(SH.property, shape))


def _named_shape(shapes: Graph, shape: rdflib.term.Node | None) -> rdflib.term.Node | None:
    """The IRI-named shape a result comes from: anonymous property shapes belong to one."""
    seen = set()
    while isinstance(shape, BNode) and shape not in seen:
        seen.add(shape)
        parents = _parents(shapes, shape)
        if not parents:
            break
        shape = parents[0]
    return shape


def _operationalised(shapes: Graph, shape: rdflib.term.Node | None) -> set[URIRef]:
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


def _requirement(data: Graph, iri: URIRef) -> RequirementRef:
    """Notation and framework from the catalogue when it is loaded, else from the IRI scheme."""
    notation = data.value(iri, SKOS.notation)
    scheme = data.value(iri, SKOS.inScheme) or data.value(iri, SKOS.topConceptOf)
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


def _systems(data: Graph) -> set[rdflib.term.Node]:
    classes = set(data.transitive_subjects(RDFS.subClassOf, _STS))
    return {s for c in classes for s in data.subjects(RDF.type, c)}


def _systems_of(
    data: Graph, focus: rdflib.term.Node | None, systems: set[rdflib.term.Node]
) -> tuple[str, ...]:
    if focus is None:
        return ()
    if focus in systems:
        return (_text(focus),)
    return tuple(sorted({_text(s) for s in data.subjects(None, focus) if s in systems}))


# --- Building the graphs --------------------------------------------------------------------


def merge(graphs: Sequence[Graph]) -> Graph:
    merged = Graph()
    for graph in graphs:
        for triple in graph:
            merged.add(triple)
    return merged


def rdflib_graph(quads: Sequence[ox.Quad]) -> Graph:
    """pyoxigraph quads as one rdflib graph (graph names dropped), through N-Triples."""
    triples = [ox.Triple(q.subject, q.predicate, q.object) for q in quads]
    text = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES).decode("utf-8")
    with exact_literals():
        return Graph().parse(data=text, format="nt")


def store_graphs(store: Store) -> dict[str, Graph]:
    """Every named graph of a store as an rdflib graph, except earlier validation results."""
    with exact_literals():
        return {
            name: Graph().parse(data=store.export("nt", graph=name).decode("utf-8"), format="nt")
            for name in store.graphs()
            if name != RESULTS_GRAPH
        }


def graphs_from_store(store: Store) -> tuple[Graph, Graph]:
    """(data, shapes) from a store: the `shapes/` graphs are shapes, everything else
    (ontology, catalogues, data) is data."""
    graphs = store_graphs(store)
    return split_graphs(graphs)


def split_graphs(graphs: dict[str, Graph]) -> tuple[Graph, Graph]:
    shapes = [g for name, g in graphs.items() if name.startswith(SHAPES_PREFIX)]
    data = [g for name, g in graphs.items() if not name.startswith(SHAPES_PREFIX)]
    return merge(data), merge(shapes)


def read_graph(sources: Sequence[Source]) -> Graph:
    """Parse files (all before anything is used) into one graph; raises SourceError."""
    return merge([rdflib_graph(read_quads(source)) for source in sources])


def project_background(project: Project) -> Graph:
    """What data files are validated with: the ontology and the framework catalogues."""
    return read_graph([s for s in project.sources() if s.label.startswith(BACKGROUND_FOLDERS)])


def project_shapes(project: Project) -> Graph:
    return read_graph([s for s in project.sources() if s.label.startswith("shapes/")])


def store_results(store: Store, report: ValidationReport) -> int:
    """Replace the results graph with this report, so SPARQL can join it with the rest."""
    text = report.graph.serialize(format="nt")
    store.drop_graph(RESULTS_GRAPH)
    store.update(f"INSERT DATA {{ GRAPH <{RESULTS_GRAPH}> {{ {text} }} }}")
    return len(report.graph)


# --- Unknown stkg: terms --------------------------------------------------------------------


def known_terms(graph: Graph) -> set[str]:
    """The stkg: terms an ontology graph declares (every stkg: IRI that is a subject)."""
    return {str(s) for s in graph.subjects() if isinstance(s, URIRef) and s.startswith(STKG_NS)}


def unknown_terms(data: Graph, known: set[str], source: str | None = None) -> list[UnknownTerm]:
    """stkg: IRIs used in `data` that the ontology does not declare, each with the closest
    known term (a typo such as stkg:hasOwnr otherwise silently validates as missing data)."""
    used = {
        str(term)
        for triple in data
        for term in triple
        if isinstance(term, URIRef) and term.startswith(STKG_NS)
    }
    names = sorted(k.removeprefix(STKG_NS) for k in known)
    found = []
    for term in sorted(used - known):
        close = difflib.get_close_matches(term.removeprefix(STKG_NS), names, n=1, cutoff=0.0)
        found.append(UnknownTerm(term, STKG_NS + close[0] if close else None, source))
    return found


def validate_files(project: Project, paths: Sequence[Path]) -> tuple[ValidationReport, Graph]:
    """Validate data files with the project's ontology, catalogues and shapes as background.

    Returns the report and the files' own graph (for the unknown-term check)."""
    own = read_graph([external_source(path) for path in paths])
    data = merge([project_background(project), own])
    return validate(data, project_shapes(project)), own
