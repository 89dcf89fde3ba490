"""Every named query gives the same answer through each public door: the CLI, the web
page's JSON twin and, for queries without parameters, SPARQLWrapper against the real
server's /sparql endpoint."""

from __future__ import annotations

import json
import urllib.request

import pytest
from SPARQLWrapper import JSON, SPARQLWrapper

from conftest import REPO
from servers import running_server
from stkg.cli import main
from stkg.project import Project
from stkg.queries import named_queries

QUERIES = named_queries(Project(REPO))
# Values for parameters that have no default; the answer must not be empty for them.
REQUIRED_VALUES = {
    "system": "https://w3id.org/stkg/example/acme/LoanApproval",
    "framework": "nist-ai-rmf",
    "source": "nist-ai-rmf",
    "target": "iso-iec-42001",
}


def _values(query) -> dict[str, str]:
    return {p.name: REQUIRED_VALUES[p.name] for p in query.params if p.required}


def _value(term: dict) -> str | tuple[str, ...]:
    if term["type"] == "bnode":  # blank node labels are a free choice
        return "_:"
    if term["type"] == "literal":  # GROUP_CONCAT's order is unspecified in SPARQL 1.1
        return tuple(sorted(term["value"].split()))
    return term["value"]


def _rows(document: dict) -> list[tuple]:
    """Bindings as comparable rows."""
    rows = [
        tuple(sorted((name, term["type"], _value(term)) for name, term in binding.items()))
        for binding in document["results"]["bindings"]
    ]
    return sorted(rows)


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_cli_and_web_page_give_the_same_answer(name, runner, client):
    query = QUERIES[name]
    values = _values(query)
    params = [arg for k, v in values.items() for arg in ("--param", f"{k}={v}")]
    cli = runner.invoke(main, ["query", name, *params, "--format", "json"])
    assert cli.exit_code == 0, cli.output
    web = client.get(f"/queries/{name}.json", query_string=values)
    assert web.status_code == 200, web.get_data(as_text=True)
    assert _rows(json.loads(cli.stdout)) == _rows(web.get_json())


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with running_server(tmp_path_factory.mktemp("server")) as running:
        yield running.base


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(n for n, q in QUERIES.items() if not q.params))
def test_sparqlwrapper_on_the_endpoint_gives_the_named_query_answer(name, server):
    sparql = SPARQLWrapper(f"{server}/sparql")
    sparql.setQuery(QUERIES[name].sparql)
    sparql.setReturnFormat(JSON)
    through_endpoint = sparql.queryAndConvert()
    with urllib.request.urlopen(f"{server}/queries/{name}.json") as answer:
        through_page = json.load(answer)
    assert _rows(through_endpoint) == _rows(through_page)
