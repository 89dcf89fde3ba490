"""`/ontology`: documentation of every term, and the ontology by content negotiation."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from page_checks import assert_accessible_page

STKG = "https://w3id.org/stkg#"


def sections(data: dict) -> dict[str, dict[str, dict]]:
    return {s["key"]: {t["name"]: t for t in s["terms"]} for s in data["sections"]}


def test_every_core_class_and_property_is_documented(explorer, project):
    data = explorer.get("/ontology.json").get_json()
    docs = sections(data)
    core = ox.parse(path=project.root / "ontology" / "stkg.ttl", format=ox.RdfFormat.TURTLE)
    owl_class = ox.NamedNode("http://www.w3.org/2002/07/owl#Class")
    classes = {
        t.subject.value
        for t in core
        if t.predicate.value.endswith("#type")
        and t.object == owl_class
        and t.subject.value.startswith(STKG)
    }
    documented = {t["iri"] for t in docs["classes"].values()}
    assert classes == documented


def test_a_term_has_definition_hierarchy_domain_range_and_alignments(explorer):
    docs = sections(explorer.get("/ontology.json").get_json())
    person = docs["classes"]["stkg:Person"]
    assert person["definition"] and person["label"] == "person"
    assert {"stkg:Agent"} <= {x["name"] for x in person["superclasses"]}
    agent = docs["classes"]["stkg:Agent"]
    assert "stkg:Person" in {x["name"] for x in agent["subterms"]}
    has_owner = docs["object_properties"]["stkg:hasOwner"]
    assert [x["name"] for x in has_owner["domain"]] == ["stkg:SocialTechnicalSystem"]
    assert has_owner["range"]
    aligned = [t for s in docs.values() for t in s.values() if t["alignments"]]
    assert aligned, "the alignment module's links are shown"
    assert any(
        a["iri"].startswith("https://w3id.org/airo#") for t in aligned for a in t["alignments"]
    )
    assert "stkg:HighImpact" in docs["individuals"]


def test_html_documents_the_same_terms(explorer):
    data = explorer.get("/ontology.json").get_json()
    html = explorer.get("/ontology").get_data(as_text=True)
    for section in data["sections"]:
        for term in section["terms"][:10]:
            assert f'id="{term["name"].split(":", 1)[1]}"' in html
    assert_accessible_page(html)


@pytest.mark.parametrize(
    ("accept", "fmt"),
    [
        ("text/turtle", ox.RdfFormat.TURTLE),
        ("application/ld+json", ox.RdfFormat.JSON_LD),
        ("application/rdf+xml", ox.RdfFormat.RDF_XML),
    ],
)
def test_the_ontology_is_served_by_content_negotiation(explorer, accept, fmt):
    response = explorer.get("/ontology", headers={"Accept": accept})
    assert response.status_code == 200 and response.mimetype == accept
    triples = list(ox.parse(response.data, format=fmt))
    subjects = {t.subject for t in triples}
    assert ox.NamedNode(STKG + "SocialTechnicalSystem") in subjects
    assert ox.NamedNode("https://w3id.org/stkg/alignments") in subjects
    assert "Vary" in response.headers


@pytest.mark.parametrize(
    ("path", "mimetype"),
    [
        ("/ontology.ttl", "text/turtle"),
        ("/ontology.jsonld", "application/ld+json"),
        ("/ontology.rdf", "application/rdf+xml"),
        ("/ontology.nt", "application/n-triples"),
        ("/ontology?format=ttl", "text/turtle"),
    ],
)
def test_the_ontology_files_by_url(explorer, path, mimetype):
    response = explorer.get(path)
    assert response.status_code == 200 and response.mimetype == mimetype


def test_a_browser_gets_the_documentation(explorer):
    response = explorer.get("/ontology", headers={"Accept": "text/html,application/xhtml+xml"})
    assert response.mimetype == "text/html"
    assert explorer.get("/ontology.exe").status_code == 404
    assert explorer.get("/ontology?format=exe").status_code == 406
