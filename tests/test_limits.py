"""Limits that stop a query before it hurts, from outside: a real `stkg serve` and `stkg query`.

Each over-limit query gets a 4xx/503 that names its limit, a worker that dies of its memory
cap is replaced, an answer is cut at the byte cap like at the row cap, and a value too large
to move between processes is an error with a message, never a 500. hypothesis then builds
queries up to the gate's limits (nesting, operators, path steps, patterns): every one that
passes must be answered without killing a worker.
"""

from __future__ import annotations

import urllib.error
import urllib.parse
import urllib.request
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from commands import assert_one_line_error, mini_project_dir, stkg
from servers import running_server

BANG = "ASK { FILTER(" + "!" * 10_000 + "true) }"
PLUS = "ASK { FILTER(" + "+".join(["1"] * 30_000) + " > 0) }"
PATH = "PREFIX : <urn:> ASK { ?s " + "/".join([":p"] * 15_000) + " ?o }"
DOUBLED = " ".join(f"BIND(CONCAT(?s{i}, ?s{i}) AS ?s{i + 1})" for i in range(24))
BIG_VALUE = f'SELECT ?s24 WHERE {{ BIND("x" AS ?s0) {DOUBLED} }}'  # one 16 MiB value
MEBIBYTE_ROWS = (
    "SELECT ?v WHERE { VALUES ?i { "
    + " ".join(str(i) for i in range(100))
    + ' } BIND("x" AS ?s0) '
    + " ".join(f"BIND(CONCAT(?s{i}, ?s{i}) AS ?s{i + 1})" for i in range(20))
    + " BIND(CONCAT(STR(?i), ?s20) AS ?v) }"
)  # 100 rows of 1 MiB
CROSS_PRODUCT = "SELECT ?a ?b ?c WHERE { ?a ?p ?x . ?b ?q ?y . ?c ?r ?z } ORDER BY ?x ?y ?z"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    env = {"STKG_WORKER_MEMORY": "256", "STKG_MAX_ANSWER_BYTES": str(8 * 1024 * 1024)}
    with running_server(tmp_path_factory.mktemp("limits"), env) as running:
        yield running


def _query(base: str, text: str) -> tuple[int, Any, bytes]:
    data = urllib.parse.urlencode({"query": text}).encode()
    request = urllib.request.Request(f"{base}/sparql", data=data)
    request.add_header("Accept", "application/sparql-results+json")
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


@pytest.mark.slow
@pytest.mark.parametrize(
    ("query", "limit"),
    [
        (BANG, "STKG_MAX_EXPRESSION_LENGTH"),
        (PLUS, "STKG_MAX_EXPRESSION_LENGTH"),
        (PATH, "STKG_MAX_PATH_LENGTH"),
        ("ASK { " + " ".join(f"?s{i} <urn:p> ?o{i} ." for i in range(300)) + " }", "PATTERN"),
        ("ASK { FILTER(" + "(" * 300 + "1" + ")" * 300 + ") }", "STKG_MAX_NESTING"),
    ],
    ids=["10000-nots", "30000-terms", "15000-steps", "300-patterns", "300-brackets"],
)
def test_a_query_over_a_limit_is_400_naming_it_and_no_worker_dies(server, query, limit):
    status, _, body = _query(server.base, query)
    assert status == 400 and limit in body.decode(), body[:300]
    assert _query(server.base, "ASK { ?s ?p ?o }")[0] == 200


@pytest.mark.slow
def test_a_value_too_large_to_pass_between_processes_is_413_with_a_message(server):
    status, headers, body = _query(server.base, BIG_VALUE)
    assert status == 413 and headers["Content-Type"].startswith("text/plain")
    assert "one row of the answer is 16.0 MiB" in body.decode()


@pytest.mark.slow
def test_an_answer_is_cut_at_the_byte_cap_and_marked_truncated(server):
    status, headers, body = _query(server.base, MEBIBYTE_ROWS)
    assert status == 200 and headers["X-STKG-Truncated"] == "true"
    assert headers["X-STKG-Truncated-By"] == "bytes"
    assert 6 * 1024 * 1024 < len(body) < 9 * 1024 * 1024  # 8 MiB of TSV, as JSON
    assert b'"truncated": true' in body


@pytest.mark.slow
def test_a_worker_over_its_memory_cap_is_replaced_and_the_query_answered_503(server):
    status, _, body = _query(server.base, CROSS_PRODUCT)
    assert status == 503 and b"STKG_WORKER_MEMORY" in body, body
    assert _query(server.base, "ASK { ?s ?p ?o }")[0] == 200


# Queries up to the limits: nesting <= 256, operators <= 1000, path steps <= 100, <= 256
# triple patterns per group.
def _expression(draw) -> str:
    depth = draw(st.integers(0, 120))
    terms = draw(st.integers(1, 900 // (depth + 1) + 1))
    op = draw(st.sampled_from(["+", "*", "-", "/"]))
    inner = op.join(["1"] * terms)
    unary = draw(st.sampled_from(["", "!", "-"]))
    return f"{unary}(" * depth + inner + ")" * depth


@st.composite
def within_limits(draw) -> str:
    kind = draw(st.sampled_from(["expression", "path", "patterns", "groups", "logic"]))
    if kind == "expression":
        return f"ASK {{ FILTER(({_expression(draw)}) != 0) }}"
    if kind == "path":
        steps = draw(st.integers(1, 100))
        sep = draw(st.sampled_from(["/", "|"]))
        return "PREFIX : <urn:> ASK { ?s " + sep.join([":p"] * steps) + " ?o }"
    if kind == "patterns":
        n = draw(st.integers(1, 256))
        return "ASK { " + " ".join(f"?s{i} <urn:p{i}> ?o{i} ." for i in range(n)) + " }"
    if kind == "logic":
        n = draw(st.integers(1, 1000))
        return "ASK { FILTER(" + draw(st.sampled_from(["||", "&&"])).join(["true"] * n) + ") }"
    depth = draw(st.integers(1, 250))
    return "ASK " + "{ " * depth + "?s ?p ?o" + " }" * depth


@pytest.mark.slow
def test_no_query_that_passes_the_gate_kills_a_worker(server):
    @settings(
        max_examples=30,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    @given(within_limits())
    def run(query):
        status, _, body = _query(server.base, query)
        assert b"stopped unexpectedly" not in body, query[:200]
        assert status in (200, 400, 503), (status, body[:300])

    run()


def test_stkg_query_refuses_a_parser_bomb_in_one_line_instead_of_crashing(tmp_path):
    project = mini_project_dir(tmp_path)
    for query, limit in ((BANG, "STKG_MAX_EXPRESSION_LENGTH"), (PATH, "STKG_MAX_PATH_LENGTH")):
        line = assert_one_line_error(stkg("query", "--sparql", query, cwd=project))
        assert limit in line
