"""The graphs validation reads: data and shapes from files, a project or a store.

rdflib graphs, because pySHACL (the reference engine) and the report explanations read
them; literals are parsed exactly as written, since SHACL compares terms.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import pyoxigraph as ox
import rdflib
from rdflib import Graph

from stkg.project import GRAPH_BASE, Project
from stkg.rdf_files import Source, read_quads
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
