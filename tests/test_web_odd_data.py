"""Odd data never breaks a page: one kind of oddity per test, every page requested.

Each test adds a few triples of one kind to the example portfolio — a value of the wrong
kind or type, an unknown value, a missing label, several values where one is expected, blank
nodes, cycles — builds a fresh app over it, requests every route (`page_urls`, parameters
filled from the data) and asserts that none answers 5xx; then it checks the data-quality
note the page shows, where one helps.
"""

from __future__ import annotations

import pytest

from odd_data import odd_app, server_errors, turtle_quads
from page_checks import assert_accessible_page

SYSTEM = "https://odd.example/S"
FRAUD = "https://w3id.org/stkg/example/acme/FraudDetection"
GOVERN = "https://w3id.org/stkg/framework/nist-ai-rmf/GOVERN"


def app_with(project, turtle: str):
    return odd_app(project, turtle_quads(turtle))


def assert_every_page_renders(app, *focus: str) -> None:
    errors = server_errors(app, [SYSTEM, FRAUD, *focus])
    assert not errors, "\n".join(errors[:20])


def system_row(client, iri: str, query: str = "") -> dict:
    rows = client.get("/systems.json?per_page=500" + query).get_json()["systems"]
    return next(r for r in rows if r["system"] == iri)


def notes(client, iri: str) -> list[str]:
    answer = client.get("/system.json", query_string={"iri": iri})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return [n["message"] for n in answer.get_json()["notes"]]


def test_a_literal_where_an_iri_is_expected(project):
    app = app_with(
        project,
        """odd:S a stkg:SocialTechnicalSystem ; rdfs:label "Odd" ;
             stkg:lifecycleStage "Deployed" ; stkg:hasOwner "Alice" ; stkg:euAIActTier 3 .
           ex:FraudDetection stkg:impactLevel "High"@en .""",
    )
    assert_every_page_renders(app)
    client = app.test_client()
    expected = (
        "lifecycle stage is a text value ('Deployed'), expected one of design, in development, "
        "validation, deployed, retired"
    )
    assert expected in notes(client, SYSTEM)
    owner = "has owner is a text value ('Alice'), expected a link to a resource"
    assert owner in notes(client, SYSTEM)
    resource = client.get("/resource.json", query_string={"iri": SYSTEM}).get_json()
    assert owner in [n["message"] for n in resource["notes"]]
    for url in ("/resource", "/system"):
        html = client.get(url, query_string={"iri": SYSTEM}).get_data(as_text=True)
        assert "Data quality" in html
        assert_accessible_page(html)
    assert_accessible_page(client.get("/systems?q=odd").get_data(as_text=True))
    row = system_row(client, SYSTEM)
    assert row["stage"] == {"iri": None, "label": "Deployed", "note": expected}
    assert "EU AI Act tier is a text value ('3')" in row["tier_note"]
    assert "Data quality: " + expected.replace("'", "&#39;") in client.get(
        "/systems?q=odd"
    ).get_data(as_text=True)
    fraud = system_row(client, FRAUD)
    assert fraud["impact"]["note"].startswith("2 values of impact level, expected one")
    # the text value is a facet of its own, and choosing it finds the system
    facet = client.get("/systems.json").get_json()["facets"]["stage"]
    text = next(f for f in facet if f["value"] == '"Deployed"')
    assert text["label"] == "'Deployed' (text)" and text["count"] == 1
    chosen = client.get("/systems.json", query_string={"stage": '"Deployed"'}).get_json()
    assert [r["system"] for r in chosen["systems"]] == [SYSTEM]


def test_an_iri_where_a_literal_is_expected(project):
    app = app_with(
        project,
        """odd:S a stkg:SocialTechnicalSystem ; rdfs:label odd:LabelNode ;
             stkg:intendedPurpose odd:Purpose .
           ex:FraudDetection skos:prefLabel odd:Other ; skos:notation odd:Code .""",
    )
    assert_every_page_renders(app, "https://odd.example/LabelNode")
    client = app.test_client()
    found = notes(client, SYSTEM)
    assert "label is a link, expected a text value" in found  # rdfs:label, in words
    assert "intended purpose is a link, expected a text value" in found
    assert "no label (rdfs:label or skos:prefLabel): shown by its IRI" in found
    assert system_row(client, SYSTEM)["label"] == SYSTEM  # a link is not shown as its label
    assert system_row(client, FRAUD)["label"] == "Card fraud detection"


def test_an_unknown_impact_level_or_stage(project):
    app = app_with(
        project,
        """odd:S a stkg:SocialTechnicalSystem ; rdfs:label "Odd" ;
             stkg:impactLevel odd:Huge ; stkg:lifecycleStage stkg:Nope .""",
    )
    assert_every_page_renders(app, "https://odd.example/Huge")
    client = app.test_client()
    found = notes(client, SYSTEM)
    assert (
        "https://odd.example/Huge is not a known impact level, expected one of high impact, "
        "medium impact, low impact" in found
    )
    assert any(n.startswith("Nope is not a known lifecycle stage") for n in found)  # no CURIE
    assert system_row(client, SYSTEM)["impact"]["iri"] == "https://odd.example/Huge"


def test_a_missing_label(project):
    app = app_with(project, "odd:S a stkg:SocialTechnicalSystem .")
    assert_every_page_renders(app)
    client = app.test_client()
    assert notes(client, SYSTEM) == ["no label (rdfs:label or skos:prefLabel): shown by its IRI"]
    assert system_row(client, SYSTEM)["label"] == SYSTEM
    assert notes(client, FRAUD) == []  # a well-formed system has no note


def test_several_values_where_one_is_expected(project):
    app = app_with(
        project,
        """ex:FraudDetection stkg:lifecycleStage stkg:Retired ; stkg:impactLevel stkg:LowImpact ;
             rdfs:label "Second label", "Zweites"@de .
           <https://w3id.org/stkg/framework/nist-ai-rmf/GOVERN-1> skos:notation "G1bis" ;
             skos:prefLabel "another" .""",
    )
    assert_every_page_renders(app, GOVERN)
    client = app.test_client()
    found = notes(client, FRAUD)
    assert "2 values of lifecycle stage, expected one" in found
    assert "2 values of impact level, expected one" in found
    row = system_row(client, FRAUD)
    assert row["stage"]["label"] == "deployed"  # the first in the natural order is shown
    assert row["label"] == "Card fraud detection"  # the least label, deterministically


def test_blank_nodes(project):
    app = app_with(
        project,
        """[] a stkg:SocialTechnicalSystem ; rdfs:label "Anonymous" ; stkg:impactLevel [] .
           odd:S a stkg:SocialTechnicalSystem ; rdfs:label "Odd" ; stkg:hasOwner [] ;
             stkg:lifecycleStage [ a stkg:LifecycleStage ] ;
             stkg:governedBy [ stkg:implements [] ] .
           ex:FraudDetection skos:broader [] .""",
    )
    assert_every_page_renders(app)
    client = app.test_client()
    anonymous = next(
        r
        for r in client.get("/systems.json?per_page=500").get_json()["systems"]
        if r["label"] == "Anonymous"
    )
    assert anonymous["url"] is None  # a blank node has no IRI, so no page
    assert anonymous["impact"]["label"].startswith("_:")
    assert any("lifecycle stage is a blank node" in n for n in notes(client, SYSTEM))
    assert "Anonymous" in client.get("/systems").get_data(as_text=True)
    # whatever validation makes of a blank node typed as a system, the gap pages answer
    error = client.get("/gaps.json").get_json()["validation_error"]
    assert (
        error is None
        or error == client.get("/system.json?iri=" + SYSTEM).get_json()["validation_error"]
    )


def test_cycles_in_broader_and_member_of(project):
    app = app_with(
        project,
        """<https://w3id.org/stkg/framework/nist-ai-rmf/GOVERN> skos:broader
             <https://w3id.org/stkg/framework/nist-ai-rmf/GOVERN-1.1> .
           odd:A stkg:memberOf odd:B . odd:B stkg:memberOf odd:A . odd:C stkg:memberOf odd:C .
           ex:FraudDetection stkg:hasOwner odd:A ; stkg:hasUser odd:C .""",
    )
    assert_every_page_renders(app, GOVERN, "https://odd.example/A")
    client = app.test_client()
    data = client.get("/frameworks/nist-ai-rmf.json").get_json()

    def flatten(tree):
        for item in tree:
            yield item
            yield from flatten(item["narrower"])

    shown = list(flatten(data["tree"]))
    assert len(shown) == data["requirements"]  # nothing in the cycle goes missing
    govern = next(r for r in shown if r["iri"] == GOVERN)
    assert govern["note"] == "its skos:broader links form a cycle; shown at the top level"
    assert govern["depth"] == 0


@pytest.mark.parametrize(
    "turtle",
    [
        # ill-typed literals: the datatype says number or date, the text says otherwise
        """odd:S a stkg:SocialTechnicalSystem ; rdfs:label "12"^^xsd:integer ;
             stkg:impactLevel "x"^^xsd:integer ; stkg:lifecycleStage "no"^^xsd:date .""",
        # a system that is also a requirement and a framework
        """ex:FraudDetection a stkg:Requirement, stkg:Framework ;
             skos:inScheme ex:FraudDetection ; skos:topConceptOf ex:FraudDetection .""",
    ],
    ids=["ill-typed-literals", "one-iri-many-kinds"],
)
def test_values_of_the_wrong_type(project, turtle):
    assert_every_page_renders(app_with(project, turtle))
