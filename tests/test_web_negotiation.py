"""How `/sparql` picks the format of an answer: Accept, or the format parameters clients send."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

STKG = "https://w3id.org/stkg#"
SELECT = f"SELECT ?s WHERE {{ ?s a <{STKG}SocialTechnicalSystem> }}"
CONSTRUCT = f"CONSTRUCT WHERE {{ ?s a <{STKG}SocialTechnicalSystem> }}"

SOLUTION_ALIASES = {
    "json": "application/sparql-results+json",
    "srj": "application/sparql-results+json",
    "xml": "application/sparql-results+xml",
    "srx": "application/sparql-results+xml",
    "csv": "text/csv; charset=utf-8",
    "tsv": "text/tab-separated-values; charset=utf-8",
    "application/sparql-results+xml": "application/sparql-results+xml",
    "text/tab-separated-values": "text/tab-separated-values; charset=utf-8",
}
GRAPH_ALIASES = {
    "turtle": "text/turtle; charset=utf-8",
    "ttl": "text/turtle; charset=utf-8",
    "n3": "text/turtle; charset=utf-8",
    "rdf+xml": "application/rdf+xml",
    "xml": "application/rdf+xml",
    "json-ld": "application/ld+json",
    "json": "application/ld+json",
    "nt": "application/n-triples",
    "application/rdf+xml": "application/rdf+xml",
    "text/turtle": "text/turtle; charset=utf-8",
}


@pytest.mark.parametrize("parameter", ["format", "output", "results"])
@pytest.mark.parametrize(("alias", "content_type"), SOLUTION_ALIASES.items())
def test_a_format_parameter_names_a_select_format(client, parameter, alias, content_type):
    answer = client.get("/sparql", query_string={"query": SELECT, parameter: alias})
    assert answer.status_code == 200
    assert answer.content_type == content_type


@pytest.mark.parametrize("parameter", ["format", "output", "results"])
@pytest.mark.parametrize(("alias", "content_type"), GRAPH_ALIASES.items())
def test_a_format_parameter_names_a_graph_format(client, parameter, alias, content_type):
    answer = client.get("/sparql", query_string={"query": CONSTRUCT, parameter: alias})
    assert answer.status_code == 200
    assert answer.content_type == content_type
    if "turtle" in content_type:
        assert len(list(ox.parse(answer.data, format=ox.RdfFormat.TURTLE))) >= 3


def test_sparqlwrapper_style_parameters_agree_with_its_accept_header(client):
    """SPARQLWrapper sends format, output and results, twice each for some formats."""
    query = [("query", CONSTRUCT)] + [
        (name, value) for name in ("format", "output", "results") for value in ("rdf+xml", "")
    ]
    answer = client.get("/sparql", query_string=query, headers={"Accept": "application/rdf+xml"})
    assert answer.status_code == 200
    assert answer.content_type == "application/rdf+xml"
    assert len(list(ox.parse(answer.data, format=ox.RdfFormat.RDF_XML))) >= 3


@pytest.mark.parametrize(
    ("query", "accept", "content_type"),
    [
        (SELECT, "text/csv", "text/csv; charset=utf-8"),
        (CONSTRUCT, "application/n-triples", "application/n-triples"),
    ],
)
def test_an_unknown_or_unfitting_format_parameter_never_overrides_accept(
    client, query, accept, content_type
):
    for value in ("bogus", "csv" if query == CONSTRUCT else "turtle"):
        answer = client.get(
            "/sparql", query_string={"query": query, "format": value}, headers={"Accept": accept}
        )
        assert answer.status_code == 200, value
        assert answer.content_type == content_type, value


def test_a_format_parameter_in_a_posted_form_is_read(client):
    answer = client.post("/sparql", data={"query": CONSTRUCT, "format": "json-ld"})
    assert answer.content_type == "application/ld+json"


def test_text_xml_is_sparql_xml_for_solutions_and_rdf_xml_for_graphs(client):
    select = client.get("/sparql", query_string={"query": SELECT}, headers={"Accept": "text/xml"})
    assert select.content_type == "application/sparql-results+xml"
    assert len(list(ox.parse_query_results(select.data, ox.QueryResultsFormat.XML))) >= 3
    graph = client.get("/sparql", query_string={"query": CONSTRUCT}, headers={"Accept": "text/xml"})
    assert graph.content_type == "application/rdf+xml"


def test_an_ask_answer_asked_for_as_csv_comes_as_sparql_json(client):
    answer = client.get("/sparql", query_string={"query": "ASK {}"}, headers={"Accept": "text/csv"})
    assert answer.content_type == "application/sparql-results+json"
    assert answer.get_json()["boolean"] is True


BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def test_a_browser_opening_the_endpoint_is_sent_to_the_editor(client):
    answer = client.get("/sparql", headers={"Accept": BROWSER})
    assert answer.status_code == 303
    assert answer.headers["Location"].endswith("/editor")
    assert client.get(answer.headers["Location"]).status_code == 200


@pytest.mark.parametrize(
    "headers", [{"Accept": "*/*"}, {}, {"Accept": "text/turtle, text/html;q=0.5"}]
)
def test_a_client_without_a_preference_for_html_gets_the_service_description(client, headers):
    answer = client.get("/sparql", headers=headers)
    assert answer.status_code == 200
    assert answer.content_type == "text/turtle; charset=utf-8"


def test_a_browser_with_a_query_gets_the_answer(client):
    answer = client.get("/sparql", query_string={"query": "ASK {}"}, headers={"Accept": BROWSER})
    assert answer.status_code == 200
