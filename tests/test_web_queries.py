"""`/queries`: the named queries in the browser (no JavaScript needed) and as JSON and CSV."""

from __future__ import annotations

import csv
import io
import re
from urllib.parse import quote

from page_checks import visible_text

EX = "https://w3id.org/stkg/example/acme/"


def test_the_list_links_every_named_query_and_has_a_json_twin(client):
    page = client.get("/queries")
    assert page.status_code == 200
    listed = client.get("/queries.json").get_json()["queries"]
    html = page.get_data(as_text=True)
    for query in listed:
        assert f'href="/queries/{query["id"]}"' in html
    assert "systems-without-escalation-path" in {q["id"] for q in listed}


def test_a_query_page_shows_a_semantic_table(client):
    page = client.get("/queries/systems-without-escalation-path").get_data(as_text=True)
    assert '<th scope="col">system</th>' in page
    assert "<caption>" in page
    assert f'title="{EX}CustomerServiceChatbot"' in page
    assert "<script" not in page


def test_the_parameter_form_labels_its_inputs_and_runs_without_javascript(client):
    form = client.get("/queries/system-profile")
    html = form.get_data(as_text=True)
    assert form.status_code == 200
    assert '<form method="get"' in html
    assert '<label for="param-system">' in html and 'id="param-system"' in html
    assert "Give a value for system" in html
    ran = client.get("/queries/system-profile", query_string={"system": EX + "LoanApproval"})
    assert f'title="{EX}MariaLopez"' in ran.get_data(as_text=True)


def test_json_and_csv_twins_give_the_same_answer(client):
    args = {"system": EX + "LoanApproval"}
    data = client.get("/queries/system-profile.json", query_string=args).get_json()
    assert data["query"]["id"] == "system-profile"
    assert data["values"] == args
    json_values = [b["value"]["value"] for b in data["results"]["bindings"]]
    answer = client.get("/queries/system-profile.csv", query_string=args)
    assert answer.content_type == "text/csv; charset=utf-8"
    rows = list(csv.DictReader(io.StringIO(answer.get_data(as_text=True))))
    assert [row["value"] for row in rows] == json_values
    assert data["head"]["vars"] == list(rows[0])


def test_a_bad_parameter_is_400_everywhere_with_a_clear_message(client):
    args = {"system": "not an iri"}
    page = client.get("/queries/system-profile", query_string=args)
    assert page.status_code == 400
    assert re.search(r'role="alert".*must be of type iri', page.get_data(as_text=True), re.S)
    as_json = client.get("/queries/system-profile.json", query_string=args)
    assert as_json.status_code == 400 and "must be of type iri" in as_json.get_json()["error"]
    assert client.get("/queries/system-profile.csv", query_string=args).status_code == 400
    unknown = client.get("/queries/systems-without-owner.json", query_string={"x": "1"})
    assert unknown.status_code == 400
    assert client.get("/queries/system-profile.json").status_code == 400  # required


def test_an_unknown_query_is_404(client):
    assert client.get("/queries/nope").status_code == 404
    assert client.get("/queries/nope.json").status_code == 404


def test_result_iris_link_to_the_apps_own_pages(client):
    page = client.get("/queries/systems-without-escalation-path").get_data(as_text=True)
    chatbot = quote(EX + "CustomerServiceChatbot", safe=":/")
    assert re.search(
        rf'<a href="/system\?iri={re.escape(chatbot)}"[^>]*>Customer-service chatbot</a>', page
    )
    assert "https://w3id.org" not in visible_text(page)


def test_a_query_page_shows_one_page_of_rows(client):
    data = client.get("/queries/systems-without-escalation-path.json").get_json()
    total = len(data["results"]["bindings"])
    assert total >= 2
    first = client.get("/queries/systems-without-escalation-path?per_page=1").get_data(as_text=True)
    assert first.count("<tr>") == 2  # the header and one row
    assert f"Rows 1–1 of {total}" in first and 'rel="next"' in first
    second = client.get("/queries/systems-without-escalation-path?per_page=1&page=2")
    assert second.status_code == 200 and 'rel="prev"' in second.get_data(as_text=True)
