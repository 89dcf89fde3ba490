"""`/resource?iri=`: any IRI, its links both ways, and RDF by content negotiation."""

from __future__ import annotations

from urllib.parse import quote

import pyoxigraph as ox
import pytest

from page_checks import assert_accessible_page

EX = "https://w3id.org/stkg/example/acme/"
STKG = "https://w3id.org/stkg#"


def url(iri: str, path: str = "/resource", **extra: str) -> str:
    more = "".join(f"&{k}={v}" for k, v in extra.items())
    return f"{path}?iri={quote(iri, safe='')}{more}"


def test_json_gives_types_labels_and_links_both_ways(explorer):
    data = explorer.get(url(EX + "FraudDetection", "/resource.json")).get_json()
    assert data["resource"]["kind"] == "system"
    assert [t["iri"] for t in data["types"]] == [STKG + "SocialTechnicalSystem"]
    assert any(lab["text"] == "Card fraud detection" for lab in data["labels"])
    out = {(x["property"]["iri"], x["value"].get("iri")) for x in data["outgoing"]["links"]}
    assert (STKG + "hasOwner", EX + "LauraSmit") in out
    incoming = {(x["subject"]["iri"], x["property"]["iri"]) for x in data["incoming"]["links"]}
    assert (EX + "FraudAccountability", STKG + "assignedFor") in incoming
    assert data["outgoing"]["total"] == len(data["outgoing"]["links"])


def test_html_and_json_show_the_same_links_and_link_back(explorer):
    iri = EX + "LauraSmit"
    data = explorer.get(url(iri, "/resource.json")).get_json()
    html = explorer.get(url(iri)).get_data(as_text=True)
    for link in data["incoming"]["links"]:
        assert link["subject"]["url"].replace("&", "&amp;") in html
    # a system links to its system page, anything else back to /resource
    assert "/system?iri=" in html
    assert_accessible_page(html)


def test_links_are_paged(explorer):
    # every requirement of the EU AI Act points to its scheme: more than one page of links
    scheme = "https://w3id.org/stkg/framework/eu-ai-act"
    first = explorer.get(url(scheme, "/resource.json")).get_json()["incoming"]
    assert first["total"] > first["per_page"] == len(first["links"])
    second = explorer.get(url(scheme, "/resource.json", in_page="2")).get_json()["incoming"]
    assert second["page"] == 2 and second["links"]
    pairs = {(x["subject"]["iri"], x["property"]["iri"]) for x in first["links"]}
    assert not pairs & {(x["subject"]["iri"], x["property"]["iri"]) for x in second["links"]}


def test_blank_nodes_are_opened_in_place(explorer):
    data = explorer.get(
        url("https://w3id.org/stkg/shapes#EscalationPathShape", "/resource.json")
    ).get_json()
    nested = [x for x in data["outgoing"]["links"] if x["value"].get("properties")]
    assert nested, "the shape's property shapes are shown"


@pytest.mark.parametrize(
    ("accept", "fmt"),
    [("text/turtle", ox.RdfFormat.TURTLE), ("application/ld+json", ox.RdfFormat.JSON_LD)],
)
def test_content_negotiation_answers_rdf(explorer, accept, fmt):
    response = explorer.get(url(EX + "FraudDetection"), headers={"Accept": accept})
    assert response.status_code == 200
    assert response.mimetype == accept
    triples = list(ox.parse(response.data, format=fmt))
    subjects = {t.subject for t in triples}
    assert ox.NamedNode(EX + "FraudDetection") in subjects
    assert ox.NamedNode(EX + "FraudAccountability") in subjects  # incoming links too


def test_format_parameter_overrides_accept(explorer):
    response = explorer.get(url(EX + "FraudDetection", format="jsonld"))
    assert response.mimetype == "application/ld+json"
    assert explorer.get(url(EX + "FraudDetection", format="ttl")).mimetype == "text/turtle"
    assert explorer.get(url(EX + "FraudDetection", format="yaml")).status_code == 406
    browser = explorer.get(url(EX + "FraudDetection"), headers={"Accept": "text/html,*/*;q=0.8"})
    assert browser.mimetype == "text/html"


def test_missing_bad_and_unknown_iris(explorer):
    assert explorer.get("/resource").status_code == 400
    assert explorer.get("/resource?iri=has%20spaces").status_code == 400
    assert explorer.get(url(EX + "NoSuchThing")).status_code == 404
    assert explorer.get(url(EX + "NoSuchThing", "/resource.json")).status_code == 404
