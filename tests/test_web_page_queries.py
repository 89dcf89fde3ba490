"""Pages that take an IRI from the URL bind it into their queries, never paste it into the text.

A hostile "IRI" in a URL (one that closes the term and starts an update, a quote, a newline,
the same percent-encoded) is answered as a client error (not an IRI), 404 (an IRI not in the
store) or a normal page (an IRI that is in the store), never as a server error or a SPARQL
syntax error; and the IRI a page was asked for reaches the store only as a binding.
"""

from __future__ import annotations

import re
from urllib.parse import quote, urlencode

import pytest

from conftest import MINI_DATA, MINI_ONTOLOGY, write_project
from stkg.project import Project
from stkg.web import create_app
from stkg.web.state import state
from stkg.web.terms import is_iri

EX = "https://w3id.org/stkg/example/test/"
INJECTION = "x> } ; DROP ALL ; INSERT DATA { <x:a> <x:b> <x:c> } ; <" + EX + "Chatbot"
HOSTILE = (
    EX + INJECTION,
    EX + 'a"b',
    EX + "a\nb",
    EX + "a>",
    EX + quote(INJECTION, safe=""),  # a valid IRI, percent-encoded
    EX + "Chatbot" + quote('"> } ; DROP ALL ; <', safe=""),
)
# An IRI of the data that spells an injection percent-encoded: its pages must just work.
STORED = EX + quote("> } ; DROP ALL ; <", safe="")
SYNTAX = re.compile(r"error at \d+:\d+|expected |syntax error|SyntaxError", re.I)


def pages(iri: str) -> list[str]:
    """Every page taking an IRI (or a framework name) from the URL, and its JSON twin."""
    by_query = [
        ("/resource", "iri"),
        ("/resource.json", "iri"),
        ("/system", "iri"),
        ("/system.json", "iri"),
        ("/systems", "implements"),
        ("/systems.json", "implements"),
        ("/systems", "shape"),
        ("/systems.json", "framework"),
        ("/gaps", "system"),
        ("/gaps.json", "system"),
        ("/gaps.json", "requirement"),
        ("/crosswalk", "source"),
        ("/crosswalk.json", "target"),
        ("/graph", "graph"),
    ]
    urls = [f"{path}?{urlencode({name: iri})}" for path, name in by_query]
    urls.append(f"/resource?{urlencode({'iri': iri, 'format': 'turtle'})}")
    slug = quote(iri, safe="")
    urls += [f"/frameworks/{slug}", f"/frameworks/{slug}.json", f"/frameworks/{slug}/soa.json"]
    return urls


@pytest.fixture(scope="module")
def mini_app(tmp_path_factory):
    """The tiny project plus a system whose IRI spells an injection, percent-encoded."""
    extra = (
        "@prefix stkg: <https://w3id.org/stkg#> .\n"
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
        f'<{STORED}> a stkg:SocialTechnicalSystem ; rdfs:label "Odd" .\n'
    )
    root = write_project(
        tmp_path_factory.mktemp("hostile"),
        {
            "ontology/core.ttl": MINI_ONTOLOGY,
            "data/systems.ttl": MINI_DATA,
            "data/odd.ttl": extra,
        },
    )
    project = Project(root)
    return create_app({"STKG_QUERY_WORKERS": 0}, project=project, store=project.open_store())


@pytest.mark.parametrize("iri", HOSTILE)
def test_hostile_iris_get_a_client_error_or_a_page_never_a_server_or_syntax_error(explorer, iri):
    size = len(state(explorer.application).store.query("SELECT * { ?s ?p ?o }").rows)
    for url in pages(iri):
        response = explorer.get(url)
        body = response.get_data(as_text=True)
        # 400 only says "not an IRI"; a filter matching nothing is a normal, empty page
        allowed = (200, 404) if is_iri(iri) else (200, 400, 404)
        assert response.status_code in allowed, f"{url}: {response.status_code} {body[:300]}"
        assert not SYNTAX.search(body), f"{url}: {body[:300]}"
    assert len(state(explorer.application).store.query("SELECT * { ?s ?p ?o }").rows) == size


def test_an_iri_that_spells_an_injection_has_normal_pages(mini_app):
    client = mini_app.test_client()
    for path in ("/resource", "/resource.json", "/system", "/system.json"):
        response = client.get(f"{path}?{urlencode({'iri': STORED})}")
        assert response.status_code == 200, response.get_data(as_text=True)[:300]
        assert "Odd" in response.get_data(as_text=True)
    data = client.get(f"/resource.json?{urlencode({'iri': STORED})}").get_json()
    assert data["resource"]["iri"] == STORED
    assert data["outgoing"]["total"] == 2
    turtle = client.get(f"/resource?{urlencode({'iri': STORED, 'format': 'turtle'})}")
    assert turtle.status_code == 200 and "Odd" in turtle.get_data(as_text=True)


# A list of IRIs (labels for everything on a page) has no binding: it goes in a VALUES block
# written term by term by pyoxigraph, which rejects anything that is not an IRI.
VALUES_BLOCK = re.compile(r"VALUES\s*(\?\w+|\([^)]*\))\s*\{[^{}]*\}")


def test_the_iri_a_page_is_asked_for_reaches_the_store_only_as_a_binding(mini_app, monkeypatch):
    store = state(mini_app).store
    client = mini_app.test_client()
    client.get("/gaps.json")  # the caches, built once, are not what this test is about
    texts: list[str] = []
    query = store.query

    def recording(sparql: str, **options):
        texts.append(sparql)
        return query(sparql, **options)

    monkeypatch.setattr(store, "query", recording)
    system = EX + "Chatbot"
    for url in [*pages(system)[:6], f"/resource?{urlencode({'iri': system, 'format': 'nt'})}"]:
        texts.clear()
        assert client.get(url).status_code == 200, url
        pasted = [t for t in texts if system in VALUES_BLOCK.sub("", t)]
        assert texts and not pasted, f"{url} pasted the IRI into: {pasted}"
