"""Gap reports: one system's five elements and what is missing; one framework clause with
the systems that fail it directly and through a crosswalk, worded by the relationship; the
three formats."""

from __future__ import annotations

import csv
import io

import pyoxigraph as ox
import pytest
from rdflib import Graph

from conftest import BACKENDS, REPO, backend_store
from stkg.classify import TIER_BASE, classify, load_rules
from stkg.errors import StkgError
from stkg.project import GRAPH_BASE
from stkg.report import ELEMENT_NAMES, report_data
from stkg.report_formats import FRAMEWORK_COLUMNS, SYSTEM_COLUMNS, to_csv, to_html, to_markdown
from stkg.store import OxigraphStore
from stkg.validate import RequirementRef, ValidationReport, ValidationResult, validate

EX = "https://w3id.org/stkg/example/acme/"
NIST = "https://w3id.org/stkg/framework/nist-ai-rmf/"
ISO = "https://w3id.org/stkg/framework/iso-iec-42001/"
SHAPES = "https://w3id.org/stkg/shapes#"
AIRC = "https://w3id.org/stkg/mapping/nist-airc-ai-rmf-to-iso-42001/"


@pytest.fixture(scope="module", params=BACKENDS)
def store(request, project):
    """The report is built on the embedded store and on Virtuoso, with the same answers."""
    return backend_store(request, project)


@pytest.fixture(scope="module")
def validation(store) -> ValidationReport:
    return validate(store)


@pytest.fixture(scope="module")
def by_system(store, validation) -> dict:
    return report_data(
        store, by="system", report=validation,
        classifications=classify(store, load_rules(REPO / "rules")),
    )  # fmt: skip


@pytest.fixture(scope="module")
def by_framework(store, validation) -> dict:
    return report_data(store, by="framework", report=validation)


def system(data: dict, name: str) -> dict:
    (found,) = [s for s in data["systems"] if s["iri"] == EX + name]
    return found


def requirement(data: dict, iri: str) -> dict:
    (found,) = [r for f in data["frameworks"] for r in f["requirements"] if r["iri"] == iri]
    return found


# --- per system -----------------------------------------------------------------------------


def test_a_system_shows_its_five_elements_tier_and_what_is_missing(by_system, validation):
    chatbot = system(by_system, "CustomerServiceChatbot")
    assert list(chatbot["elements"]) == list(ELEMENT_NAMES)
    owner = {"relation": "has owner", "iri": EX + "PriyaShah"}
    owner["label"] = "Priya Shah (Head of Customer Service)"
    assert owner in chatbot["elements"]["people"]
    assert [t["iri"] for t in chatbot["tiers"]] == [TIER_BASE + "transparency"]
    (missing,) = chatbot["missing"]
    (expected,) = [r for r in validation.results if EX + "CustomerServiceChatbot" in r.systems]
    assert missing["severity"] == "Violation" and missing["message"] == expected.message
    assert missing["shape"] == SHAPES + "EscalationPathShape"
    assert {q["notation"] for q in missing["requirements"]} == {"GOVERN 2.1", "A.3.3"}
    assert {q["iri"] for q in missing["requirements"]} == {NIST + "GOVERN-2.1", ISO + "A.3.3"}


def test_the_governed_system_misses_nothing_and_the_bare_one_lacks_its_elements(by_system):
    loan = system(by_system, "LoanApproval")
    assert loan["missing"] == [] and all(loan["elements"][name] for name in ELEMENT_NAMES)
    bare = system(by_system, "NextBestOffer")
    assert [name for name in ELEMENT_NAMES if bare["elements"][name]] == ["people"]
    assert bare["tiers"][0]["label"] == "unclassified"
    assert bare["counts"]["Violation"] == 8


def test_systems_can_be_paged(store, validation):
    page = report_data(store, by="system", report=validation, classifications=[], limit=2, offset=1)
    assert page["total"] >= 12 and page["offset"] == 1 and len(page["systems"]) == 2


# --- per framework --------------------------------------------------------------------------


def test_a_clause_lists_the_systems_failing_it_directly(by_framework):
    govern = requirement(by_framework, NIST + "GOVERN-2.1")
    direct = {(e["iri"], e["shape"]) for e in govern["direct"]}
    assert (EX + "CustomerServiceChatbot", SHAPES + "EscalationPathShape") in direct
    assert govern["failing_systems"] == len({e["iri"] for e in govern["direct"]})


def test_through_an_untyped_crosswalk_a_failure_is_related_not_a_failure(by_framework):
    control = requirement(by_framework, ISO + "A.3.2")
    (via_govern,) = [
        c for c in control["through_crosswalk"] if c["via"]["iri"] == NIST + "GOVERN-2.1"
    ]
    assert via_govern["effect"] == "related by crosswalk"
    assert via_govern["relationship"] == "related (untyped)"
    assert via_govern["path"] == [NIST + "GOVERN-2.1", AIRC + "GOVERN-2.1--A.3.2", ISO + "A.3.2"]
    assert via_govern["reversed"] is False
    assert EX + "CustomerServiceChatbot" in {e["iri"] for e in via_govern["systems"]}
    assert "no evidence that A.3.2 fails" in via_govern["explanation"]
    assert "NIST AI RMF to ISO/IEC FDIS 42001" in via_govern["explanation"]
    # the chatbot does not fail A.3.2 directly, and the untyped link does not count it
    assert EX + "CustomerServiceChatbot" not in {e["iri"] for e in control["direct"]}
    back = requirement(by_framework, NIST + "GOVERN-2.1")
    (reverse,) = [c for c in back["through_crosswalk"] if c["via"]["iri"] == ISO + "A.3.2"]
    assert reverse["reversed"] is True and "read reversed" in reverse["explanation"]


def test_through_a_typed_mapping_intersects_means_may_be_affected(by_framework):
    control = requirement(by_framework, ISO + "A.3.2")
    (via_art26,) = [c for c in control["through_crosswalk"] if c["via"]["notation"] == "Art. 26"]
    assert via_art26["effect"] == "may be affected"
    assert [e["iri"] for e in via_art26["systems"]] == [EX + "TriageAssistant"]


def test_the_framework_filter_and_an_unknown_framework(store, validation):
    iso = report_data(store, by="framework", report=validation, framework="iso-iec-42001")
    assert [f["iri"] for f in iso["frameworks"]] == [
        "https://w3id.org/stkg/framework/iso-iec-42001"
    ]
    with pytest.raises(StkgError, match="unknown framework"):
        report_data(store, by="framework", report=validation, framework="no-such-framework")


MAPPINGS = """\
@prefix stkg: <https://w3id.org/stkg#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix fw: <https://w3id.org/stkg/framework/> .
@prefix a: <https://w3id.org/stkg/framework/fa/> .
@prefix b: <https://w3id.org/stkg/framework/fb/> .
fw:fa a stkg:Framework ; skos:prefLabel "A" .
fw:fb a stkg:Framework ; skos:prefLabel "B" .
a:R a stkg:Requirement ; skos:notation "R" ; skos:inScheme fw:fa .
b:EQ a stkg:Requirement ; skos:notation "EQ" ; skos:inScheme fw:fb .
b:BIG a stkg:Requirement ; skos:notation "BIG" ; skos:inScheme fw:fb .
b:SMALL a stkg:Requirement ; skos:notation "SMALL" ; skos:inScheme fw:fb .
b:NONE a stkg:Requirement ; skos:notation "NONE" ; skos:inScheme fw:fb .
b:REJ a stkg:Requirement ; skos:notation "REJ" ; skos:inScheme fw:fb .
<urn:m:1> a stkg:Mapping ; stkg:mappingSource a:R ; stkg:mappingTarget b:EQ ;
    stkg:relationship stkg:Equal .
<urn:m:2> a stkg:Mapping ; stkg:mappingSource a:R ; stkg:mappingTarget b:BIG ;
    stkg:relationship stkg:SubsetOf .
<urn:m:3> a stkg:Mapping ; stkg:mappingSource b:SMALL ; stkg:mappingTarget a:R ;
    stkg:relationship stkg:SubsetOf .
<urn:m:4> a stkg:Mapping ; stkg:mappingSource a:R ; stkg:mappingTarget b:NONE ;
    stkg:relationship stkg:NoRelationship .
<urn:m:5> a stkg:Mapping ; stkg:mappingSource a:R ; stkg:mappingTarget b:REJ ;
    stkg:relationship stkg:Equal ; stkg:reviewStatus stkg:Rejected .
"""


def test_the_relationship_decides_what_a_failure_says_about_the_other_requirement():
    store = OxigraphStore()
    graph = ox.NamedNode(GRAPH_BASE + "data/m.ttl")
    store.add_quads(
        ox.Quad(t.subject, t.predicate, t.object, graph)
        for t in ox.parse(MAPPINGS, format=ox.RdfFormat.TURTLE)
    )
    failed = ValidationResult(
        focus_node="urn:s", severity="Violation", message="missing", path=None, value=None,
        source_shape=SHAPES + "XShape", systems=("urn:s",),
        requirements=(RequirementRef("https://w3id.org/stkg/framework/fa/R", None, "R"),),
    )  # fmt: skip
    data = report_data(store, by="framework", report=ValidationReport(False, [failed], Graph()))
    effects = {
        r["notation"]: [c["effect"] for c in r["through_crosswalk"]]
        for f in data["frameworks"]
        for r in f["requirements"]
    }
    # R = EQ: fails; R ⊂ BIG: fails in part; SMALL ⊂ R read reversed is R ⊃ SMALL: may be
    # affected; no relationship and rejected mappings say nothing.
    assert effects == {
        "R": [],
        "EQ": ["fails"],
        "BIG": ["fails in part"],
        "SMALL": ["may be affected"],
    }
    (small,) = requirement(data, "https://w3id.org/stkg/framework/fb/SMALL")["through_crosswalk"]
    assert small["relationship"] == "superset of" and small["reversed"] is True


# --- formats --------------------------------------------------------------------------------


def test_csv_has_one_row_per_gap_with_the_documented_columns(by_system, by_framework, validation):
    rows = list(csv.reader(io.StringIO(to_csv(by_system))))
    assert tuple(rows[0]) == SYSTEM_COLUMNS
    assert all(len(r) == len(SYSTEM_COLUMNS) for r in rows)
    assert len(rows) - 1 == sum(len(r.systems) for r in validation.results)
    framework_rows = list(csv.DictReader(io.StringIO(to_csv(by_framework))))
    assert tuple(framework_rows[0]) == FRAMEWORK_COLUMNS
    links = {(r["notation"], r["system"], r["link"], r["via"]) for r in framework_rows}
    assert ("GOVERN 2.1", EX + "CustomerServiceChatbot", "direct", "") in links
    assert ("A.3.2", EX + "CustomerServiceChatbot", "related by crosswalk", "GOVERN 2.1") in links


def test_markdown_links_every_clause(by_system, by_framework):
    text = to_markdown(by_system)
    assert "## Customer-service chatbot" in text
    assert f"[GOVERN 2.1]({NIST}GOVERN-2.1)" in text
    assert "Nothing: the system conforms to every shape." in text
    framework_text = to_markdown(by_framework)
    assert f"### [A.3.2]({ISO}A.3.2)" in framework_text
    assert "**related by crosswalk** via [GOVERN 2.1]" in framework_text


def test_html_is_self_contained_accessible_and_escaped(by_system, by_framework):
    for data in (by_system, by_framework):
        page = to_html(data)
        assert page.startswith("<!DOCTYPE html>") and '<html lang="en">' in page
        assert "<script" not in page and "<link" not in page and "src=" not in page
        assert "<caption>" in page and '<th scope="col">' in page and "<main" in page
    escaped = dict(by_system, systems=[dict(by_system["systems"][0], label="<b>&</b>")])
    assert "&lt;b&gt;&amp;&lt;/b&gt;" in to_html(escaped)
