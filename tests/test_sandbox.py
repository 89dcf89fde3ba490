"""What a network query may do: the gate's decisions on a parse, and parsers that never call
out. (Through the real server and `stkg query`: tests/test_gate.py, tests/test_limits.py.)"""

from __future__ import annotations

import http.server
import json
import threading
from typing import ClassVar

import pytest

from stkg.cli import main
from stkg.errors import SourceError
from stkg.sandbox import QueryRefused, check_query, check_update, tokens

GRAPHS = {"urn:g:one", "https://w3id.org/stkg/graph/data/examples/portfolio.ttl"}


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * WHERE { SERVICE <http://127.0.0.1:1/sparql> { ?s ?p ?o } }",
        "select * where { service <http://127.0.0.1:1/sparql> { ?s ?p ?o } }",
        "SELECT * WHERE { SERVICE SILENT <http://127.0.0.1:1/> { ?s ?p ?o } }",
        "SELECT * WHERE { SeRvIcE ?endpoint { ?s ?p ?o } }",
        "SELECT * WHERE {SERVICE<http://127.0.0.1:1/>{?s ?p ?o}}",
        r"SELECT * WHERE { \u0053ERVICE <http://127.0.0.1:1/> { ?s ?p ?o } }",
        "SELECT * WHERE { { SELECT * { OPTIONAL { SERVICE ?x { ?s ?p ?o } } } } }",
        # a comment ends at the line end
        "SELECT * WHERE { # harmless\n SERVICE <http://127.0.0.1:1/> { ?s ?p ?o } }",
    ],
)
def test_service_is_refused_however_it_is_written(query):
    with pytest.raises(QueryRefused, match="SERVICE is not allowed") as refused:
        check_query(query, GRAPHS)
    assert refused.value.status == 400


@pytest.mark.parametrize(
    "query",
    [
        # Oxigraph reads these as SERVICE: it needs no word boundary after a keyword
        "PREFIX ex: <http://127.0.0.1:1/> SELECT * WHERE { SERVICEex:sparql { ?s ?p ?o } }",
        "SELECT * WHERE { SERVICESILENT<http://127.0.0.1:1/> { ?s ?p ?o } }",
        # an unterminated string must not hide what follows it
        'SELECT * WHERE { ?s ?p "abc . SERVICE <http://127.0.0.1:1/> { ?s ?p ?o } }',
    ],
)
def test_what_the_parser_cannot_read_is_refused_as_a_syntax_error(query):
    with pytest.raises(SourceError, match="syntax error"):
        check_query(query, GRAPHS)


@pytest.mark.parametrize(
    "query",
    [
        'SELECT * WHERE { ?s ?p "SERVICE <http://127.0.0.1:1/>" }',
        "SELECT * WHERE { ?s ?p '''multi\nline SERVICE''' }",
        "SELECT * WHERE { ?s ?p ?o } # SERVICE <http://127.0.0.1:1/> in a comment",
        "PREFIX service: <urn:x:> SELECT * WHERE { ?s service:p ?service }",
        "SELECT * WHERE { ?s <http://example.org/SERVICE> ?o }",
        'SELECT * WHERE { ?s ?p "FROM <file:///etc/passwd>" }',
    ],
)
def test_the_words_inside_strings_iris_comments_and_names_are_not_keywords(query):
    assert check_query(query, GRAPHS).default_graphs == []


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * FROM <file:///etc/passwd> WHERE { ?s ?p ?o }",
        "SELECT * FROM NAMED <http://127.0.0.1:1/data.ttl> WHERE { GRAPH ?g { ?s ?p ?o } }",
        "PREFIX f: <file:///etc/> SELECT * FROM f:passwd WHERE { ?s ?p ?o }",
        "BASE <file:///etc/> SELECT * from <passwd> WHERE { ?s ?p ?o }",
    ],
)
def test_from_may_name_only_graphs_in_the_store(query):
    with pytest.raises(QueryRefused, match="no such graph in the store"):
        check_query(query, GRAPHS)


def test_from_a_graph_in_the_store_is_part_of_the_plan():
    plan = check_query(
        "PREFIX g: <urn:g:> SELECT * FROM g:one FROM NAMED <urn:g:one> { ?s ?p ?o }", GRAPHS
    )
    assert (plan.default_graphs, plan.named_graphs) == (["urn:g:one"], ["urn:g:one"])


@pytest.mark.parametrize("keyword", ["INSERT DATA", "DELETE WHERE", "LOAD", "CLEAR ALL", "DROP"])
def test_update_keywords_in_a_query_are_refused_as_forbidden(keyword):
    with pytest.raises(QueryRefused) as refused:
        check_query(f"{keyword} {{ <urn:a> <urn:b> <urn:c> }}", GRAPHS)
    assert refused.value.status == 403


def test_an_authorised_update_still_may_not_load_or_call_out():
    with pytest.raises(QueryRefused, match="LOAD is not allowed"):
        check_update("load <http://127.0.0.1:1/x.ttl>")
    with pytest.raises(SourceError):
        check_update("LOADSILENT<http://127.0.0.1:1/x.ttl>")
    with pytest.raises(QueryRefused, match="SERVICE is not allowed"):
        check_update("INSERT { ?s ?p ?o } WHERE { SERVICE <http://127.0.0.1:1/> { ?s ?p ?o } }")
    check_update('INSERT DATA { <urn:a> <urn:b> "LOAD <http://x/>" }')


def test_parser_bombs_are_refused_by_size_and_nesting():
    with pytest.raises(QueryRefused, match="too long"):
        check_query("ASK {}" + " " * 200_000, GRAPHS)
    nested = "ASK { FILTER(" + "(" * 300 + "1" + ")" * 300 + ") }"
    with pytest.raises(QueryRefused, match="nested too deeply"):
        check_query(nested, GRAPHS)
    check_query("ASK { FILTER(" + "(" * 20 + "1" + ")" * 20 + ") }", GRAPHS)


def test_tokens_follow_the_grammar():
    kinds = [(t.kind, t.text) for t in tokens('SELECT ?x { <a> ex:p "s\\"" } # c')]
    assert kinds == [
        ("word", "SELECT"),
        ("var", "?x"),
        ("other", "{"),
        ("iri", "<a>"),
        ("pname", "ex:p"),
        ("string", '"s\\""'),
        ("other", "}"),
    ]


class _Recorder(http.server.BaseHTTPRequestHandler):
    hits: ClassVar[list[str]] = []

    def do_GET(self):
        _Recorder.hits.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "application/ld+json")
        self.end_headers()
        self.wfile.write(b'{"@context": {"name": "http://schema.org/name"}}')

    def log_message(self, *args):
        pass


@pytest.fixture
def loopback_url():
    server = http.server.HTTPServer(("127.0.0.1", 0), _Recorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    _Recorder.hits = []
    yield f"http://127.0.0.1:{server.server_port}/context.jsonld"
    server.shutdown()


def test_loading_json_ld_with_a_remote_context_makes_no_request(
    runner, mini_project, tmp_path, loopback_url
):
    doc = tmp_path / "remote.jsonld"
    doc.write_text(
        json.dumps({"@context": loopback_url, "@id": "http://example.org/a", "name": "x"}),
        encoding="utf-8",
    )
    result = runner.invoke(main, ["--project", str(mini_project.root), "load", str(doc)])
    assert result.exit_code == 1
    assert "remote contexts" in result.stderr
    assert _Recorder.hits == []


def test_rdf_xml_external_entities_are_not_expanded(runner, mini_project, tmp_path, loopback_url):
    doc = tmp_path / "entity.rdf"
    doc.write_text(
        f"""<?xml version="1.0"?>
<!DOCTYPE rdf:RDF [ <!ENTITY ext SYSTEM "{loopback_url}"> ]>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:ex="http://example.org/">
  <rdf:Description rdf:about="http://example.org/a"><ex:p>&ext;</ex:p></rdf:Description>
</rdf:RDF>
""",
        encoding="utf-8",
    )
    result = runner.invoke(main, ["--project", str(mini_project.root), "load", str(doc)])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert _Recorder.hits == []
