"""`/search?q=`: labels, notations and definitions, ranked and paged."""

from __future__ import annotations

from page_checks import assert_accessible_page
from stkg.web.search import search_index


def results(explorer, query: str) -> dict:
    response = explorer.get("/search.json?q=" + query)
    assert response.status_code == 200
    return response.get_json()


def test_finds_a_system_by_its_label_case_insensitively(explorer):
    data = results(explorer, "CARD FRAUD")
    top = data["results"][0]
    assert top["label"] == "Card fraud detection"
    assert top["kind"] == "system" and top["url"].startswith("/system?iri=")


def test_finds_a_requirement_by_its_notation_first(explorer):
    data = results(explorer, "GOVERN%201.1")
    top = data["results"][0]
    assert top["notation"] == "GOVERN 1.1" and top["field"] == "notation"
    assert top["url"] == "/frameworks/nist-ai-rmf#r-GOVERN-1.1"


def test_finds_words_in_definitions_and_official_text(explorer):
    data = results(explorer, "fundamental%20rights%20impact")
    fields = {r["field"] for r in data["results"]}
    assert fields & {"official text", "definition", "label", "preferred label"}
    assert all(
        "fundamental rights impact"
        in (r["match"]["before"] + r["match"]["match"] + r["match"]["after"]).lower()
        for r in data["results"]
    )


def test_results_are_paged_and_counted(explorer):
    first = results(explorer, "risk")
    assert first["paging"]["total"] > first["paging"]["per_page"] == len(first["results"])
    second = results(explorer, "risk&page=2")
    assert not {r["iri"] for r in first["results"]} & {r["iri"] for r in second["results"]}


def test_short_queries_and_no_match(explorer):
    assert results(explorer, "a")["results"] == []
    assert results(explorer, "zzqqxxnothing")["paging"]["total"] == 0


def test_the_index_is_built_once(explorer_app, explorer):
    explorer.get("/search.json?q=loan")
    with explorer_app.test_request_context():
        assert search_index() is search_index()


def test_search_page_marks_the_match_and_is_accessible(explorer):
    html = explorer.get("/search?q=escalation").get_data(as_text=True)
    assert "<mark>" in html.lower() or "<mark>" in html
    assert_accessible_page(html)


def test_the_system_comes_before_people_and_things_that_only_start_with_the_word(explorer):
    hits = results(explorer, "loan")["results"]
    assert hits[0]["label"] == "AI-based loan approval" and hits[0]["kind"] == "system"
    kinds = {h["label"]: h["kind"] for h in hits}
    assert kinds["Loan officers"] == "team"
    assert kinds["Loan applicants"] == "stakeholder group"
    labels = [h["label"] for h in hits]
    assert labels.index("Loan officers") < labels.index(
        "Authority to approve loans above EUR 50,000"
    )
    assert not [h for h in hits if h["kind"] == "resource" and h["label"].startswith("stakeholder")]


def test_a_label_match_is_not_printed_twice_and_the_page_has_one_search_box(explorer):
    html = explorer.get("/search?q=loan").get_data(as_text=True)
    assert "label: <mark>" not in html and "label: AI-based" not in html
    assert html.count('type="search"') == 1
