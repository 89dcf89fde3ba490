"""What a network query may do: the gate's decisions on a parse, and parsers that never call
out. (Through the real server and `stkg query`: tests/test_gate.py, tests/test_limits.py.)"""

from __future__ import annotations

import http.server
import json
import threading
from typing import ClassVar

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from stkg.cli import main
from stkg.errors import SourceError, StkgError
from stkg.queries import named_queries
from stkg.query_proof import plain_query
from stkg.sandbox import (
    Limits,
    QueryRefused,
    check_query,
    check_query_parsed,
    check_update,
    tokens,
)

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


def _outcome(check, text: str, limits: Limits) -> tuple[object, ...]:
    try:
        plan = check(text, GRAPHS, limits)
    except StkgError as error:
        return (type(error).__name__, str(error), getattr(error, "status", None))
    return ("runs", plan.default_graphs, plan.named_graphs)


def _any_case(word: str) -> st.SearchStrategy[str]:
    flips = st.lists(st.booleans(), min_size=len(word), max_size=len(word))
    return flips.map(
        lambda up: "".join(c.upper() if u else c.lower() for c, u in zip(word, up, strict=True))
    )


# Between tokens: nothing, blanks, and comments that name what the gate looks for.
_SPACE = st.sampled_from(["", " ", "\n", " # SERVICE <http://127.0.0.1:1/>\n", "#from\n"])
_TARGETS = ["<http://127.0.0.1:1/sparql>", "?svc", "ex:sparql", "<sparql>"]


@st.composite
def _service(draw) -> str:
    silent = draw(st.sampled_from(["", "SILENT ", "silent", "SiLeNt "]))
    keyword = draw(st.one_of(_any_case("SERVICE"), st.sampled_from(["\\u0053ERVICE", "ſERVICE"])))
    target = draw(st.sampled_from(_TARGETS))
    return f"{keyword}{draw(_SPACE)}{silent}{target}{draw(_SPACE)}{{ ?s ?p ?o }}"


_SAFE = st.sampled_from(
    [
        "?s ?p ?o .",
        "?s ex:p/ex:q|^ex:r ?o .",
        "?s ex:p ( 1 2 3 ) .",
        "?s ex:p ?o , ?o2 ; ex:q [ ex:r ?x ] .",
        "FILTER(?o > 1 && ?o < 10 || !BOUND(?x) || ?o IN (1, 2))",
        "BIND(STR(?s) AS ?label)",
    ]
)
_ODD = st.sampled_from(
    [
        '?s ex:p "SERVICE <http://127.0.0.1:1/> { }" .',
        "?s <http://example.org/SERVICE> ?service .",
        "?s ex:service ?o .",
        "VALUES ?svc { <http://127.0.0.1:1/sparql> }",
        "?s ?p",
    ]
)
_LEAVES = st.one_of(
    _SAFE,
    _SAFE,
    _SAFE,
    st.one_of(_ODD, _service()),
    st.integers(1, 40).map(lambda n: " ".join(["?s ?p ?o ."] * n)),
    st.integers(1, 40).map(lambda n: f"?s {'/'.join(['ex:p'] * n)} ?o ."),
    st.integers(1, 40).map(lambda n: f"FILTER({' + '.join(['1'] * n)} > 0)"),
    st.integers(1, 70).map(lambda n: f"FILTER({'(' * n}1{')' * n})"),
)
_WRAPS = [
    "{{ {0} }}",
    "OPTIONAL {{ {0} }}",
    "{{ SELECT * WHERE {{ {0} }} }}",
    "FILTER NOT EXISTS {{ {0} }}",
    "{{ ?a ?b ?c }} UNION {{ {0} }}",
    "GRAPH ?g {{ {0} }}",
    "MINUS {{ {0} }}",
]
_GROUPS = st.recursive(
    _LEAVES,
    lambda inner: st.one_of(
        st.tuples(st.sampled_from(_WRAPS), inner).map(lambda w: w[0].format(w[1])),
        st.tuples(inner, _SPACE, inner).map("".join),
    ),
    max_leaves=4,
)
_PROLOGUES = st.sampled_from(
    [
        "PREFIX ex: <http://example.org/>",
        "PREFIX ex: <http://example.org/>",
        "PREFIX ex: <http://example.org/> PREFIX service: <urn:x:>",
        "PREFIX ex: <http://example.org/> BASE <http://127.0.0.1:1/>",
    ]
)
_FORMS = st.sampled_from(
    ["SELECT *", "SELECT ?s", "select distinct ?s", "CONSTRUCT { ?s ?p ?o }", "ASK", "DESCRIBE ?s"]
)
_DATASETS = st.sampled_from(
    [
        *[""] * 6,
        "FROM <urn:g:one>",
        "FROM NAMED <urn:g:one>",
        "from <file:///etc/passwd>",
        "FROM<http://127.0.0.1:1/x>",
        "FROM ex:g",
        "FrOm NaMeD ex:g",
    ]
)
_LIMITS = st.builds(
    Limits,
    nesting=st.integers(8, 60),
    expression=st.integers(10, 80),
    path=st.integers(8, 40),
    patterns=st.integers(24, 160),
)


@settings(max_examples=400, deadline=None, derandomize=True, database=None)
@given(
    prologue=_PROLOGUES,
    form=_FORMS,
    dataset=_DATASETS,
    where=_any_case("WHERE"),
    group=_GROUPS,
    gaps=st.tuples(_SPACE, _SPACE, _SPACE),
    limits=_LIMITS,
)
def test_the_token_proof_never_decides_otherwise_than_the_full_parse(
    prologue, form, dataset, where, group, gaps, limits
):
    text = f"{prologue}\n{form}{gaps[0]} {dataset} {where}{gaps[1]}{{ {group} }}{gaps[2]}"
    fast = plain_query(text, limits)
    event(f"token proof: {fast}")
    assert _outcome(check_query, text, limits) == _outcome(check_query_parsed, text, limits)


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * WHERE { ?s ?p }",
        "SELECT * WHERE { ?s ?p ?o } ORDER",
        "SELECT * { ?s ?p ?o",
        "SELECT * WHERE { ?s ?p ?o } LIMIT x",
        "SELECT ?x WHERE { ?s ?p ?o . FILTER(?o = ) }",
    ],
)
def test_a_syntax_error_is_answered_by_the_full_parse(query):
    assert not plain_query(query)
    with pytest.raises(SourceError, match="syntax error") as error:
        check_query(query, GRAPHS)
    assert _outcome(check_query, query, Limits()) == _outcome(check_query_parsed, query, Limits())
    assert error.value.line is not None


def test_every_named_query_skips_the_full_parse(project):
    for query in named_queries(project).values():
        assert plain_query(query.sparql), query.id


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
