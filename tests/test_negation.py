"""`FILTER NOT EXISTS` → `MINUS`: made only where provably the same, and then the same rows.

The oracle is Oxigraph itself on the query as written (its `NOT EXISTS` passes the W3C
negation tests, which also run through the endpoint with the rewrite in
`tests/test_sparql_w3c.py`); random groups and graphs from hypothesis, compared as multisets.
"""

from __future__ import annotations

import itertools
from collections import Counter
from pathlib import Path

import pyoxigraph as ox
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from stkg.negation import minus_for_not_exists
from stkg.store import OxigraphStore

P = "PREFIX : <urn:x:> "


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        # the common case: the shared variable is bound before the FILTER: MINUS in place
        (
            "SELECT ?s WHERE { ?s a :X . FILTER NOT EXISTS { ?s :p ?o } OPTIONAL { ?s :l ?l } }",
            "SELECT ?s WHERE { ?s a :X . MINUS { ?s :p ?o } OPTIONAL { ?s :l ?l } }",
        ),
        # bound only after the FILTER: MINUS at the end of the group
        (
            "SELECT ?s WHERE { FILTER NOT EXISTS { ?s :p ?o } ?s a :X }",
            "SELECT ?s WHERE {  ?s a :X MINUS { ?s :p ?o } }",
        ),
        # a FILTER on the body's own variables
        (
            "SELECT ?s WHERE { ?s a :X FILTER NOT EXISTS { ?s :p ?o FILTER(?o > 3) } }",
            "SELECT ?s WHERE { ?s a :X MINUS { ?s :p ?o FILTER(?o > 3) } }",
        ),
        # inside a UNION branch, the branch is the group
        (
            "SELECT ?s WHERE { { ?s a :X FILTER NOT EXISTS { ?s :p [] } } UNION { ?s a :Y } }",
            "SELECT ?s WHERE { { ?s a :X MINUS { ?s :p [] } } UNION { ?s a :Y } }",
        ),
        # keywords in any case, a path, a comment
        (
            "select ?s { ?s a/:q* :X # why\n filter not exists { ?s :p/:r ?o } }",
            "select ?s { ?s a/:q* :X # why\n MINUS { ?s :p/:r ?o } }",
        ),
    ],
)
def test_rewritten(query, expected):
    assert minus_for_not_exists(P + query) == P + expected


@pytest.mark.parametrize(
    "query",
    [
        # the body's ?o may be bound by the OPTIONAL: NOT EXISTS would use its value
        "SELECT ?s WHERE { ?s a :X OPTIONAL { ?s :q ?o } FILTER NOT EXISTS { ?s :p ?o } }",
        # bound by BIND, by VALUES, by a UNION only
        "SELECT ?s WHERE { ?s a :X BIND(1 AS ?o) FILTER NOT EXISTS { ?s :p ?o } }",
        "SELECT ?s WHERE { ?s a :X VALUES ?o { 1 } FILTER NOT EXISTS { ?s :p ?o } }",
        "SELECT ?s WHERE { { ?s a :X } UNION { ?s a :Y } FILTER NOT EXISTS { ?s :p ?o } }",
        # nothing shared: NOT EXISTS removes all rows or none, MINUS none
        "SELECT ?s WHERE { ?s a :X FILTER NOT EXISTS { ?t :p ?o } }",
        # a FILTER in the body on an outer variable
        "SELECT ?s WHERE { ?s a :X ; :v ?v FILTER NOT EXISTS { ?s :p ?o FILTER(?o > ?v) } }",
        # an OPTIONAL's FILTER sees the left side
        "SELECT ?s WHERE { ?s a :X OPTIONAL { ?s :q ?y FILTER NOT EXISTS { ?s :p ?y } } }",
        # bodies that are more than triple patterns and filters
        "SELECT ?s WHERE { ?s a :X FILTER NOT EXISTS { ?s :p ?o OPTIONAL { ?o :q ?z } } }",
        "SELECT ?s WHERE { ?s a :X FILTER NOT EXISTS { { ?s :p ?o } UNION { ?s :q ?o } } }",
        # inside a subquery, a GRAPH or a MINUS: left alone
        "SELECT ?s WHERE { { SELECT ?s WHERE { ?s a :X FILTER NOT EXISTS { ?s :p ?o } } } }",
        "SELECT ?s WHERE { GRAPH ?g { ?s a :X FILTER NOT EXISTS { ?s :p ?o } } }",
        # written another way
        "SELECT ?s WHERE { ?s a :X FILTER (!EXISTS { ?s :p ?o }) }",
        "SELECT ?s WHERE { ?s a :X MINUS { ?s :p ?o } }",
    ],
)
def test_left_as_written(query):
    assert minus_for_not_exists(P + query) == P + query


def test_text_the_reader_does_not_follow_is_left_as_written():
    for text in ["SELECT * WHERE { ?s ?p", "FILTER NOT EXISTS {", "}}} FILTER NOT EXISTS { ?s"]:
        assert minus_for_not_exists(text) == text


# -- the same rows, on random groups and graphs ------------------------------------------

NODES = [f":n{i}" for i in range(4)]
PREDICATES = [":p", ":q"]
VARIABLES = ["?s", "?o", "?x"]


def term(draw, allow_literal: bool = False) -> str:
    choices = VARIABLES + NODES + (["1", '"a"'] if allow_literal else [])
    return draw(st.sampled_from(choices))


@st.composite
def triple(draw) -> str:
    path = draw(st.sampled_from([*PREDICATES, ":p*", ":p/:q", "^:q"]))
    return f"{term(draw)} {path} {term(draw, allow_literal=True)} ."


@st.composite
def element(draw) -> str:
    kinds = ["triple", "triple", "triple", "optional", "bind", "values", "union", "group"]
    kind = draw(st.sampled_from(kinds))
    if kind == "triple":
        return draw(triple())
    if kind == "optional":
        return f"OPTIONAL {{ {draw(triple())} }}"
    if kind == "union":
        return f"{{ {draw(triple())} }} UNION {{ {draw(triple())} {draw(not_exists())} }}"
    if kind == "group":  # a nested group with a negation of its own
        return f"{{ {draw(triple())} {draw(not_exists())} }}"
    var = draw(st.sampled_from(VARIABLES))
    value = draw(st.sampled_from([*NODES, "1"]))
    return f"BIND({value} AS {var})" if kind == "bind" else f"VALUES {var} {{ {value} }}"


@st.composite
def not_exists(draw) -> str:
    body = " ".join(draw(st.lists(triple(), min_size=1, max_size=2)))
    if draw(st.booleans()):
        var = draw(st.sampled_from([*VARIABLES, "?z"]))
        body += f" FILTER(!sameTerm({var}, {draw(st.sampled_from(NODES))}))"
    return f"FILTER NOT EXISTS {{ {body} }}"


@st.composite
def query(draw) -> str:
    parts = draw(st.lists(element(), min_size=1, max_size=4))
    at = draw(st.integers(0, len(parts)))
    parts.insert(at, draw(not_exists()))
    return P + "SELECT * WHERE { " + " ".join(parts) + " }"


@st.composite
def graph(draw) -> list[ox.Quad]:
    def node(i: int) -> ox.NamedNode:
        return ox.NamedNode(f"urn:x:n{i}")

    edges = draw(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 1), st.integers(0, 4))))
    quads = []
    for s, p, o in edges:
        obj = ox.Literal("1", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer"))
        quads.append(ox.Quad(node(s), ox.NamedNode("urn:x:" + "pq"[p]), node(o) if o < 4 else obj))
    return quads


def rows(store: ox.Store, text: str) -> Counter:
    solutions = store.query(text)
    names = [v.value for v in solutions.variables]
    return Counter(tuple(str(s[n]) if s[n] is not None else None for n in names) for s in solutions)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(query(), graph())
def test_a_rewritten_query_gives_the_rows_of_the_query_as_written(text, quads):
    store = ox.Store()
    store.extend(ox.Quad(q.subject, q.predicate, q.object) for q in quads)
    try:
        expected = rows(store, text)
    except SyntaxError:  # e.g. BIND to a variable already in scope: not a query
        assume(False)
    rewritten = minus_for_not_exists(text)
    if rewritten != text:
        assert rows(store, rewritten) == expected, rewritten


def test_the_random_queries_exercise_the_rewrite():
    """The property above proves something only if many of its queries are rewritten, in
    place and moved, at the top and in nested groups."""
    made: list[tuple[str, str]] = []

    @settings(max_examples=300, derandomize=True, database=None, deadline=None)
    @given(query())
    def collect(text):
        rewritten = minus_for_not_exists(text)
        if rewritten != text:
            made.append((text, rewritten))

    collect()
    assert len(made) >= 60
    assert any(q.count("MINUS") >= 2 for _, q in made)
    assert any(moved(text, q) for text, q in made)


def moved(text: str, rewritten: str) -> bool:
    """Whether some MINUS of `rewritten` is not where its FILTER NOT EXISTS was."""
    pieces = text.split("FILTER NOT EXISTS")
    in_place = set()
    for choice in itertools.product(["FILTER NOT EXISTS", "MINUS"], repeat=len(pieces) - 1):
        in_place.add(pieces[0] + "".join(c + p for c, p in zip(choice, pieces[1:], strict=True)))
    return rewritten not in in_place


# -- through the store, and how much it saves ---------------------------------------------


def test_the_store_rewrites_and_answers_alike(tmp_path: Path):
    store = OxigraphStore()
    data = tmp_path / "d.ttl"
    data.write_text("@prefix : <urn:x:> . :a a :X ; :p :c . :b a :X . :c a :X ; :p 1 . :d a :Y .\n")
    from stkg.rdf_files import Source

    store.load([Source(data, "urn:g", "d.ttl")])
    text = P + "SELECT ?s WHERE { ?s a :X FILTER NOT EXISTS { ?s :p ?o } } ORDER BY ?s"
    assert minus_for_not_exists(text) != text
    assert [str(r[0]) for r in store.query(text).rows] == ["<urn:x:b>"]
    # with bound parameters the query runs as written
    bound = store.query(
        P + "SELECT ?s ?k WHERE { ?s a ?k FILTER NOT EXISTS { ?s :p ?o } } ORDER BY ?s",
        bindings={"k": ox.NamedNode("urn:x:X")},
    )
    assert [str(r[0]) for r in bound.rows] == ["<urn:x:b>"]


def test_the_w3c_negation_tests_include_rewritten_queries():
    """tests/test_sparql_w3c.py compares these with their expected results through the
    endpoint, where the rewrite is made: the W3C suite checks it too."""
    suite = Path(__file__).parent / "w3c" / "sparql" / "sparql11" / "negation"
    for name in ("subsetByExcl01.rq", "temporalProximity01.rq"):
        text = (suite / name).read_text()
        rewritten = minus_for_not_exists(text)
        assert "NOT EXISTS" not in rewritten and "MINUS" in rewritten, name
