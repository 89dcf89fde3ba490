"""`/editor`: the SPARQL editor works as a plain form, with the named queries as examples."""

from __future__ import annotations

import csv
import io
import re
from html import unescape

from conftest import REPO

EX = "https://w3id.org/stkg/example/acme/"
ESCALATION = "systems-without-escalation-path"
QUERY = (
    "PREFIX stkg: <https://w3id.org/stkg#>\n"
    "SELECT ?system WHERE { ?system a stkg:SocialTechnicalSystem } ORDER BY ?system"
)


def _textarea(html: str) -> str:
    found = re.search(r'<textarea id="query" name="query"[^>]*>(.*?)</textarea>', html, re.S)
    assert found, "no query textarea"
    return unescape(found.group(1))


def test_the_editor_is_a_labelled_form_with_every_named_query_as_an_example(client):
    page = client.get("/editor")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert '<label for="query">' in html
    assert '<form id="editor-form" method="post" action="/editor">' in html
    assert "SELECT" in _textarea(html)
    named = {q["id"] for q in client.get("/queries.json").get_json()["queries"]}
    examples = client.get("/editor.json").get_json()["examples"]
    assert {e["id"] for e in examples} == named
    for name in named:
        assert f'href="/editor?example={name}"' in html
    assert client.get("/editor.json").get_json()["endpoint"] == "/sparql"


def test_an_example_fills_the_editor_with_the_query_as_written(client):
    html = client.get(f"/editor?example={ESCALATION}").get_data(as_text=True)
    written = (REPO / "queries" / f"{ESCALATION}.rq").read_text(encoding="utf-8")
    assert _textarea(html).strip() == written.strip()


def test_an_unknown_example_leaves_the_starter_query(client):
    page = client.get("/editor?example=no-such-query")
    assert page.status_code == 200
    assert _textarea(page.get_data(as_text=True)) == _textarea(
        client.get("/editor").get_data(as_text=True)
    )


def test_running_a_query_without_javascript_shows_a_table_and_keeps_the_query(client):
    page = client.post("/editor", data={"query": QUERY})
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert f'title="{EX}CustomerServiceChatbot"' in html
    assert '<th scope="col">system</th>' in html
    assert _textarea(html) == QUERY
    data = client.post("/editor.json", data={"query": QUERY}).get_json()
    systems = [b["system"]["value"] for b in data["results"]["bindings"]]
    assert EX + "CustomerServiceChatbot" in systems
    assert html.count("<tr>") - 1 == len(systems)  # one row per answer, plus the header


def test_a_bad_query_is_an_error_message_not_a_crash(client):
    page = client.get("/editor", query_string={"query": "SELEC nothing"})
    assert page.status_code == 400
    assert 'role="alert"' in page.get_data(as_text=True)
    assert "error" in client.get("/editor.json", query_string={"query": "SELEC"}).get_json()


def test_the_editor_is_as_safe_as_the_endpoint(client):
    refused = client.post("/editor", data={"query": "SELECT * WHERE { SERVICE <http://x/> {} }"})
    assert refused.status_code >= 400
    assert 'role="alert"' in refused.get_data(as_text=True)


def test_the_download_button_posts_the_query_to_the_endpoint_as_csv(client):
    html = client.get("/editor").get_data(as_text=True)
    action = re.search(r'<button type="submit" formaction="([^"]+)">Download CSV', html)
    assert action, "no Download CSV button"
    answer = client.post(unescape(action.group(1)), data={"query": QUERY})
    assert answer.status_code == 200 and answer.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(answer.get_data(as_text=True))))
    assert EX + "CustomerServiceChatbot" in {r["system"] for r in rows}
