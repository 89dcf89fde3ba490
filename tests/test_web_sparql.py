"""`/sparql`: the SPARQL 1.1 Protocol, safe by default; and one real server on loopback."""

from __future__ import annotations

import json
import time
import urllib.request
from pathlib import Path

import pyoxigraph as ox
import pytest
from SPARQLWrapper import JSON, SPARQLWrapper

from servers import running_server
from stkg.web import create_app
from stkg.web.sparql import close_executors

STKG = "https://w3id.org/stkg#"
SYSTEMS = f"SELECT ?s WHERE {{ ?s a <{STKG}SocialTechnicalSystem> }} ORDER BY ?s"
PORTFOLIO = "https://w3id.org/stkg/graph/data/examples/portfolio.ttl"
CPU_BOMB = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"


def make_client(project, store, **config):
    app = create_app(config, project=project, store=store)
    return app, app.test_client()


@pytest.fixture
def tight(project, store):
    """An app with a one-second time limit, a two-row cap and an update token."""
    app, client = make_client(
        project,
        store,
        STKG_QUERY_TIMEOUT=1.0,
        STKG_QUERY_WORKERS=1,
        STKG_MAX_ROWS=2,
        STKG_UPDATE_TOKEN="s3cret",
        STKG_CORS_ORIGINS="https://yasgui.example",
    )
    yield client
    close_executors(app)


def test_get_post_form_and_post_direct_give_the_same_answer(client):
    by_get = client.get("/sparql", query_string={"query": SYSTEMS})
    by_form = client.post("/sparql", data={"query": SYSTEMS})
    by_body = client.post("/sparql", data=SYSTEMS, content_type="application/sparql-query")
    assert by_get.status_code == by_form.status_code == by_body.status_code == 200
    assert by_get.content_type == "application/sparql-results+json"
    rows = by_get.get_json()["results"]["bindings"]
    assert {"type": "uri", "value": "https://w3id.org/stkg/example/acme/LoanApproval"} in [
        r["s"] for r in rows
    ]
    assert by_get.get_json() == by_form.get_json() == by_body.get_json()


@pytest.mark.parametrize(
    ("accept", "content_type", "fmt"),
    [
        (
            "application/sparql-results+xml",
            "application/sparql-results+xml",
            ox.QueryResultsFormat.XML,
        ),
        ("text/csv", "text/csv; charset=utf-8", ox.QueryResultsFormat.CSV),
        (
            "text/tab-separated-values",
            "text/tab-separated-values; charset=utf-8",
            ox.QueryResultsFormat.TSV,
        ),
        (
            "application/sparql-results+json",
            "application/sparql-results+json",
            ox.QueryResultsFormat.JSON,
        ),
    ],
)
def test_select_results_are_negotiated(client, accept, content_type, fmt):
    answer = client.get("/sparql", query_string={"query": SYSTEMS}, headers={"Accept": accept})
    assert answer.content_type == content_type
    if fmt == ox.QueryResultsFormat.CSV:  # lossy: Oxigraph does not parse it back
        assert answer.get_data(as_text=True).splitlines()[0] == "s"
        return
    assert len(list(ox.parse_query_results(answer.data, fmt))) >= 3


@pytest.mark.parametrize(
    ("accept", "syntax"),
    [
        ("text/turtle", ox.RdfFormat.TURTLE),
        ("application/n-triples", ox.RdfFormat.N_TRIPLES),
        ("application/ld+json", ox.RdfFormat.JSON_LD),
        ("application/rdf+xml", ox.RdfFormat.RDF_XML),
    ],
)
def test_construct_results_are_negotiated(client, accept, syntax):
    query = f"CONSTRUCT WHERE {{ ?s a <{STKG}SocialTechnicalSystem> }}"
    answer = client.get("/sparql", query_string={"query": query}, headers={"Accept": accept})
    assert answer.status_code == 200
    assert answer.content_type.startswith(accept)
    assert len(list(ox.parse(answer.data, format=syntax))) >= 3


def test_a_bad_query_is_400_with_the_parsers_position(client):
    answer = client.get("/sparql", query_string={"query": "SELECT * WHERE {\n ?s ?p }"})
    assert answer.status_code == 400
    assert answer.get_data(as_text=True).startswith("bad query: query:2:")


def test_get_without_a_query_describes_the_service_with_void_statistics(client, store):
    answer = client.get("/sparql", headers={"Accept": "text/turtle"})
    assert answer.status_code == 200
    graph = ox.Store()
    graph.load(answer.data, format=ox.RdfFormat.TURTLE)
    sd = "http://www.w3.org/ns/sparql-service-description#"
    rows = list(
        graph.query(
            f"""PREFIX sd: <{sd}> PREFIX void: <http://rdfs.org/ns/void#>
            SELECT ?name ?triples ?classes WHERE {{
              ?service a sd:Service ; sd:endpoint ?service ;
                sd:supportedLanguage sd:SPARQL11Query ;
                sd:defaultDataset/sd:namedGraph ?ng .
              ?ng sd:name ?name ; sd:graph [ void:triples ?triples ; void:classes ?classes ] }}"""
        )
    )
    counts = {row["name"].value: int(row["triples"].value) for row in rows}
    assert counts == store.graphs()
    assert all(int(row["classes"].value) > 0 for row in rows if row["name"].value == PORTFOLIO)


def test_the_service_description_partitions_every_graph_by_class_and_property(client, store):
    answer = client.get("/sparql", headers={"Accept": "application/n-triples"})
    graph = ox.Store()
    graph.load(answer.data, format=ox.RdfFormat.N_TRIPLES)
    prefixes = (
        "PREFIX sd: <http://www.w3.org/ns/sparql-service-description#> "
        "PREFIX void: <http://rdfs.org/ns/void#> "
    )
    portfolio = f"?ng sd:name <{PORTFOLIO}> ; sd:graph ?g ."
    classes = {
        row["c"].value: int(row["n"].value)
        for row in graph.query(
            prefixes + "SELECT ?c ?n WHERE { " + portfolio + " "
            "?g void:classPartition [ void:class ?c ; void:entities ?n ] }"
        )
    }
    properties = {
        row["p"].value: int(row["n"].value)
        for row in graph.query(
            prefixes + "SELECT ?p ?n WHERE { " + portfolio + " "
            "?g void:propertyPartition [ void:property ?p ; void:triples ?n ] }"
        )
    }
    in_store = store.query(
        "SELECT ?c (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a ?c } GROUP BY ?c",
        default_graphs=[PORTFOLIO],
    ).dicts()
    assert classes == {row["c"].value: int(row["n"].value) for row in in_store}
    assert classes[f"{STKG}SocialTechnicalSystem"] > 0
    used = store.query(
        "SELECT ?p (COUNT(*) AS ?n) WHERE { ?s ?p ?o } GROUP BY ?p", default_graphs=[PORTFOLIO]
    ).dicts()
    assert properties == {row["p"].value: int(row["n"].value) for row in used}
    assert sum(properties.values()) == store.graphs()[PORTFOLIO]
    default = list(
        graph.query(
            prefixes + "SELECT ?n WHERE { ?s sd:defaultDataset/sd:defaultGraph ?d . "
            f"?d void:classPartition [ void:class <{STKG}SocialTechnicalSystem> ; "
            "void:entities ?n ] }"
        )
    )
    assert int(default[0]["n"].value) >= classes[f"{STKG}SocialTechnicalSystem"]


def test_protocol_dataset_names_graphs_of_the_store_only(client):
    loan = "https://w3id.org/stkg/example/acme/LoanApproval"
    query = f"ASK {{ <{loan}> a <{STKG}SocialTechnicalSystem> }}"
    inside = client.get("/sparql", query_string={"query": query, "default-graph-uri": PORTFOLIO})
    assert inside.get_json()["boolean"] is True
    ontology = "https://w3id.org/stkg/graph/ontology/stkg.ttl"
    other = client.get("/sparql", query_string={"query": query, "default-graph-uri": ontology})
    assert other.get_json()["boolean"] is False
    outside = client.get(
        "/sparql", query_string={"query": query, "default-graph-uri": "file:///etc/passwd"}
    )
    assert outside.status_code == 400
    assert "no such graph in the store" in outside.get_data(as_text=True)


def test_from_is_honoured_for_a_graph_in_the_store_and_refused_for_a_file(client):
    ontology = "https://w3id.org/stkg/graph/ontology/stkg.ttl"
    query = "ASK FROM <%s> { <https://w3id.org/stkg/example/acme/LoanApproval> ?p ?o }"
    assert client.get("/sparql", query_string={"query": query % ontology}).get_json() == {
        "head": {},
        "boolean": False,
    }
    assert client.get("/sparql", query_string={"query": query % PORTFOLIO}).get_json()["boolean"]
    refused = client.get("/sparql", query_string={"query": query % "file:///etc/passwd"})
    assert refused.status_code == 400


def test_service_is_refused_without_any_outbound_call(client):
    answer = client.get(
        "/sparql",
        query_string={"query": "SELECT * WHERE { service <http://127.0.0.1:1/> { ?s ?p ?o } }"},
    )
    assert answer.status_code == 400
    assert "SERVICE is not allowed" in answer.get_data(as_text=True)


def test_updates_are_refused_when_no_token_is_configured(client, store):
    before = len(store)
    for request in (
        {"data": {"update": "INSERT DATA { <urn:x> <urn:y> <urn:z> }"}},
        {"data": "CLEAR ALL", "content_type": "application/sparql-update"},
    ):
        answer = client.post("/sparql", **request)
        assert answer.status_code == 403
        assert "read-only" in answer.get_data(as_text=True)
    assert len(store) == before


def test_an_update_needs_the_right_token(tight, tmp_path):
    update = {"update": "INSERT DATA { GRAPH <urn:g:new> { <urn:x> <urn:y> <urn:z> } }"}
    assert tight.post("/sparql", data=update).status_code == 403
    wrong = tight.post("/sparql", data=update, headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 403
    load = tight.post(
        "/sparql",
        data={"update": "LOAD <http://127.0.0.1:1/x.ttl>"},
        headers={"Authorization": "Bearer s3cret"},
    )
    assert load.status_code == 400


def test_an_authorised_update_is_seen_by_later_queries(project, tmp_path):
    store = project.open_store()
    app, client = make_client(project, store, STKG_UPDATE_TOKEN="s3cret", STKG_QUERY_WORKERS=1)
    try:
        ask = {"query": "ASK { GRAPH <urn:g:new> { <urn:x> <urn:y> <urn:z> } }"}
        assert client.get("/sparql", query_string=ask).get_json()["boolean"] is False
        done = client.post(
            "/sparql",
            data={"update": "INSERT DATA { GRAPH <urn:g:new> { <urn:x> <urn:y> <urn:z> } }"},
            headers={"Authorization": "Bearer s3cret"},
        )
        assert done.status_code == 200, done.get_data(as_text=True)
        assert client.get("/sparql", query_string=ask).get_json()["boolean"] is True
    finally:
        close_executors(app)


def test_a_query_past_the_time_limit_is_answered_503_and_the_worker_is_freed(tight):
    answer = tight.get("/sparql", query_string={"query": CPU_BOMB})
    assert answer.status_code == 503
    assert "time limit of 1 s" in answer.get_data(as_text=True)
    assert tight.get("/sparql", query_string={"query": "ASK {}"}).status_code == 200


def test_results_beyond_the_row_cap_are_flagged_as_truncated(tight):
    answer = tight.get("/sparql", query_string={"query": SYSTEMS})
    assert answer.headers["X-STKG-Truncated"] == "true"
    document = answer.get_json()
    assert document["truncated"] is True
    assert len(document["results"]["bindings"]) == 2
    whole = tight.get("/sparql", query_string={"query": "ASK {}"})
    assert "X-STKG-Truncated" not in whole.headers


def test_request_bodies_over_the_limit_are_413(client):
    big = "ASK {}" + " " * (1024 * 1024)
    assert (
        client.post("/sparql", data=big, content_type="application/sparql-query").status_code == 413
    )


def test_query_bombs_are_400(client):
    deep = "ASK { FILTER(" + "(" * 1000 + "1" + ")" * 1000 + ") }"
    assert (
        client.post("/sparql", data=deep, content_type="application/sparql-query").status_code
        == 400
    )
    long = "SELECT * WHERE { " + "?s ?p ?o . " * 20_000 + "}"
    assert (
        client.post("/sparql", data=long, content_type="application/sparql-query").status_code
        == 400
    )


def test_cors_allows_only_the_configured_origins(tight, client):
    allowed = tight.get("/sparql?query=ASK%7B%7D", headers={"Origin": "https://yasgui.example"})
    assert allowed.headers["Access-Control-Allow-Origin"] == "https://yasgui.example"
    other = tight.get("/sparql?query=ASK%7B%7D", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in other.headers
    preflight = client.options("/sparql", headers={"Origin": "https://any.example"})
    assert preflight.status_code == 204
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"
    assert "Authorization" not in preflight.headers["Access-Control-Allow-Headers"]


def _children(pid: int) -> set[int]:
    found = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        children = (task / "children").read_text().split()
        found.update(int(c) for c in children)
    return found


@pytest.mark.slow
def test_real_server_answers_sparqlwrapper_and_leaves_no_workers_behind(tmp_path):
    with running_server(tmp_path, {"STKG_QUERY_TIMEOUT": "2"}) as server:
        sparql = SPARQLWrapper(f"{server.base}/sparql")
        sparql.setQuery(
            "PREFIX stkg: <https://w3id.org/stkg#> "
            "SELECT ?system WHERE { ?system stkg:impactLevel stkg:HighImpact } ORDER BY ?system"
        )
        sparql.setReturnFormat(JSON)
        systems = [b["system"]["value"] for b in sparql.queryAndConvert()["results"]["bindings"]]
        assert "https://w3id.org/stkg/example/acme/LoanApproval" in systems
        with urllib.request.urlopen(
            f"{server.base}/queries/systems-without-escalation-path.json"
        ) as answer:
            named = json.load(answer)
        assert any(
            b["system"]["value"].endswith("/CustomerServiceChatbot")
            for b in named["results"]["bindings"]
        )
        workers = _children(server.process.pid)
        assert len(workers) >= 2
    time.sleep(0.5)
    assert not [pid for pid in workers if Path(f"/proc/{pid}").exists()]
