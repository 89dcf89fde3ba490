"""`stkg import --from airo|dpv`: RDF in AIRO or W3C DPV terms becomes stkg data through rules
derived from ontology/alignments.ttl, so the shapes, named queries and reports work on it;
through the real command (a subprocess) on an on-disk store."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from commands import stkg
from conftest import REPO
from stkg.inventory.translate import RULES_FOLDER, VOCABULARIES
from test_import import bare_project

FIXTURE = REPO / "tests" / "airo" / "credit-scoring.ttl"  # written by hand from AIRO
EX = "https://example.org/airo/lending/"
SYSTEM = EX + "CreditScoring"


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    return bare_project(tmp_path_factory.mktemp("translate"))


@pytest.fixture(scope="module")
def imported(project, tmp_path_factory) -> Path:
    """A store holding the fixture imported with AIRO and DPV rules."""
    store = tmp_path_factory.mktemp("store") / "store"
    done = stkg("--store", str(store), "import", "--from", "airo", "--from", "dpv",
                str(FIXTURE), cwd=project)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "stkg statements derived through ontology/alignments.ttl" in done.stdout
    return store


def ask(project: Path, store: Path, sparql: str) -> list[dict[str, str]]:
    done = stkg("--store", str(store), "query", "--sparql", sparql, "--format", "json",
                cwd=project)  # fmt: skip
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)["results"]["bindings"]
    return [{k: v["value"] for k, v in row.items()} for row in rows]


def statements(project: Path, store: Path, subject: str) -> set[tuple[str, str]]:
    rows = ask(project, store, f"SELECT ?p ?o WHERE {{ <{subject}> ?p ?o }}")
    return {(r["p"].removeprefix("https://w3id.org/stkg#"), r["o"]) for r in rows}


def test_an_airo_system_becomes_a_social_technical_system_with_its_people(project, imported):
    facts = statements(project, imported, SYSTEM)
    rdf_type = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
    assert (rdf_type, "https://w3id.org/stkg#SocialTechnicalSystem") in facts
    assert (rdf_type, "https://w3id.org/airo#AISystem") in facts  # the input is kept
    for prop, value in [
        ("hasUser", EX + "CreditOfficers"),  # airo:hasAIUser
        ("hasDeveloper", EX + "DataScienceTeam"),  # airo:isDevelopedBy
        ("affects", EX + "LoanApplicants"),  # airo:hasAISubject
        ("hasOwner", EX + "HeadOfCredit"),  # dpv:hasResponsibleEntity
        ("hasComponent", EX + "ScoringModel"),
        ("hasRisk", EX + "ProxyDiscrimination"),
        ("governedBy", EX + "FairnessTesting"),  # airo:hasRiskControl, an airo:RiskControl
        ("hasProcess", EX + "DeclineReview"),  # airo:hasRiskControl, a dpv:ReviewProcedure
        ("documentedIn", EX + "ModelCard"),
        ("lifecycleStage", "https://w3id.org/stkg#Deployed"),  # ai:DeploymentStage
    ]:
        assert (prop, value) in facts, (prop, value)
    context = statements(project, imported, SYSTEM + "/context-of-use")
    assert ("sector", "consumer credit") in context  # airo:Domain's skos:prefLabel
    assert any(p == "intendedPurpose" and "creditworthiness" in o for p, o in context)
    review = statements(project, imported, EX + "DeclineReview")
    assert ("performedBy", EX + "CreditOfficers") in review  # dpv:isImplementedByEntity
    assert (rdf_type, "https://w3id.org/stkg#HumanReview") in review


def test_the_shapes_report_exactly_the_facts_the_description_lacks(project, imported):
    done = stkg("--store", str(imported), "validate", "--format", "json", cwd=project)
    assert done.returncode == 1, done.stderr  # violations
    results = json.loads(done.stdout)["results"]
    shapes = {r["source_shape"].rsplit("#", 1)[-1] for r in results if SYSTEM in r["systems"]}
    # AIRO and DPV have no decision, impact level, consequence of error or escalation path
    # for a system; the description gives no monitoring or approval process, and the review
    # no evidence
    assert shapes == {
        "ConsequenceOfErrorShape", "DecisionShape", "DeploymentApprovalShape",
        "EscalationPathShape", "ImpactLevelShape", "MonitoringShape", "ReviewEvidenceShape",
        "RolesDocumentedShape",
    }  # fmt: skip
    # what AIRO and DPV do say is taken as said: users, owner, controls, human review
    assert not shapes & {"UsersShape", "AccountableOwnerShape", "GovernanceShape",
                         "HumanReviewShape", "LifecycleStageShape"}  # fmt: skip


def test_named_queries_and_reports_work_on_the_imported_system(project, imported):
    done = stkg("--store", str(imported), "query", "system-users", "--format", "json",
                cwd=project)  # fmt: skip
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)["results"]["bindings"]
    assert {(r["system"]["value"], r["user"]["value"]) for r in rows if "user" in r} == {
        (SYSTEM, EX + "CreditOfficers")
    }
    done = stkg("--store", str(imported), "report", cwd=project)
    assert done.returncode == 0, done.stderr
    assert "Credit scoring for consumer loans" in done.stdout


def test_airo_alone_translates_airo_terms_and_names_the_rest(project, tmp_path):
    store = tmp_path / "store"
    done = stkg("--store", str(store), "import", "--from", "airo", str(FIXTURE), cwd=project)
    assert done.returncode == 0, done.stderr
    assert "<https://w3id.org/airo#isUsedWithinLocality> (1)" in done.stdout
    facts = statements(project, store, SYSTEM)
    assert ("hasUser", EX + "CreditOfficers") in facts
    assert not any(p == "hasOwner" for p, _ in facts)  # dpv:hasResponsibleEntity: not asked
    assert ("governedBy", EX + "DeclineReview") in facts  # not known to be a review


def test_importing_again_duplicates_nothing_and_rollback_removes_the_batch(project, tmp_path):
    store = tmp_path / "store"
    args = ("--store", str(store), "import", "--from", "airo", "--from", "dpv")
    first = stkg(*args, str(FIXTURE), cwd=project)
    assert first.returncode == 0, first.stderr
    again = stkg(*args, str(FIXTURE), cwd=project)
    assert again.returncode == 0, again.stderr
    assert "added 0 triples, removed 0" in again.stdout
    listed = stkg("--store", str(store), "import", "--list", cwd=project)
    assert "credit-scoring: present" in listed.stdout
    gone = stkg("--store", str(store), "import", "--rollback", "credit-scoring", cwd=project)
    assert gone.returncode == 0, gone.stderr
    assert statements(project, store, SYSTEM) == set()


def test_a_file_that_does_not_parse_names_line_and_column_and_writes_nothing(project, tmp_path):
    bad = tmp_path / "bad.ttl"
    text = FIXTURE.read_text(encoding="utf-8")
    bad.write_text(text.replace('"Loan applicants" .', '"Loan applicants .'), encoding="utf-8")
    store = tmp_path / "store"
    done = stkg("--store", str(store), "import", "--from", "airo", str(bad), cwd=project)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    line = next(n for n, text in enumerate(bad.read_text().splitlines(), 1) if "Loan app" in text)
    assert f"bad.ttl:{line}:" in done.stderr, done.stderr
    listed = stkg("--store", str(store), "import", "--list", cwd=project)
    assert "no import batches" in listed.stdout


def test_a_file_without_an_ai_system_is_refused(project, tmp_path):
    plain = tmp_path / "people.ttl"
    plain.write_text(
        "<https://example.org/p> a <https://w3id.org/dpv#NaturalPerson> .\n", encoding="utf-8"
    )
    done = stkg("import", "--from", "dpv", str(plain), cwd=project)
    assert done.returncode == 2
    assert "no AI system described in dpv terms" in done.stderr


def test_a_file_of_unknown_syntax_is_refused(project, tmp_path):
    odd = tmp_path / "system.csv"
    odd.write_text("id\n1\n", encoding="utf-8")
    done = stkg("import", "--from", "airo", str(odd), cwd=project)
    assert done.returncode == 2
    assert "system.csv: unknown RDF file extension" in done.stderr


def test_the_rules_name_no_external_term_so_alignments_ttl_decides_every_pair():
    rules = sorted((REPO / RULES_FOLDER).glob("*.rq"))
    assert rules
    namespaces = [ns for names in VOCABULARIES.values() for ns in names]
    for rule in rules:
        text = rule.read_text(encoding="utf-8")
        named = [ns for ns in namespaces if ns in text]
        assert not named, f"{rule.name} names {named}: read the pair from alignments.ttl"


def test_a_blank_node_in_the_input_stays_one_node_with_all_its_statements(project, tmp_path):
    described = tmp_path / "with-blank-node.ttl"
    described.write_text(
        FIXTURE.read_text(encoding="utf-8")
        + '\nex:CreditScoring airo:hasRisk [ a airo:Risk ; rdfs:label "Unfair decline" ] .\n',
        encoding="utf-8",
    )
    store = tmp_path / "store"
    done = stkg("--store", str(store), "import", "--from", "airo", "--from", "dpv",
                str(described), cwd=project)  # fmt: skip
    assert done.returncode == 0, done.stderr
    sparql = f"""SELECT ?risk ?type WHERE {{
        <{SYSTEM}> <https://w3id.org/airo#hasRisk> ?risk .
        ?risk <http://www.w3.org/2000/01/rdf-schema#label> "Unfair decline" ; a ?type }}"""
    rows = ask(project, store, sparql)
    assert {r["type"] for r in rows} >= {"https://w3id.org/airo#Risk"}
    assert len({r["risk"] for r in rows}) == 1
