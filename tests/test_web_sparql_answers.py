"""`/sparql` answers from the query workers are the engine's own, byte for byte, in every
format; cut at the row cap and at the byte cap on whole rows, and only past them."""

from __future__ import annotations

import json

import pyoxigraph as ox
import pytest

from stkg.web import create_app
from stkg.web.sparql import close_executors

# 3,600 rows (tens of kilobytes: many of the serialiser's chunks), values that need escaping
VALUES = " ".join(str(i) for i in range(60))
ROWS = f"""PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
SELECT ?n ?v ?a WHERE {{
  VALUES ?a {{ {VALUES} }}
  VALUES ?b {{ {VALUES} }}
  VALUES (?k ?v) {{ (0 "tab\\there") (1 "line\\nbreak \\"quoted\\"") (2 "é ✓ 😀"@fr)
    (3 "1.50"^^xsd:decimal) (4 true) (5 <urn:x>) (6 UNDEF) }}
  FILTER(?k = ?b - 7 * FLOOR(?b / 7))
  BIND(?a * 60 + ?b AS ?n)
}} ORDER BY ?n"""
TRIPLES = ROWS.replace("SELECT ?n ?v ?a WHERE", "CONSTRUCT { ?s <urn:v> ?v } WHERE").replace(
    "BIND(?a * 60", 'BIND(IRI(CONCAT("urn:n", STR(?a * 60 + ?b))) AS ?s) BIND(?a * 60'
)
ACCEPT = {
    "json": "application/sparql-results+json",
    "xml": "application/sparql-results+xml",
    "csv": "text/csv",
    "tsv": "text/tab-separated-values",
}


def engine(text: str, fmt: str) -> bytes:
    """What Oxigraph itself writes for the query, in this process."""
    return ox.Store().query(text).serialize(format=getattr(ox.QueryResultsFormat, fmt.upper()))


@pytest.fixture(scope="module")
def endpoints(project, store):
    """Apps with one query worker each: a 2,500-row cap, a cap of exactly the 3,600 rows,
    and a 50,000-byte cap."""
    configs = {
        "rows": {"STKG_MAX_ROWS": 2500},
        "exact": {"STKG_MAX_ROWS": 3600},
        "bytes": {"STKG_MAX_ROWS": 10_000, "STKG_MAX_ANSWER_BYTES": 50_000},
    }
    apps = {
        name: create_app({"STKG_QUERY_WORKERS": 1, **config}, project=project, store=store)
        for name, config in configs.items()
    }
    yield {name: app.test_client() for name, app in apps.items()}
    for app in apps.values():
        close_executors(app)


def _post(client, text: str, fmt: str):
    answer = client.post("/sparql", data={"query": text}, headers={"Accept": ACCEPT[fmt]})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return answer


@pytest.mark.parametrize("fmt", ["json", "xml", "csv", "tsv"])
def test_an_answer_within_the_caps_is_the_engines_own_in_every_format(endpoints, fmt):
    answer = _post(endpoints["exact"], ROWS, fmt)
    assert "X-STKG-Truncated" not in answer.headers
    assert answer.get_data() == engine(ROWS, fmt)
    again = _post(endpoints["exact"], ROWS, fmt)  # from the answer cache, serialised once
    assert again.get_data() == engine(ROWS, fmt)


@pytest.mark.parametrize("fmt", ["xml", "csv", "tsv"])
def test_an_answer_past_the_row_cap_is_its_first_rows_in_every_format(endpoints, fmt):
    answer = _post(endpoints["rows"], ROWS, fmt)
    assert answer.headers["X-STKG-Truncated-By"] == "rows"
    assert answer.get_data() == engine(f"{ROWS} LIMIT 2500", fmt)


def test_a_json_answer_past_the_row_cap_says_so_in_the_document(endpoints):
    document = json.loads(_post(endpoints["rows"], ROWS, "json").get_data())
    assert document.pop("truncated") is True
    assert document == json.loads(engine(f"{ROWS} LIMIT 2500", "json"))


def test_an_answer_past_the_byte_cap_keeps_the_whole_rows_that_fit(endpoints):
    answer = _post(endpoints["bytes"], ROWS, "tsv")
    assert answer.headers["X-STKG-Truncated-By"] == "bytes"
    lines = engine(ROWS, "tsv").split(b"\n")[1:]
    kept = answer.get_data().count(b"\n") - 1
    sizes = [len(line) + 1 for line in lines]
    assert 0 < kept < 3600
    assert sum(sizes[:kept]) <= 50_000 < sum(sizes[: kept + 1])
    assert answer.get_data() == engine(f"{ROWS} LIMIT {kept}", "tsv")


def test_a_graph_answer_is_the_engines_triples_and_cut_at_the_row_cap(endpoints):
    whole = ox.Store().query(TRIPLES)
    expected = set(whole)
    assert len(expected) > 2500
    answer = endpoints["exact"].post(
        "/sparql", data={"query": TRIPLES}, headers={"Accept": "application/n-triples"}
    )
    got = set(ox.parse(answer.get_data(), format=ox.RdfFormat.N_TRIPLES))
    assert {ox.Triple(q.subject, q.predicate, q.object) for q in got} == expected
    cut = endpoints["rows"].post(
        "/sparql", data={"query": TRIPLES}, headers={"Accept": "application/n-triples"}
    )
    assert cut.headers["X-STKG-Truncated-By"] == "rows"
    assert cut.get_data().count(b"\n") == 2500
