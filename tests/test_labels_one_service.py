"""One label service and one shortener for every door: the CLI's tables, the report's and
the explorer's words name a term the same way (rdfs:label, then skos:prefLabel, then
dct:title; English, then untagged, then any language), and of two prefixes that fit an IRI
the longer namespace wins, whatever order they were declared in."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

from conftest import write_project
from stkg.cli import main
from stkg.labels import describe
from stkg.project import Project
from stkg.web import create_app

EX = "https://w3id.org/stkg/example/test/"
DATA = f"""@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix dct: <http://purl.org/dc/terms/> .
<{EX}Kredit> rdfs:label "Kreditprüfung"@de ; skos:prefLabel "Credit check"@en .
<{EX}Policy> dct:title "Model risk policy" .
<{EX}Both> skos:prefLabel "Zweiter"@de , "Second"@en .
"""
EXPECTED = {"Kredit": "Kreditprüfung", "Policy": "Model risk policy", "Both": "Second"}


@pytest.fixture
def labelled(mini_project) -> Project:
    write_project(mini_project.root, {"data/labels.ttl": DATA})
    return Project(mini_project.root)


@pytest.mark.parametrize(
    "declared",
    [
        ("PREFIX t: <https://w3id.org/stkg/example/>", f"PREFIX tt: <{EX}>"),
        (f"PREFIX tt: <{EX}>", "PREFIX t: <https://w3id.org/stkg/example/>"),
    ],
)
def test_the_longest_namespace_names_an_iri_in_a_cli_table(runner, mini_project, declared):
    sparql = (
        "\n".join(declared)
        + "\nSELECT ?s WHERE { ?s a <https://w3id.org/stkg#SocialTechnicalSystem> }"
    )
    result = runner.invoke(
        main,
        ["--project", str(mini_project.root), "query", "--sparql", sparql],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[2] == "tt:Chatbot"


def test_the_explorer_and_the_report_labels_agree(labelled):
    app = create_app({"STKG_QUERY_WORKERS": 0}, project=labelled)
    client = app.test_client()
    from stkg.web.state import state

    reported = describe(state(app).store, [EX + name for name in EXPECTED])
    for name, label in EXPECTED.items():
        page = client.get("/resource.json?" + urlencode({"iri": EX + name})).get_json()
        assert page["resource"]["label"] == label, (name, page["resource"])
        assert reported[EX + name].label == label
