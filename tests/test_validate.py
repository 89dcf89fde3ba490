"""`stkg validate` and `stkg.validate`: engine seam, formats, exit codes, bad input."""

from __future__ import annotations

import csv
import io
import json

import pytest
import rdflib
import rdflib.term
from rdflib import Graph, URIRef
from rdflib.namespace import SH

from conftest import REPO
from stkg.cli import main
from stkg.store import OxigraphStore
from stkg.validate import RESULTS_GRAPH, project_background, project_shapes, validate
from stkg.validate_formats import FORMATS

PREFIXES = """\
@prefix stkg: <https://w3id.org/stkg#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix ex: <https://w3id.org/stkg/example/test/> .
"""

# A low-impact system in design that answers every question the shapes ask of it.
GOVERNED = (
    PREFIXES
    + """
ex:s a stkg:SocialTechnicalSystem ; rdfs:label "Governed" ;
    stkg:hasOwner ex:owner ; stkg:hasUser ex:users ; stkg:supportsDecision ex:d ;
    stkg:impactLevel stkg:LowImpact ; stkg:consequenceOfError ex:c ; stkg:governedBy ex:p ;
    stkg:hasProcess ex:e ; stkg:lifecycleStage stkg:Design ; stkg:hasRisk ex:r .
ex:owner a stkg:Person . ex:users a stkg:Team . ex:p a stkg:Policy . ex:r a stkg:Risk .
ex:c a stkg:Consequence .
ex:d a stkg:Decision ; stkg:decisionMaker ex:users ; stkg:automationLevel stkg:Advisory .
ex:e a stkg:EscalationPath ; stkg:trigger "complaint" ; stkg:escalatesTo ex:owner ;
    stkg:performedBy ex:users .
ex:raci a stkg:ResponsibilityAssignment ; stkg:assignedFor ex:s ; stkg:assignedTo ex:owner ;
    stkg:raciRole stkg:Accountable .
"""
)


@pytest.fixture(scope="module")
def background(project) -> Graph:
    return project_background(project)


@pytest.fixture(scope="module")
def shapes(project) -> Graph:
    return project_shapes(project)


def data(background: Graph, turtle: str) -> Graph:
    graph = Graph()
    for triple in background:
        graph.add(triple)
    return graph.parse(data=turtle, format="turtle")


def write(tmp_path, name: str, text: str):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def run(runner, *args: str):
    return runner.invoke(main, ["--project", str(REPO), "validate", *args])


# --- the engine seam -------------------------------------------------------------------------


def test_a_fully_answered_system_conforms(background, shapes):
    report = validate(data(background, GOVERNED), shapes)
    assert report.conforms and report.results == []


def test_a_process_typed_with_a_user_defined_subclass_of_escalation_path_counts(background, shapes):
    subclassed = GOVERNED.replace("ex:e a stkg:EscalationPath", "ex:e a ex:OnCallRota") + (
        "ex:OnCallRota rdfs:subClassOf ex:RotaBase . ex:RotaBase rdfs:subClassOf "
        "stkg:EscalationPath .\n"
    )
    report = validate(data(background, subclassed), shapes)
    assert report.results == []
    untyped = GOVERNED.replace("ex:e a stkg:EscalationPath ;", "ex:e")
    shapes_fired = {r.source_shape for r in validate(data(background, untyped), shapes).results}
    assert "https://w3id.org/stkg/shapes#EscalationPathShape" in shapes_fired


def test_results_carry_requirements_systems_and_labels(background, shapes):
    report = validate(data(background, GOVERNED.replace('stkg:trigger "complaint" ;', "")), shapes)
    [result] = report.results
    assert result.source_shape == "https://w3id.org/stkg/shapes#EscalationTriggerShape"
    assert result.focus_node == "https://w3id.org/stkg/example/test/e"
    assert result.systems == ("https://w3id.org/stkg/example/test/s",)
    assert result.severity == "Violation"
    assert result.path == "https://w3id.org/stkg#trigger"
    notations = {(q.framework, q.notation) for q in result.requirements}
    assert notations == {
        ("https://w3id.org/stkg/framework/nist-ai-rmf", "GOVERN 2.1"),
        ("https://w3id.org/stkg/framework/iso-iec-42001", "A.3.3"),
    }
    assert report.labels["https://w3id.org/stkg/example/test/s"] == "Governed"


def test_requirement_notations_come_from_the_iri_scheme_without_a_catalogue(shapes, project):
    ontology = Graph().parse(REPO / "ontology" / "stkg.ttl")
    report = validate(data(ontology, PREFIXES + "ex:s a stkg:SocialTechnicalSystem ."), shapes)
    notations = {q.notation for r in report.results for q in r.requirements}
    assert {"GOVERN 2.1", "A.3.2", "MAP 1.1", "6.1.4"} <= notations


def test_severity_threshold(background, shapes):
    warning_only = GOVERNED.replace("ex:owner a stkg:Person", "ex:owner a stkg:Team")
    report = validate(data(background, warning_only), shapes)
    assert [r.severity for r in report.results] == ["Warning"]
    assert not report.conforms  # SHACL: any result means the data does not conform
    assert not report.fails("Violation") and report.fails("Warning") and report.fails("Info")


@pytest.mark.parametrize("engine", ["sparql", "pyshacl"])
def test_validate_leaves_rdflib_literal_handling_as_it_found_it(background, shapes, engine):
    boolean = URIRef("http://www.w3.org/2001/XMLSchema#boolean")
    saved = rdflib.term._toPythonMapping.get(boolean)

    def custom(text: str) -> bool:
        return text == "yes"

    rdflib.term._toPythonMapping[boolean] = custom
    try:
        before = dict(rdflib.term._toPythonMapping)
        normalize = rdflib.NORMALIZE_LITERALS
        validate(data(background, GOVERNED), shapes, engine=engine)
        assert dict(rdflib.term._toPythonMapping) == before
        assert rdflib.term._toPythonMapping[boolean] is custom
        assert normalize == rdflib.NORMALIZE_LITERALS
    finally:
        rdflib.term._toPythonMapping[boolean] = saved


def test_validate_needs_shapes_for_plain_graphs(background):
    with pytest.raises(ValueError):
        validate(background)


def test_validate_reads_data_and_shapes_from_a_store(mini_project):
    store = mini_project.open_store()
    (mini_project.root / "shapes").mkdir()
    (mini_project.root / "shapes" / "owner.ttl").write_text(
        "@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix stkg: <https://w3id.org/stkg#> .\n"
        "<urn:OwnerShape> a sh:PropertyShape ; sh:targetClass stkg:SocialTechnicalSystem ;\n"
        "  sh:path stkg:hasOwner ; sh:minCount 1 ; sh:message 'no owner'@en .\n",
        encoding="utf-8",
    )
    mini_project.load_into(store)
    report = validate(store)
    # the user-defined subclass in the mini project counts: two systems, two results
    assert sorted(r.focus_node.rsplit("/", 1)[1] for r in report.results) == ["Chatbot", "Triage"]


# --- the command -----------------------------------------------------------------------------


def test_exit_code_0_for_conforming_data(runner, tmp_path):
    result = run(runner, write(tmp_path, "ok.ttl", GOVERNED))
    assert result.exit_code == 0, result.output
    assert "Conforms: no results." in result.stdout


def test_exit_code_1_for_violations_and_text_grouped_by_system(runner, tmp_path):
    bad = GOVERNED.replace("stkg:hasUser ex:users ;", "")
    result = run(runner, write(tmp_path, "bad.ttl", bad))
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[0] == "Governed <https://w3id.org/stkg/example/test/s>"
    assert lines[1].split() == ["Violation", "UsersShape"]
    requirements = next(line for line in lines if "requirements:" in line)
    assert sorted(n.strip() for n in requirements.split(":", 1)[1].split(",")) == [
        "A.9.4",
        "MAP 1.1",
    ]
    assert lines[-1] == "1 result in 1 system: 1 violation, 0 warnings, 0 infos."


def test_fail_on_warning(runner, tmp_path):
    path = write(
        tmp_path, "w.ttl", GOVERNED.replace("ex:owner a stkg:Person", "ex:owner a stkg:Team")
    )
    assert run(runner, path).exit_code == 0
    assert run(runner, "--fail-on", "warning", path).exit_code == 1
    assert run(runner, "--fail-on", "info", path).exit_code == 1


def test_exit_code_2_and_one_line_for_unparseable_data(runner, tmp_path):
    path = write(
        tmp_path, "broken.ttl", PREFIXES + "ex:s a stkg:SocialTechnicalSystem ;\n  stkg:hasUser .\n"
    )
    result = run(runner, path)
    assert result.exit_code == 2
    assert result.stderr.startswith(f"Error: {path}:5:")
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.output


def test_a_missing_file_is_bad_input(runner, tmp_path):
    result = run(runner, str(tmp_path / "nope.ttl"))
    assert result.exit_code == 2
    assert "no such file" in result.stderr


def test_unknown_stkg_terms_are_named_with_the_closest_known_term(runner, tmp_path):
    path = write(tmp_path, "typo.ttl", GOVERNED + "ex:s stkg:hasOwnr ex:owner .\n")
    result = run(runner, path)
    assert result.exit_code == 0
    assert f"warning: {path}: unknown term stkg:hasOwnr (closest known term: stkg:hasOwner)" in (
        result.stderr
    )


def test_json_format(runner, tmp_path):
    result = run(
        runner,
        "--format",
        "json",
        write(tmp_path, "b.ttl", GOVERNED.replace("stkg:hasRisk ex:r .", ".")),
    )
    document = json.loads(result.stdout)
    assert document["conforms"] is False
    [entry] = document["results"]
    assert set(entry) >= {
        "focus_node", "severity", "message", "path", "value", "source_shape", "requirements",
    }  # fmt: skip
    assert entry["severity"] == "Info"
    assert {q["notation"] for q in entry["requirements"]} == {"MEASURE 3.1", "MANAGE 1.3"}
    assert all(set(q) == {"iri", "framework", "notation"} for q in entry["requirements"])
    assert result.exit_code == 0  # an Info alone does not fail


def test_csv_and_markdown_formats(runner, tmp_path):
    path = write(tmp_path, "b.ttl", GOVERNED.replace("stkg:hasUser ex:users ;", ""))
    rows = list(csv.DictReader(io.StringIO(run(runner, "--format", "csv", path).stdout)))
    assert [(r["severity"], r["source_shape"].rsplit("#")[1]) for r in rows] == [
        ("Violation", "UsersShape")
    ]
    assert sorted(rows[0]["notations"].split("; ")) == ["A.9.4", "MAP 1.1"]
    markdown = run(runner, "--format", "markdown", path).stdout
    assert markdown.startswith("# Validation report")
    assert "| severity | shape | focus | message | requirements |" in markdown
    assert "| Violation | UsersShape |" in markdown


def test_turtle_format_is_the_standard_validation_report(runner, tmp_path):
    path = write(tmp_path, "b.ttl", GOVERNED.replace("stkg:hasUser ex:users ;", ""))
    graph = Graph().parse(data=run(runner, "--format", "turtle", path).stdout, format="turtle")
    [report] = graph.subjects(rdflib.RDF.type, SH.ValidationReport)
    assert graph.value(report, SH.conforms).toPython() is False
    [result] = graph.objects(report, SH.result)
    assert graph.value(result, SH.sourceShape) == URIRef("https://w3id.org/stkg/shapes#UsersShape")


def test_results_can_be_stored_as_a_named_graph(runner, tmp_path):
    path = write(tmp_path, "b.ttl", GOVERNED.replace("stkg:hasUser ex:users ;", ""))
    store_dir = tmp_path / "kg"
    result = runner.invoke(
        main,
        ["--project", str(REPO), "--store", str(store_dir), "validate", "--store-results", path],
    )
    assert result.exit_code == 1, result.output
    later = runner.invoke(  # a later command reloads the project; the results graph stays
        main,
        ["--project", str(REPO), "--store", str(store_dir), "query", "--format", "json",
         "--sparql", f"ASK {{ GRAPH <{RESULTS_GRAPH}> {{ ?s ?p ?o }} }}"],
    )  # fmt: skip
    assert json.loads(later.stdout)["boolean"] is True, later.output
    store = OxigraphStore(store_dir)
    try:
        answer = store.query(
            "PREFIX sh: <http://www.w3.org/ns/shacl#> SELECT ?shape WHERE { "
            f"GRAPH <{RESULTS_GRAPH}> {{ ?r a sh:ValidationResult ; sh:sourceShape ?shape }} }}"
        )
        assert [row[0].value for row in answer.rows] == ["https://w3id.org/stkg/shapes#UsersShape"]
    finally:
        store.close()


def test_without_files_the_project_data_is_validated(runner):
    result = run(runner, "--format", "json")
    assert result.exit_code == 1
    focus = {r["focus_node"] for r in json.loads(result.stdout)["results"]}
    assert "https://w3id.org/stkg/example/acme/NextBestOffer" in focus
    assert "warning:" not in result.stderr  # the project uses only declared stkg: terms


def test_both_engines_give_the_same_report_from_the_command(runner, tmp_path):
    path = write(tmp_path, "b.ttl", GOVERNED.replace("stkg:hasUser ex:users ;", ""))
    compiled = json.loads(run(runner, "--format", "json", path).stdout)
    reference = json.loads(run(runner, "--format", "json", "--engine", "pyshacl", path).stdout)
    assert compiled["engine"] == {"name": "sparql", "compiled": compiled["engine"]["compiled"],
                                  "fallback": []}  # fmt: skip
    assert compiled["engine"]["compiled"] >= 30
    assert reference["engine"]["name"] == "pyshacl"
    assert compiled["results"] == reference["results"]


def test_text_output_names_the_shapes_left_to_pyshacl(background, shapes):
    extra = Graph().parse(
        data="@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix stkg: <https://w3id.org/stkg#> ."
        "<urn:IntShape> a sh:PropertyShape ; sh:targetClass stkg:SocialTechnicalSystem ;"
        " sh:path stkg:version ; sh:datatype <http://www.w3.org/2001/XMLSchema#int> .",
        format="turtle",
    )
    report = validate(data(background, GOVERNED), shapes + extra)
    assert [shape for shape, _ in report.engine.fallback] == ["urn:IntShape"]
    text = FORMATS["text"](report)
    assert "1 validated by pySHACL: urn:IntShape (sh:datatype" in text
    assert text.splitlines()[-1] == "Conforms: no results."


def test_a_system_that_is_a_blank_node_is_reported_not_a_crash(runner, tmp_path):
    # `[] a stkg:SocialTechnicalSystem` in a store once made the report's label lookup raise
    # "Invalid IRI code point" on the blank node's id.
    path = write(tmp_path, "blank.ttl", PREFIXES + "[] a stkg:SocialTechnicalSystem .\n")
    store = ["--project", str(REPO), "--store", str(tmp_path / "kg")]
    assert runner.invoke(main, [*store, "load", path]).exit_code == 0
    result = runner.invoke(main, [*store, "validate", "--format", "json"])
    assert result.exit_code == 1, result.output
    shapes = {r["source_shape"] for r in json.loads(result.stdout)["results"]}
    assert "https://w3id.org/stkg/shapes#AccountableOwnerShape" in shapes
