"""SPARQL clients as their users run them, against the real `stkg serve`.

SPARQLWrapper and rdflib's SPARQLStore, for every query form, every return format the
client offers for that form, and every way it sends a query (GET, POST form, POST body).
Each answer is parsed by the client and compared with the same query run in process on the
same data; a 200 alone proves nothing.
"""

from __future__ import annotations

import csv
import io
import json
import warnings

import pyoxigraph as ox
import pytest
import rdflib
from rdflib.compare import isomorphic
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from SPARQLWrapper import (
    CSV,
    GET,
    JSON,
    JSONLD,
    N3,
    POST,
    POSTDIRECTLY,
    RDFXML,
    TSV,
    TURTLE,
    XML,
    SPARQLWrapper,
)

from servers import running_server

pytestmark = pytest.mark.slow

PORTFOLIO = "https://w3id.org/stkg/graph/data/examples/portfolio.ttl"
LOAN = "https://w3id.org/stkg/example/acme/LoanApproval"
PREFIXES = (
    "PREFIX stkg: <https://w3id.org/stkg#> PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> "
)
# FROM keeps the answers to the portfolio graph: the server adds graphs of its own (the
# EU AI Act classification) that the in-process store does not have.
QUERIES = {
    "select": PREFIXES + "SELECT ?system ?label ?impact ?length FROM <%s> WHERE { "
    "?system a stkg:SocialTechnicalSystem . OPTIONAL { ?system rdfs:label ?label } "
    "OPTIONAL { ?system stkg:impactLevel ?impact } BIND(STRLEN(?label) AS ?length) }",
    "ask-true": f"ASK FROM <%s> {{ <{LOAN}> ?p ?o }}",
    "ask-false": "ASK FROM <%s> { <urn:stkg:nothing> ?p ?o }",
    "construct": PREFIXES + "CONSTRUCT { ?s rdfs:label ?l ; a stkg:SocialTechnicalSystem } "
    "FROM <%s> WHERE { ?s a stkg:SocialTechnicalSystem ; rdfs:label ?l }",
    "describe": f"DESCRIBE <{LOAN}> FROM <%s>",
}
FORM = {"select": "select", "ask-true": "ask", "ask-false": "ask"}
WRAPPER_FORMATS = {
    "select": [JSON, XML, CSV, TSV],
    "ask": [JSON, XML],
    "graph": [XML, RDFXML, N3, TURTLE, JSONLD, JSON],
}
METHODS = ["GET", "POST form", "POST body"]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with running_server(tmp_path_factory.mktemp("clients")) as running:
        yield running


def expected(store, name: str):
    """The query's answer in process, over the portfolio graph."""
    return store.query(QUERIES[name].replace(" FROM <%s>", ""), default_graphs=[PORTFOLIO])


def term_key(term) -> tuple | None:
    """A term as comparable data, from pyoxigraph or rdflib."""
    if term is None:
        return None
    if isinstance(term, ox.NamedNode | rdflib.URIRef):
        return ("uri", str(term.value if isinstance(term, ox.NamedNode) else term))
    if isinstance(term, ox.BlankNode | rdflib.BNode):
        return ("bnode",)
    if isinstance(term, ox.Literal):
        datatype = "" if term.language else term.datatype.value
        return ("literal", term.value, term.language or "", datatype)
    datatype = "" if term.language else str(term.datatype or rdflib.XSD.string)
    return ("literal", str(term), term.language or "", datatype)


def rows_key(variables: list[str], rows) -> list[tuple]:
    return sorted(
        (tuple(term_key(term) for term in row) for row in rows),
        key=repr,
    )


def values_key(rows) -> list[tuple]:
    """Rows as plain strings (CSV keeps no term types); unbound is ''."""
    return sorted(tuple("" if t is None else str(getattr(t, "value", t)) for t in r) for r in rows)


def graph_of(triples) -> rdflib.Graph:
    graph = rdflib.Graph()
    graph.parse(data=ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES), format="nt")
    return graph


def plain_graph(converted) -> rdflib.Graph:
    graph = rdflib.Graph()
    for triple in converted.triples((None, None, None)):
        graph.add(triple)
    return graph


def wrapper(base: str, method: str) -> SPARQLWrapper:
    client = SPARQLWrapper(f"{base}/sparql")
    client.setMethod(GET if method == "GET" else POST)
    if method == "POST body":
        client.setRequestMethod(POSTDIRECTLY)
    return client


WRAPPER_CASES = [
    (name, fmt, method)
    for name in QUERIES
    for fmt in WRAPPER_FORMATS[FORM.get(name, "graph")]
    for method in METHODS
]


@pytest.mark.parametrize(("name", "fmt", "method"), WRAPPER_CASES)
def test_sparqlwrapper_gets_the_right_answer_in_every_format(server, store, name, fmt, method):
    client = wrapper(server.base, method)
    client.setQuery(QUERIES[name] % PORTFOLIO)
    client.setReturnFormat(fmt)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = client.query()
        converted = result.convert()
    mismatched = [str(w.message) for w in caught if "Format requested was" in str(w.message)]
    assert not mismatched, mismatched  # the content type is the one the client asked for
    want = expected(store, name)
    kind = FORM.get(name, "graph")
    if kind == "ask":
        if fmt == JSON:
            assert converted["boolean"] is want.boolean
        else:
            parsed = ox.parse_query_results(converted.toxml(), ox.QueryResultsFormat.XML)
            assert bool(parsed) is want.boolean
    elif kind == "select":
        if fmt == CSV:
            table = list(csv.reader(io.StringIO(converted.decode("utf-8"))))
            assert table[0] == want.variables
            assert sorted(tuple(r) for r in table[1:]) == values_key(want.rows)
            return
        if fmt == JSON:
            text, syntax = json.dumps(converted), ox.QueryResultsFormat.JSON
        elif fmt == XML:
            text, syntax = converted.toxml(), ox.QueryResultsFormat.XML
        else:
            text, syntax = converted.decode("utf-8"), ox.QueryResultsFormat.TSV
        parsed = ox.parse_query_results(text, syntax)
        assert [v.value for v in parsed.variables] == want.variables
        assert rows_key(want.variables, parsed) == rows_key(want.variables, want.rows)
    else:
        if fmt in (N3, TURTLE):
            graph = rdflib.Graph().parse(data=converted, format="turtle")
        else:
            graph = plain_graph(converted)
        assert len(graph) == len(want.triples) > 0
        assert isomorphic(graph, graph_of(want.triples))


STORE_FORMATS = ["xml", "json", "csv", "tsv"]
STORE_METHODS = ["GET", "POST", "POST_FORM"]


@pytest.mark.parametrize("method", STORE_METHODS)
@pytest.mark.parametrize("fmt", STORE_FORMATS)
@pytest.mark.parametrize("name", list(QUERIES))
def test_rdflib_sparqlstore_gets_the_right_answer(server, store, name, fmt, method):
    remote = SPARQLStore(f"{server.base}/sparql", returnFormat=fmt, method=method)
    result = remote.query(QUERIES[name] % PORTFOLIO)
    want = expected(store, name)
    kind = FORM.get(name, "graph")
    if kind == "ask":  # CSV and TSV are SELECT-only: the server answers JSON, by its type
        assert result.askAnswer is want.boolean
    elif kind == "select":
        assert [str(v) for v in result.vars] == want.variables
        rows = [tuple(row) for row in result]
        if fmt == "csv":
            assert values_key(rows) == values_key(want.rows)
        else:
            assert rows_key(want.variables, rows) == rows_key(want.variables, want.rows)
    else:
        assert isomorphic(plain_graph(result.graph), graph_of(want.triples))
