"""Every governance shape: documented, linked to requirements, and tested both ways.

Each named shape in shapes/ has a snippet file tests/shapes/<ShapeName>.trig with a graph
<urn:stkg:test:conforms> (no result from the shape) and <urn:stkg:test:violates> (at least
one). Snippets are validated as stkg validates data: with the ontology in the data graph.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import RDF, RDFS, BNode, Dataset, Graph, Literal, URIRef
from rdflib.namespace import SH

from conftest import REPO
from stkg.namespace import STKG_NS
from stkg.validate import validate
from stkg.validate_formats import render_text

# rdflib's TriG parser uses its own deprecated ConjunctiveGraph internally.
pytestmark = [
    pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning"),
    pytest.mark.filterwarnings("ignore:Dataset.default_context is deprecated:DeprecationWarning"),
]

SHAPES_NS = "https://w3id.org/stkg/shapes#"
SNIPPETS = Path(__file__).parent / "shapes"
OPERATIONALISES = URIRef(STKG_NS + "operationalises")
FRAMEWORK_SCHEMES = tuple(
    f"https://w3id.org/stkg/framework/{slug}/"
    for slug in ("nist-ai-rmf", "nist-ai-600-1", "iso-iec-42001", "eu-ai-act")
)
SEVERITIES = {SH.Violation, SH.Warning, SH.Info}


def load(*paths: Path) -> Graph:
    graph = Graph()
    for path in paths:
        graph.parse(path, format="turtle")
    return graph


SHAPES = load(*sorted((REPO / "shapes").glob("*.ttl")))
ONTOLOGY = load(REPO / "ontology" / "stkg.ttl")
NAMED_SHAPES = sorted(
    s
    for kind in (SH.NodeShape, SH.PropertyShape)
    for s in SHAPES.subjects(RDF.type, kind)
    if isinstance(s, URIRef)
)


def short(shape: URIRef) -> str:
    return str(shape).removeprefix(SHAPES_NS)


def test_the_shapes_cover_every_theme():
    assert len(NAMED_SHAPES) >= 30
    files = {p.name for p in (REPO / "shapes").glob("*.ttl")}
    assert {"core.ttl", "eu-ai-act.ttl", "nist-ai-rmf.ttl", "iso-iec-42001.ttl"} <= files


@pytest.mark.parametrize("shape", NAMED_SHAPES, ids=short)
def test_shape_is_documented_with_severity_message_and_requirements(shape):
    problems = []
    if not str(shape).startswith(SHAPES_NS) or not short(shape).endswith("Shape"):
        problems.append("IRI must be stkgsh:<Name>Shape")
    if SHAPES.value(shape, RDFS.label) is None:
        problems.append("no rdfs:label")
    # the shape itself and every property shape that can produce a result
    for node in [shape, *SHAPES.objects(shape, SH.property)]:
        severity = SHAPES.value(node, SH.severity)
        if severity not in SEVERITIES:
            problems.append(f"{node}: sh:severity must be Violation, Warning or Info: {severity}")
        messages = [m for m in SHAPES.objects(node, SH.message) if isinstance(m, Literal)]
        if not any(m.language == "en" for m in messages):
            problems.append(f"{node}: no sh:message@en")
    requirements = [str(r) for r in SHAPES.objects(shape, OPERATIONALISES)]
    if not requirements:
        problems.append("no stkg:operationalises link")
    problems += [f"not a framework requirement IRI: {r}" for r in requirements
                 if not r.startswith(FRAMEWORK_SCHEMES)]  # fmt: skip
    assert not problems, f"{short(shape)}: " + "; ".join(problems)


def catalogue() -> Graph | None:
    files = sorted((REPO / "data" / "frameworks").glob("*.ttl"))
    return load(*files) if files else None


def test_every_operationalised_requirement_exists_in_the_catalogues():
    graph = catalogue()
    if graph is None:
        pytest.skip("data/frameworks/ holds no catalogue yet")
    used = {o for o in SHAPES.objects(None, OPERATIONALISES)}
    missing = sorted(str(r) for r in used if (r, None, None) not in graph)
    assert not missing, f"requirements not in data/frameworks/: {missing}"


def test_every_snippet_file_belongs_to_a_shape():
    names = {short(s) for s in NAMED_SHAPES}
    orphans = sorted(p.stem for p in SNIPPETS.glob("*.trig") if p.stem not in names)
    assert not orphans, f"snippets for shapes that do not exist: {orphans}"


def snippet(shape: URIRef, which: str) -> Graph:
    path = SNIPPETS / f"{short(shape)}.trig"
    assert path.is_file(), f"{short(shape)} has no snippet file tests/shapes/{path.name}"
    dataset = Dataset()
    dataset.parse(path, format="trig")
    graph = dataset.graph(URIRef(f"urn:stkg:test:{which}"))
    assert len(graph) > 0, f"{path.name} has no <urn:stkg:test:{which}> graph"
    data = Graph()
    for triple in (*ONTOLOGY, *graph):
        data.add(triple)
    return data


@pytest.mark.parametrize("shape", NAMED_SHAPES, ids=short)
def test_conforming_snippet_gives_no_result(shape):
    report = validate(snippet(shape, "conforms"), SHAPES, only=[str(shape)])
    assert not report.results, render_text(report)


@pytest.mark.parametrize("shape", NAMED_SHAPES, ids=short)
def test_violating_snippet_gives_a_result_from_the_shape(shape):
    report = validate(snippet(shape, "violates"), SHAPES, only=[str(shape)])
    assert report.results, f"{short(shape)}: the violating snippet conforms"
    assert {r.source_shape for r in report.results} == {str(shape)}, render_text(report)
    expected = SHAPES.value(shape, SH.severity).removeprefix(str(SH))
    assert {r.severity for r in report.results} == {expected}, render_text(report)


# --- conditional shapes never fire from missing data ----------------------------------------


def system(turtle: str) -> Graph:
    data = Graph()
    for triple in ONTOLOGY:
        data.add(triple)
    return data.parse(
        data=f"@prefix stkg: <{STKG_NS}> . @prefix ex: <https://w3id.org/stkg/example/test/> .\n"
        f"@prefix euaia: <https://w3id.org/stkg/framework/eu-ai-act/> .\n{turtle}",
        format="turtle",
    )


CONDITIONAL = [s for s in NAMED_SHAPES if SHAPES.value(s, SH.target) is not None]
EU_SHAPES = [s for s in NAMED_SHAPES if short(s).startswith("EU")]


def test_conditional_shapes_are_the_high_impact_deployed_and_eu_ones():
    assert set(EU_SHAPES) <= set(CONDITIONAL)
    assert URIRef(SHAPES_NS + "HumanReviewShape") in CONDITIONAL
    assert URIRef(SHAPES_NS + "MonitoringShape") in CONDITIONAL


def test_a_system_without_facts_is_never_treated_as_high_impact_deployed_or_high_risk():
    report = validate(system("ex:s a stkg:SocialTechnicalSystem ."), SHAPES)
    fired = {r.source_shape for r in report.results}
    assert fired, "a system with no facts must fail the core questions"
    assert not fired & {str(s) for s in CONDITIONAL}, render_text(report)


@pytest.mark.parametrize(
    "facts",
    [
        # an Annex III point without a role, a role without an Annex III point
        "ex:s stkg:hasContextOfUse ex:c . ex:c stkg:annexIIIArea euaia:annex-III-5-b .",
        "ex:s stkg:euAIActRole stkg:ProviderRole , stkg:DeployerRole ; "
        "stkg:lifecycleStage stkg:Deployed .",
    ],
    ids=["annex-point-without-role", "role-without-annex-point"],
)
def test_eu_ai_act_obligations_need_both_an_annex_iii_point_and_a_role(facts):
    report = validate(system(f"ex:s a stkg:SocialTechnicalSystem .\n{facts}"), SHAPES)
    assert not {r.source_shape for r in report.results} & {str(s) for s in EU_SHAPES}, render_text(
        report
    )


def test_separation_of_duties_names_the_reviewer_and_the_developer():
    data = snippet(URIRef(SHAPES_NS + "SeparationOfDutiesShape"), "violates")
    report = validate(data, SHAPES, only=[SHAPES_NS + "SeparationOfDutiesShape"])
    [result] = report.results
    assert result.value == "https://w3id.org/stkg/example/test/reviewer"
    assert "https://w3id.org/stkg/example/test/builders" in result.message


def test_anonymous_property_shapes_report_their_named_parent():
    shape = URIRef(SHAPES_NS + "DecisionDocumentationShape")
    assert all(isinstance(p, BNode) for p in SHAPES.objects(shape, SH.property))
    report = validate(snippet(shape, "violates"), SHAPES, only=[str(shape)])
    assert [r.source_shape for r in report.results] == [str(shape)]
    assert [q.notation for q in report.results[0].requirements] == ["A.9.2", "GOVERN 3.2"]
