"""Named queries: the `#+` header, typed parameters bound by the engine, and every shipped
query as a competency question with its expected answer on the example portfolio
(data/examples/README.md documents the gaps these answers come from)."""

from __future__ import annotations

import json
import re

import pyoxigraph as ox
import pytest

from conftest import BACKENDS, REPO, backend_store, write_project
from stkg.cli import main
from stkg.errors import SourceError
from stkg.execution import LocalExecutor
from stkg.project import Project
from stkg.queries import (
    HEADER_KEYS,
    PARAM_KEYS,
    ParameterError,
    named_queries,
    parse_query_file,
    project_prefixes,
)
from stkg.store import QueryRequest

EX = "https://w3id.org/stkg/example/acme/"
EXAMPLES_README = (REPO / "data" / "examples" / "README.md").read_text(encoding="utf-8")
README = (REPO / "README.md").read_text(encoding="utf-8")
REQUIRED = [
    "systems-without-escalation-path",
    "high-impact-systems-without-human-review",
    "deployed-systems-without-monitoring",
    "reviewer-is-developer",
    "systems-without-owner",
    "system-profile",
    "framework-coverage",
    "requirements-without-controls",
    "crosswalk",
    "eu-ai-act-high-risk-systems",
    "system-users",
    "system-decisions",
    "system-consequences",
    "system-reviewers",
    "system-controls",
    "system-monitoring",
]


@pytest.fixture(scope="module", params=BACKENDS)
def store(request, project):
    """Every competency question runs on the embedded store and on Virtuoso."""
    return backend_store(request, project)


@pytest.fixture(scope="module")
def queries(project):
    return named_queries(project)


def run(store, query, **values):
    return (
        LocalExecutor(store, max_rows=10**9)
        .query(QueryRequest(query.sparql, query.bindings(values)))
        .result
    )


def systems(result, var="system"):
    return sorted({row[var].value.removeprefix(EX) for row in result.dicts() if var in row})


def documented_gap(shape: str) -> list[str]:
    """Systems the examples README lists with a result of `shape` on the system itself."""
    rows = re.findall(r"^\| `ex:(\w+)` \| `ex:(\w+)` \| `stkgsh:(\w+)`", EXAMPLES_README, re.M)
    return sorted({system for system, focus, name in rows if name == shape and focus == system})


def test_every_required_query_ships_with_a_summary(queries):
    assert set(REQUIRED) <= set(queries)
    for name in REQUIRED:
        assert queries[name].summary and queries[name].description, name


def test_every_header_key_is_documented_in_the_readme():
    for key in (*HEADER_KEYS, *PARAM_KEYS):
        assert f"`{key}`" in README, key


def test_systems_without_escalation_path(store, queries):
    answer = systems(run(store, queries["systems-without-escalation-path"]))
    assert answer == documented_gap("EscalationPathShape")
    assert "CustomerServiceChatbot" in answer


def test_high_impact_systems_without_human_review(store, queries):
    answer = systems(run(store, queries["high-impact-systems-without-human-review"]))
    assert answer == documented_gap("HumanReviewShape")


@pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")
@pytest.mark.filterwarnings("ignore:Dataset.default_context is deprecated:DeprecationWarning")
def test_a_reviewer_in_a_sub_team_of_the_developing_team_is_no_independent_reviewer(
    tmp_path, queries
):
    # one meaning for the named query and stkgsh:SeparationOfDutiesShape: memberOf is followed
    # transitively (the shape's snippets: a two-level team violates, a sibling team conforms)
    from rdflib import Dataset, URIRef

    from stkg.store import OxigraphStore, Source

    trig = REPO / "tests" / "shapes" / "SeparationOfDutiesShape.trig"
    dataset = Dataset()
    dataset.parse(trig, format="trig")
    for which, expected in (("violates", ["test/s"]), ("conforms", [])):
        path = tmp_path / f"{which}.nt"
        dataset.graph(URIRef(f"urn:stkg:test:{which}")).serialize(
            path, format="nt", encoding="utf-8"
        )
        store = OxigraphStore()
        store.load(
            [
                Source(REPO / "ontology" / "stkg.ttl", "urn:g:ontology", "stkg.ttl"),
                Source(path, "urn:g:data", path.name),
            ]
        )
        result = run(store, queries["reviewer-is-developer"])
        found = [
            row["system"].value.removeprefix("https://w3id.org/stkg/example/") for row in
            result.dicts()
        ]  # fmt: skip
        assert found == expected, which
        if expected:
            [row] = run(store, queries["reviewer-is-developer"]).dicts()
            assert row["developer"].value.endswith("/builders")


def test_deployed_systems_without_monitoring(store, queries):
    answer = systems(run(store, queries["deployed-systems-without-monitoring"]))
    assert answer == documented_gap("MonitoringShape")


def test_reviewer_is_developer(store, queries):
    answer = systems(run(store, queries["reviewer-is-developer"]))
    assert answer == documented_gap("SeparationOfDutiesShape") == ["CandidateScreening"]


def test_systems_without_owner(store, queries):
    answer = systems(run(store, queries["systems-without-owner"]))
    assert answer == documented_gap("AccountableOwnerShape")


def test_eu_ai_act_high_risk_systems_are_those_with_an_annex_iii_point(store, queries):
    table = re.findall(
        r"^\| `ex:(\w+)` \|[^\n]*\| (III\.\d\([a-z]\)|none|\*not recorded\*)", EXAMPLES_README, re.M
    )
    expected = sorted(system for system, point in table if point.startswith("III."))
    result = run(store, queries["eu-ai-act-high-risk-systems"])
    assert systems(result) == expected
    loan = run(store, queries["eu-ai-act-high-risk-systems"], system=EX + "LoanApproval")
    assert [row["notation"].value for row in loan.dicts()] == ["III.5(b)"]


def test_system_profile_gives_the_five_elements(store, queries):
    result = run(store, queries["system-profile"], system=EX + "LoanApproval")
    elements = {row["element"].value for row in result.dicts()}
    assert {
        "people",
        "technology",
        "processes",
        "policies and governance",
        "context of use",
        "decision",
        "impact",
    } <= elements
    facts = {(row["relation"].value.rsplit("#")[1], row["value"].value) for row in result.dicts()}
    assert ("hasOwner", EX + "MariaLopez") in facts
    assert ("impactLevel", "https://w3id.org/stkg#HighImpact") in facts
    with pytest.raises(ParameterError, match="required"):
        queries["system-profile"].bindings({})


@pytest.mark.parametrize(
    ("query", "variable", "value"),
    [
        ("system-users", "user", EX + "LoanOfficers"),
        ("system-decisions", "decision", EX + "CreditApprovalDecision"),
        ("system-consequences", "consequence", EX + "WrongfulRefusal"),
        ("system-reviewers", "reviewer", EX + "CreditReviewTeam"),
        ("system-controls", "measure", EX + "HumanReviewControl"),
        ("system-monitoring", "monitoring", EX + "LoanModelMonitoring"),
    ],
)
def test_the_six_questions_answer_for_the_loan_system(store, queries, query, variable, value):
    result = run(store, queries[query], system=EX + "LoanApproval")
    assert systems(result) == ["LoanApproval"]
    assert value in {row[variable].value for row in result.dicts() if variable in row}


def test_the_six_questions_show_the_gaps_of_the_unfinished_system(store, queries):
    nbo = EX + "NextBestOffer"
    for name, variable in [
        ("system-users", "user"),
        ("system-decisions", "decision"),
        ("system-consequences", "consequence"),
        ("system-controls", "measure"),
    ]:
        rows = run(store, queries[name], system=nbo).dicts()
        assert rows and all(variable not in row for row in rows), name


def test_framework_coverage_counts_controls_per_requirement(store, queries):
    result = run(store, queries["framework-coverage"], framework="nist-ai-rmf").dicts()
    by_code = {
        row["notation"].value: int(row["controls"].value) for row in result if "notation" in row
    }
    assert len(by_code) >= 72  # every subcategory, and the functions and categories
    assert by_code["GOVERN 2.1"] >= 1  # the organisation's controls implement it (README)


def test_requirements_without_controls_leave_out_implemented_ones(store, queries):
    rows = run(store, queries["requirements-without-controls"], framework="nist-ai-rmf").dicts()
    codes = {row["notation"].value for row in rows if "notation" in row}
    assert "GOVERN 2.1" not in codes
    assert all(row["framework"].value.endswith("/nist-ai-rmf") for row in rows)
    assert codes  # the example controls do not cover all 72 subcategories


def test_crosswalk_between_two_frameworks(store, queries):
    rows = run(store, queries["crosswalk"], source="nist-ai-rmf", target="iso-iec-42001").dicts()
    assert rows
    assert all(
        row["sourceRequirement"].value.startswith("https://w3id.org/stkg/framework/nist-ai-rmf/")
        for row in rows
    )
    assert all(
        row["targetRequirement"].value.startswith("https://w3id.org/stkg/framework/iso-iec-42001/")
        for row in rows
    )


def test_queries_honour_user_subclasses(tmp_path):
    ttl = """@prefix stkg: <https://w3id.org/stkg#> . @prefix ex: <urn:x:> .
    @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
    ex:Hotline rdfs:subClassOf stkg:EscalationPath .
    ex:Clinical rdfs:subClassOf stkg:SocialTechnicalSystem .
    ex:a a ex:Clinical ; stkg:hasProcess ex:p . ex:p a ex:Hotline .
    ex:b a ex:Clinical ."""
    root = write_project(tmp_path / "p", {"ontology/o.ttl": ttl})
    (root / "queries").mkdir()
    (root / "queries" / "q.rq").write_text(
        (REPO / "queries" / "systems-without-escalation-path.rq").read_text(encoding="utf-8"),
        encoding="utf-8",
    )
    project = Project(root)
    result = run(project.open_store(), named_queries(project)["q"])
    assert [row["system"].value for row in result.dicts()] == ["urn:x:b"]


def _query_file(tmp_path, header: str, body: str = "SELECT ?system WHERE { ?system ?p ?o }"):
    path = tmp_path / "q.rq"
    path.write_text(header + body + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("header", "line", "message"),
    [
        ("#+ summary: ok\n#+ sumary: typo\n", 2, "unknown key 'sumary'"),
        ("#+ summary: ok\n#+ tags: [a\n", 2, "malformed #+ header"),
        ("#+ summary: ok\n#+ tags: &a [x]\n#+ description: *a\n", 3, "aliases"),
        ("#+ summary: ok\n#+ params:\n#+   system:\n#+     type: colour\n", 1, "unknown type"),
        ("#+ params:\n#+   other:\n#+     type: iri\n", 1, "not a variable of the query"),
        ("#+ params:\n#+   system:\n#+     type: integer\n#+     default: ten\n", 1, "default"),
    ],
)
def test_a_malformed_header_is_an_error_naming_file_and_line(tmp_path, header, line, message):
    with pytest.raises(SourceError, match=re.escape(message)) as error:
        parse_query_file(_query_file(tmp_path, header))
    assert error.value.source.endswith("q.rq")
    assert error.value.line == line


@pytest.mark.parametrize(
    ("kind", "value", "expected"),
    [
        (
            "iri",
            "https://w3id.org/stkg/example/acme/LoanApproval",
            ox.NamedNode(EX + "LoanApproval"),
        ),
        ("iri", "stkg:HighImpact", ox.NamedNode("https://w3id.org/stkg#HighImpact")),
        ("framework", "eu-ai-act", ox.NamedNode("https://w3id.org/stkg/framework/eu-ai-act")),
        (
            "integer",
            "42",
            ox.Literal("42", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")),
        ),
        ("string", '" } ; DROP ALL #', ox.Literal('" } ; DROP ALL #')),
    ],
)
def test_parameters_become_typed_terms(tmp_path, kind, value, expected):
    header = f"#+ params:\n#+   system:\n#+     type: {kind}\n"
    query = parse_query_file(_query_file(tmp_path, header))
    assert query.bindings({"system": value}) == {"system": expected}


@pytest.mark.parametrize(
    ("kind", "value"),
    [("iri", "not an iri"), ("integer", "1.5"), ("boolean", "maybe"), ("iri", "<x> } ")],
)
def test_a_value_of_the_wrong_type_is_a_clear_error(tmp_path, kind, value):
    header = f"#+ params:\n#+   system:\n#+     type: {kind}\n"
    query = parse_query_file(_query_file(tmp_path, header))
    with pytest.raises(ParameterError, match=f"must be of type {kind}"):
        query.bindings({"system": value})


def test_a_string_parameter_is_bound_not_pasted(store, tmp_path):
    header = "#+ params:\n#+   label:\n#+     type: string\n"
    body = "SELECT ?s ?label WHERE { ?s <http://www.w3.org/2000/01/rdf-schema#label> ?label }"
    query = parse_query_file(_query_file(tmp_path, header, body))
    hostile = run(store, query, label='x" } UNION { ?s ?p ?label } #')
    assert hostile.rows == []
    assert len(run(store, query, label="AI-based loan approval").rows) == 1


def test_cli_lists_and_runs_named_queries_with_parameters(runner, project):
    listed = runner.invoke(main, ["query", "--list"])
    assert listed.exit_code == 0
    assert all(f"{name}:" in listed.stdout for name in REQUIRED)
    as_json = json.loads(runner.invoke(main, ["query", "--list", "--format", "json"]).stdout)
    assert {q["id"] for q in as_json} >= set(REQUIRED)
    profile = runner.invoke(
        main, ["query", "system-profile", "--param", f"system={EX}LoanApproval", "--format", "csv"]
    )
    assert profile.exit_code == 0, profile.output
    assert f"{EX}MariaLopez" in profile.stdout
    bad = runner.invoke(main, ["query", "system-profile", "--param", "system=not an iri"])
    assert bad.exit_code == 1 and "must be of type iri" in bad.stderr
    unknown = runner.invoke(main, ["query", "system-profile", "--param", "colour=red"])
    assert unknown.exit_code == 1 and "unknown parameter 'colour'" in unknown.stderr


def test_a_prefix_of_the_project_data_is_known_to_every_named_query(runner, project):
    # ex: is declared by data/examples/*.ttl, not by the query
    by_prefix = runner.invoke(
        main, ["query", "system-profile", "--param", "system=ex:LoanApproval", "--format", "csv"]
    )
    assert by_prefix.exit_code == 0, by_prefix.output
    assert f"{EX}MariaLopez" in by_prefix.stdout


def test_an_unknown_prefix_in_a_parameter_is_an_error_naming_the_known_ones(runner, project):
    result = runner.invoke(main, ["query", "system-profile", "--param", "system=nope:Loan"])
    assert result.exit_code == 1
    [line] = result.stderr.strip().splitlines()
    assert "unknown prefix nope:" in line and "known prefixes:" in line
    assert " ex, " in line and " stkg, " in line
    # an IRI scheme without // (urn:) is still an IRI, and <…> is always taken as written
    for value in ("urn:x:LoanApproval", "<nope:Loan>"):
        ok = runner.invoke(main, ["query", "system-profile", "--param", f"system={value}"])
        assert ok.exit_code == 0, ok.output


def test_project_prefixes_leave_out_a_name_two_files_disagree_on(tmp_path):
    root = tmp_path / "p"
    (root / "data").mkdir(parents=True)
    (root / "queries").mkdir()
    (root / "data" / "a.ttl").write_text("@prefix a: <urn:a:> .\n@prefix x: <urn:x1:> .\n")
    (root / "data" / "b.ttl").write_text("PREFIX x: <urn:x2:>\n")
    known = project_prefixes(Project(root))
    assert known == {"a": "urn:a:"}


def test_cli_data_replaces_the_example_portfolio(runner, tmp_path):
    mine = tmp_path / "mine.ttl"
    mine.write_text(
        "<urn:x:s> a <https://w3id.org/stkg#SocialTechnicalSystem> .\n", encoding="utf-8"
    )
    result = runner.invoke(
        main, ["query", "systems-without-owner", "--data", str(mine), "--format", "csv"]
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.replace("\r\n", "\n").splitlines() == ["system,label", "urn:x:s,"]
