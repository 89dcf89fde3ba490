"""`stkg.shacl.scope`: validation reads the union of all graphs only when that is exact."""

from __future__ import annotations

import pyoxigraph as ox
from rdflib import Graph

from stkg.shacl.scope import scope
from stkg.store import OxigraphStore
from stkg.validate import validate

SHAPES = """\
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix ex: <https://example.org/> .
ex:ThingShape a sh:NodeShape ; sh:targetClass ex:Thing ;
  sh:property [ sh:path ex:name ; sh:minCount 1 ] .
"""
DATA = "@prefix ex: <https://example.org/> . ex:a a ex:Thing . ex:b a ex:Thing ; ex:name 'b' ."
DATA_GRAPH = "https://example.org/graph/data"
SHAPES_GRAPH = "https://w3id.org/stkg/graph/shapes/test.ttl"


def _store(shapes: str, data: str) -> OxigraphStore:
    store = OxigraphStore()
    for text, graph in ((shapes, SHAPES_GRAPH), (data, DATA_GRAPH)):
        triples = ox.parse(text.encode(), format=ox.RdfFormat.TURTLE)
        store.add_quads(
            ox.Quad(t.subject, t.predicate, t.object, ox.NamedNode(graph)) for t in triples
        )
    return store


def _keys(report) -> list[tuple]:
    return sorted((r.focus_node, r.source_shape, r.path, r.value) for r in report.results)


def test_disjoint_shapes_are_read_through_the_union_with_the_same_results():
    store = _store(SHAPES, DATA)
    shapes = Graph().parse(data=SHAPES, format="turtle")
    found = scope(store, [DATA_GRAPH], [SHAPES_GRAPH], shapes)
    assert found.union
    assert found.graphs("SELECT * WHERE { ?s <https://example.org/name> ?o }") is None
    assert found.graphs("SELECT * WHERE { ?s <http://www.w3.org/ns/shacl#path> ?o }") == [
        DATA_GRAPH
    ]
    report = validate(store)
    assert _keys(report) == _keys(validate(store, engine="pyshacl"))
    assert [r.focus_node for r in report.results] == ["https://example.org/a"]


def test_a_shape_that_is_also_a_data_node_keeps_the_named_data_graphs():
    data = DATA + " ex:ThingShape a ex:Thing ."  # the shape IRI is data too
    store = _store(SHAPES, data)
    shapes = Graph().parse(data=SHAPES, format="turtle")
    assert not scope(store, [DATA_GRAPH], [SHAPES_GRAPH], shapes).union
    report = validate(store)
    assert _keys(report) == _keys(validate(store, engine="pyshacl"))
    assert "https://example.org/ThingShape" in {r.focus_node for r in report.results}


def test_a_sparql_target_reaching_any_typed_node_keeps_the_named_data_graphs():
    shapes_text = SHAPES.replace(
        "sh:targetClass ex:Thing ;",
        'sh:target [ a sh:SPARQLTarget ; sh:select "SELECT ?this WHERE { ?this a ?type }" ] ;',
    )
    store = _store(shapes_text, DATA)
    shapes = Graph().parse(data=shapes_text, format="turtle")
    assert not scope(store, [DATA_GRAPH], [SHAPES_GRAPH], shapes).union
    report = validate(store)
    assert _keys(report) == _keys(validate(store, engine="pyshacl"))


def test_a_target_on_rdf_type_keeps_the_named_data_graphs():
    shapes_text = SHAPES.replace(
        "sh:targetClass ex:Thing ;",
        "sh:targetSubjectsOf <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> ;",
    )
    store = _store(shapes_text, DATA)
    shapes = Graph().parse(data=shapes_text, format="turtle")
    assert not scope(store, [DATA_GRAPH], [SHAPES_GRAPH], shapes).union
    report = validate(store)
    assert _keys(report) == _keys(validate(store, engine="pyshacl"))
    assert {r.focus_node for r in report.results} == {"https://example.org/a"}
