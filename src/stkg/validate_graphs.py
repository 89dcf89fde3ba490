"""The graphs validation reads: data and shapes from files, a project or a store.

rdflib graphs, because pySHACL (the reference engine) and the report explanations read
them; literals are parsed exactly as written, since SHACL compares terms.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager

import pyoxigraph as ox
import rdflib
from rdflib import RDF, RDFS, BNode, Graph, Literal, URIRef
from rdflib.namespace import SH
from rdflib.term import Node

from stkg.project import GRAPH_BASE, Project
from stkg.rdf_files import Source, read_quads
from stkg.shacl.terms import to_rdflib
from stkg.store import Store

RESULTS_GRAPH = GRAPH_BASE + "validation"  # where --store-results puts the report
SHAPES_PREFIX = GRAPH_BASE + "shapes/"
BACKGROUND_FOLDERS = ("ontology/", "data/frameworks/")  # loaded under files given to validate


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


def store_graphs(store: Store, names: Sequence[str] | None = None) -> dict[str, Graph]:
    """Named graphs of a store as rdflib graphs (all but earlier validation results)."""
    with exact_literals():
        return {
            name: Graph().parse(data=store.export("nt", graph=name).decode("utf-8"), format="nt")
            for name in (names if names is not None else store.graphs())
            if name != RESULTS_GRAPH
        }


def data_graph_names(store: Store) -> list[str]:
    """The graphs validated as data: everything but the shapes and earlier results."""
    return [g for g in store.graph_names() if not left_out(g)]


def left_out(graph: str) -> bool:
    """Whether validation leaves the graph out of the data: shapes and earlier results."""
    return graph == RESULTS_GRAPH or graph.startswith(SHAPES_PREFIX)


def store_shapes(store: Store) -> Graph:
    shapes = [g for g in store.graph_names() if g.startswith(SHAPES_PREFIX)]
    return merge(list(store_graphs(store, shapes).values()))


def graphs_from_store(store: Store) -> tuple[Graph, Graph]:
    """(data, shapes) from a store: the `shapes/` graphs are shapes, everything else
    (ontology, catalogues, data) is data."""
    return split_graphs(store_graphs(store))


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


# --- files straight into a store ------------------------------------------------------------

XSD_STRING = ox.NamedNode("http://www.w3.org/2001/XMLSchema#string")


def typed(term: object) -> bool:
    """A literal whose value Oxigraph may store in canonical form (not a string)."""
    return isinstance(term, ox.Literal) and not term.language and term.datatype != XSD_STRING


class WrittenLiterals(dict):
    """Literals as files wrote them, keyed by how the store holds them: Oxigraph stores
    values ("4.0"^^xsd:decimal as "4"), and SHACL reports terms as written.

    The files are read again for their literals only when a result asks for a typed
    literal, so data without (generated portfolios) is parsed once, by Oxigraph."""

    def __init__(self, sources: Sequence[Source]) -> None:
        super().__init__()
        self.sources, self.read = sources, False
        self.users: dict[Literal, set[Node]] = {}

    def get(self, key: object, default: object = None) -> object:  # type: ignore[override]
        if not self.read and typed(key):
            self._read()
        return super().get(key, default)

    def __bool__(self) -> bool:
        return True

    def _read(self) -> None:
        self.read = True
        users: dict[ox.Literal, set] = {}
        for source in self.sources:
            for q in read_quads(source):
                if typed(q.object):
                    users.setdefault(q.object, set()).add(q.subject)
        written = sorted(users, key=str)
        scratch = ox.Store()
        predicate = ox.NamedNode("urn:stkg:literal")
        scratch.extend(
            ox.Quad(ox.BlankNode(f"l{i}"), predicate, lit) for i, lit in enumerate(written)
        )
        with exact_literals(), warnings.catch_warnings():
            warnings.filterwarnings("ignore", "Parsing weird boolean", UserWarning)
            for quad in scratch:
                lit = written[int(quad.subject.value[1:])]
                if quad.object != lit:
                    self[quad.object] = to_rdflib(lit)
                self.users[to_rdflib(lit)] = {to_rdflib(s) for s in users[lit]}

    def subjects(self, literal: Literal) -> set[Node] | None:
        """`stkg.validate_report.WrittenTerms`: who wrote this literal so."""
        return self.users.get(literal, set()) if self.read else None


# What pySHACL needs of the data for shapes built only of these SHACL terms: the triples of
# the predicates the shapes name (paths, targets, equals/disjoint/lessThan), rdf:type and
# rdfs:subClassOf. Any other SHACL term (sh:closed, SHACL-SPARQL, custom targets, rules) or a
# constraint component of one's own may read any triple: then pySHACL gets them all.
_SHAPE_TERMS = frozenset(SH[name] for name in [
    "property", "path", "inversePath", "alternativePath", "zeroOrMorePath", "oneOrMorePath",
    "zeroOrOnePath", "targetClass", "targetNode", "targetSubjectsOf", "targetObjectsOf", "class",
    "datatype", "nodeKind", "minCount", "maxCount", "minExclusive", "minInclusive",
    "maxExclusive", "maxInclusive", "minLength", "maxLength", "pattern", "flags", "languageIn",
    "uniqueLang", "equals", "disjoint", "lessThan", "lessThanOrEquals", "not", "and", "or",
    "xone", "node", "qualifiedValueShape", "qualifiedMinCount", "qualifiedMaxCount",
    "qualifiedValueShapesDisjoint", "in", "hasValue", "message", "severity", "deactivated",
    "name", "description", "order", "group", "defaultValue",
])  # fmt: skip


def needed_predicates(shapes: Graph, roots: Iterable[Node]) -> set[URIRef] | None:
    """The data predicates that validating the `roots` shapes can read (None: any)."""
    if (None, RDF.type, SH.ConstraintComponent) in shapes:
        return None
    found = {RDF.type, RDFS.subClassOf}
    todo, seen = list(roots), set()
    while todo:
        node = todo.pop()
        if node in seen:
            continue
        seen.add(node)
        for p, o in shapes.predicate_objects(node):
            if str(p).startswith(str(SH)) and p not in _SHAPE_TERMS:
                return None
            if isinstance(o, URIRef):
                found.add(o)
            elif isinstance(o, BNode):
                todo.append(o)
            if p == SH.node or p == SH.qualifiedValueShape:
                todo.append(o)
    return found


def fallback_data(
    store: Store, shapes: Graph, roots: Iterable[Node], written: WrittenLiterals
) -> Graph:
    """The triples of the store the `roots` shapes need, as one rdflib graph with literals
    as written: what pySHACL validates when a shape does not compile."""
    predicates = needed_predicates(shapes, roots)
    where = "?s ?p ?o"
    if predicates is not None:
        where = f"VALUES ?p {{ {' '.join(f'<{p}>' for p in sorted(predicates))} }} " + where
    graph = Graph()
    answer = store.query(f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ {where} }}")
    with exact_literals(), warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Parsing weird boolean", UserWarning)
        for s, p, o in answer.triples:
            graph.add((to_rdflib(s), to_rdflib(p), written.get(o) or to_rdflib(o)))
    return graph
