"""Query results: lossless standard serialisations and a readable table."""

from __future__ import annotations

import json

import pyoxigraph as ox
import pytest

from stkg.results import QueryResult, TsvResult, render_table
from stkg.store import PREFIXES

DATA = """
@prefix stkg: <https://w3id.org/stkg#> .
@prefix ex: <https://w3id.org/stkg/example/t/> .
ex:a stkg:label "Loan approval"@en , "multi\\nline \\"quoted\\"" , 42 ;
     stkg:hasOwner [ stkg:label "anonymous" ] .
"""

SELECT = "SELECT ?s ?p ?o ?missing WHERE { ?s ?p ?o OPTIONAL { ?s <urn:none> ?missing } }"


@pytest.fixture
def oxstore() -> ox.Store:
    store = ox.Store()
    store.load(DATA, ox.RdfFormat.TURTLE)
    return store


@pytest.mark.parametrize("fmt", ["json", "xml", "csv", "tsv"])
def test_select_serialisations_match_oxigraphs_own(oxstore, fmt):
    ours = QueryResult.from_oxigraph(oxstore.query(SELECT)).serialize(fmt)
    fmt_enum = {
        "json": ox.QueryResultsFormat.JSON,
        "xml": ox.QueryResultsFormat.XML,
        "csv": ox.QueryResultsFormat.CSV,
        "tsv": ox.QueryResultsFormat.TSV,
    }[fmt]
    theirs = oxstore.query(SELECT).serialize(format=fmt_enum)
    if fmt == "json":  # blank node labels are the only free choice
        assert _shape(json.loads(ours)) == _shape(json.loads(theirs))
    else:
        assert sorted(_without_bnodes(ours).splitlines()) == sorted(
            _without_bnodes(theirs).splitlines()
        )


def _without_bnodes(data: bytes) -> str:
    import re

    return re.sub(r"(_:|bnode>|\"bnode\">)[A-Za-z0-9]+", r"\1B", data.decode())


def _shape(doc: dict) -> tuple:
    rows = []
    for binding in doc["results"]["bindings"]:
        rows.append(
            tuple(
                sorted(
                    (
                        k,
                        v["type"],
                        "B" if v["type"] == "bnode" else v["value"],
                        v.get("xml:lang"),
                        v.get("datatype"),
                    )
                    for k, v in binding.items()
                )
            )
        )
    return tuple(doc["head"]["vars"]), tuple(sorted(rows))


def test_ask_serialises_as_sparql_json():
    result = QueryResult("ask", boolean=True)
    assert json.loads(result.serialize("json")) == {"head": {}, "boolean": True}


def test_graph_results_serialise_as_rdf_and_refuse_result_formats(oxstore):
    result = QueryResult.from_oxigraph(oxstore.query("CONSTRUCT WHERE { ?s ?p ?o }"))
    assert len(list(ox.parse(result.serialize("nt"), format=ox.RdfFormat.N_TRIPLES))) == 5
    with pytest.raises(ValueError, match="does not fit a graph result"):
        result.serialize("json")


def test_select_refuses_graph_formats(oxstore):
    with pytest.raises(ValueError, match="does not fit a SELECT result"):
        QueryResult.from_oxigraph(oxstore.query(SELECT)).serialize("turtle")


def test_table_shortens_iris_and_keeps_one_line_per_row(oxstore):
    result = QueryResult.from_oxigraph(
        oxstore.query("SELECT ?p ?o WHERE { ?s ?p ?o FILTER(isLiteral(?o)) } ORDER BY STR(?o)")
    )
    table = render_table(result, PREFIXES).splitlines()
    assert table[0].split() == ["p", "o"]
    assert "stkg:label  Loan approval@en" in table
    assert 'stkg:label  multi line "quoted"' in table
    assert table[-1] == "(4 rows)"


def test_dicts_leave_out_unbound_variables(oxstore):
    rows = QueryResult.from_oxigraph(oxstore.query(SELECT)).dicts()
    assert rows and all("missing" not in row for row in rows)


@pytest.mark.parametrize("fmt", ["json", "xml", "csv", "tsv", "table"])
def test_an_answer_kept_as_tsv_serialises_and_reads_as_the_parsed_one(oxstore, fmt):
    parsed = QueryResult.from_oxigraph(oxstore.query(SELECT))
    tsv = oxstore.query(SELECT).serialize(format=ox.QueryResultsFormat.TSV).decode()
    kept = TsvResult(parsed.variables, tsv)
    assert kept.serialize(fmt) == parsed.serialize(fmt)
    assert kept.rows == parsed.rows and len(kept) == len(parsed) == 5


def test_setting_the_rows_of_an_answer_kept_as_tsv_is_what_it_serialises(oxstore):
    parsed = QueryResult.from_oxigraph(oxstore.query(SELECT))
    tsv = oxstore.query(SELECT).serialize(format=ox.QueryResultsFormat.TSV).decode()
    kept = TsvResult(parsed.variables, tsv)
    kept.rows = kept.rows[:1]
    assert len(json.loads(kept.serialize("json"))["results"]["bindings"]) == 1
