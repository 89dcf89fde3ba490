"""`stkg.shacl.compile`: every shape stkg ships compiles, each feature gives pySHACL's answer,
and what does not compile falls back to pySHACL and is reported."""

from __future__ import annotations

from dataclasses import replace

import pytest
from rdflib import Graph

from stkg.shacl.compile import compile_shapes, targeted_shapes
from stkg.shacl.engine import result_keys
from stkg.validate import project_background, project_shapes, validate

PREFIXES = """\
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix ex: <http://example.org/> .
"""

DATA = (
    PREFIXES
    + """
ex:Sub rdfs:subClassOf ex:Thing .
ex:a a ex:Thing ; ex:p ex:b , ex:c ; ex:name "A"@en , "A2"@en , "x" ; ex:age 5 ; ex:q ex:b .
ex:b a ex:Sub ; ex:r ex:c ; ex:age "old" .
ex:c ex:r ex:d ; ex:name "C" .
ex:d a ex:Other .
ex:e ex:p ex:a .
"""
)

# Shapes graph -> what it exercises. Each is validated by both engines, which must agree.
FEATURES = {
    "class with subclasses, targetClass": "ex:S a sh:PropertyShape ; sh:targetClass ex:Thing ;"
    " sh:path ex:p ; sh:class ex:Thing .",
    "minCount, maxCount": "ex:S a sh:PropertyShape ; sh:targetClass ex:Thing ; sh:path ex:p ;"
    " sh:minCount 3 ; sh:maxCount 1 .",
    "datatype, nodeKind": "ex:S a sh:PropertyShape ; sh:targetSubjectsOf ex:age ; sh:path ex:age ;"
    " sh:datatype xsd:integer ; sh:nodeKind sh:Literal .",
    "in, hasValue": "ex:S a sh:PropertyShape ; sh:targetNode ex:a , ex:b ; sh:path ex:p ;"
    " sh:in ( ex:b ) ; sh:hasValue ex:c .",
    "pattern, lengths, languageIn, uniqueLang": "ex:S a sh:PropertyShape ; sh:targetNode ex:a ;"
    ' sh:path ex:name ; sh:pattern "^A" ; sh:maxLength 1 ; sh:languageIn ( "en" ) ;'
    " sh:uniqueLang true .",
    "ranges": "ex:S a sh:PropertyShape ; sh:targetObjectsOf ex:p ; sh:path ex:age ;"
    " sh:minInclusive 6 ; sh:maxExclusive 10 .",
    "inverse, sequence and zeroOrMore paths": "ex:S a sh:PropertyShape ; sh:targetNode ex:a ;"
    " sh:path ( ex:p [ sh:zeroOrMorePath ex:r ] ) ; sh:class ex:Other .",
    "inverse path": "ex:S a sh:PropertyShape ; sh:targetNode ex:a ;"
    " sh:path [ sh:inversePath ex:p ] ; sh:minCount 2 .",
    "qualifiedValueShape with a nested property shape": "ex:S a sh:PropertyShape ;"
    " sh:targetClass ex:Thing ; sh:path ex:p ; sh:qualifiedMinCount 1 ;"
    " sh:qualifiedValueShape [ sh:class ex:Sub ; sh:property [ sh:path ex:r ; sh:minCount 1 ;"
    " sh:class ex:Other ] ] .",
    "node, not, and, or, xone": "ex:S a sh:NodeShape ; sh:targetNode ex:a , ex:b , ex:c ;"
    " sh:node [ sh:class ex:Thing ] ; sh:not [ sh:class ex:Sub ] ;"
    " sh:or ( [ sh:class ex:Sub ] [ sh:nodeKind sh:BlankNode ] ) ;"
    " sh:xone ( [ sh:class ex:Thing ] [ sh:class ex:Sub ] ) .",
    "equals, disjoint, lessThan": "ex:S a sh:PropertyShape ; sh:targetNode ex:a ; sh:path ex:p ;"
    " sh:equals ex:q ; sh:disjoint ex:r .",
    "closed": "ex:S a sh:NodeShape ; sh:targetNode ex:c ; sh:closed true ;"
    " sh:property [ sh:path ex:r ] .",
    "SPARQL target and SHACL-SPARQL constraint with $PATH": """
ex:S a sh:PropertyShape ; sh:path ex:p ;
  sh:target [ a sh:SPARQLTarget ;
    sh:select "SELECT ?this WHERE { ?this <http://example.org/q> ?x }" ] ;
  sh:sparql [ sh:message "{?value} has no r"@en ; sh:select '''
    SELECT $this ?value WHERE { $this $PATH ?value . ?value a <http://example.org/Sub> }''' ] .
""",
}


def graph(turtle: str) -> Graph:
    return Graph().parse(data=PREFIXES + turtle, format="turtle")


@pytest.mark.parametrize("feature", sorted(FEATURES))
def test_each_feature_compiles_and_gives_pyshacls_results(feature):
    data, shapes = graph(DATA), graph(FEATURES[feature])
    compiled = validate(data, shapes, engine="sparql")
    assert compiled.engine.fallback == (), compiled.engine.fallback
    assert compiled.engine.compiled
    reference = validate(data, shapes, engine="pyshacl")
    assert reference.results, f"{feature}: the snippet should produce results"
    assert result_keys(compiled.graph) == result_keys(reference.graph)
    # without sh:message each engine writes its own generic message: compare the rest
    assert [replace(r, message="") for r in compiled.results] == [
        replace(r, message="") for r in reference.results
    ]


def test_every_shape_stkg_ships_compiles(project):
    shapes = project_shapes(project)
    plan = compile_shapes(shapes)
    assert plan.fallback == {}
    assert set(plan.compiled) == set(targeted_shapes(shapes))
    assert len(plan.compiled) >= 30


def test_negation_is_minus_never_filter_not_exists(project):
    """FILTER NOT EXISTS runs once per row in pyoxigraph 0.5 (quadratic); MINUS once."""
    plan = compile_shapes(project_shapes(project))
    assert all("NOT EXISTS" not in check.query.upper() for check in plan.checks)
    assert any("MINUS" in check.query for check in plan.checks)


def test_a_shape_that_does_not_compile_falls_back_to_pyshacl_and_is_reported(project, runner):
    shapes = graph(
        "ex:Int a sh:PropertyShape ; sh:targetSubjectsOf ex:age ; sh:path ex:age ;"
        " sh:datatype xsd:int .\n" + FEATURES["minCount, maxCount"]
    )
    data = graph(DATA)
    report = validate(data, shapes, engine="sparql")
    fallback = dict(report.engine.fallback)
    assert set(fallback) == {"http://example.org/Int"}
    assert (
        "xsd" in fallback["http://example.org/Int"] or "int" in fallback["http://example.org/Int"]
    )
    assert report.engine.compiled == ("http://example.org/S",)
    reference = validate(data, shapes, engine="pyshacl").results
    assert [replace(r, message="") for r in report.results] == [
        replace(r, message="") for r in reference
    ]
    assert {r.source_shape for r in report.results} == {
        "http://example.org/Int", "http://example.org/S",
    }  # fmt: skip


def test_the_stkg_example_background_compiles_with_subclass_axioms(project):
    """sh:class and targetClass see the ontology's subclasses: the data graph is the union."""
    data = project_background(project)
    data.parse(
        data="@prefix stkg: <https://w3id.org/stkg#> . @prefix ex: <http://example.org/> .\n"
        "ex:s a stkg:SocialTechnicalSystem ; stkg:hasOwner ex:team . ex:team a stkg:Team .\n",
        format="turtle",
    )
    report = validate(data, project_shapes(project), engine="sparql")
    shapes_on_s = {r.source_shape for r in report.results if r.focus_node == "http://example.org/s"}
    assert "https://w3id.org/stkg/shapes#AccountableOwnerShape" not in shapes_on_s  # Team ⊑ Agent
    assert "https://w3id.org/stkg/shapes#NamedOwnerShape" in shapes_on_s
    assert report.results == validate(data, project_shapes(project), engine="pyshacl").results
