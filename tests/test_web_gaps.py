"""`/gaps`: the gap report by system or by framework clause, validated once per app."""

from __future__ import annotations

from urllib.parse import quote

from page_checks import assert_accessible_page, csv_rows
from stkg.validate import validate
from stkg.web.gaps import CSV_COLUMNS, gap_index

EX = "https://w3id.org/stkg/example/acme/"
SHAPES = "https://w3id.org/stkg/shapes#"
FW = "https://w3id.org/stkg/framework/"


def test_gaps_by_system_match_the_validator(explorer, explorer_app):
    data = explorer.get("/gaps.json?per_page=500").get_json()
    with explorer_app.app_context():
        report = validate(explorer_app.extensions["stkg"]["store"])
    assert data["results"] == len(report.results)
    assert data["counts"] == report.counts()
    shown = {(g["iri"], r["shape"], r["focus_node"]) for g in data["groups"] for r in g["results"]}
    expected = {(s, r.source_shape, r.focus_node) for r in report.results for s in r.systems}
    assert shown == expected
    assert EX + "LoanApproval" not in {g["iri"] for g in data["groups"]}


def test_html_and_json_show_the_same_groups(explorer):
    data = explorer.get("/gaps.json").get_json()
    html = explorer.get("/gaps").get_data(as_text=True)
    for group in data["groups"]:
        assert group["label"] in html
        for result in group["results"]:
            assert result["message"] in html
    assert_accessible_page(html)


def test_grouped_by_clause_each_group_is_a_requirement_with_its_link(explorer):
    data = explorer.get("/gaps.json?group=requirement&per_page=500").get_json()
    escalation = next(g for g in data["groups"] if g["notation"] == "A.3.3")
    assert escalation["url"].endswith("/frameworks/iso-iec-42001#r-A.3.3")
    systems = {s["iri"] for r in escalation["results"] for s in r["systems"]}
    assert {EX + "CustomerServiceChatbot", EX + "NextBestOffer"} <= systems
    html = explorer.get("/gaps?group=requirement").get_data(as_text=True)
    assert 'href="/frameworks/iso-iec-42001#r-A.3.3"' in html


def test_filters_narrow_the_results(explorer):
    warnings = explorer.get("/gaps.json?severity=Warning&per_page=500").get_json()
    assert warnings["results"] == warnings["counts"]["Warning"] > 0
    assert all(r["severity"] == "Warning" for g in warnings["groups"] for r in g["results"])
    eu = explorer.get(f"/gaps.json?framework={quote(FW + 'eu-ai-act')}&per_page=500").get_json()
    assert all(
        any(q["framework"] == FW + "eu-ai-act" for q in r["requirements"])
        for g in eu["groups"]
        for r in g["results"]
    )
    one = explorer.get(f"/gaps.json?system={quote(EX + 'FraudDetection')}").get_json()
    assert [g["iri"] for g in one["groups"]] == [EX + "FraudDetection"]
    assert one["results"] == 2


def test_groups_are_paged(explorer):
    all_groups = explorer.get("/gaps.json?per_page=500").get_json()["groups"]
    page2 = explorer.get("/gaps.json?per_page=3&page=2").get_json()
    assert [g["iri"] for g in page2["groups"]] == [g["iri"] for g in all_groups[3:6]]
    assert page2["paging"]["total"] == len(all_groups)
    assert explorer.get("/gaps.json?group=shape").status_code == 400


def test_csv_export_has_one_row_per_result_and_system(explorer):
    columns, rows = csv_rows(explorer.get("/gaps.csv"))
    assert columns == list(CSV_COLUMNS)
    data = explorer.get("/gaps.json").get_json()
    assert len(rows) == data["results"]  # each example result belongs to one system
    chatbot = [r for r in rows if r["system"] == EX + "CustomerServiceChatbot"]
    assert chatbot[0]["shape"] == "stkgsh:EscalationPathShape"
    assert "GOVERN 2.1" in chatbot[0]["requirements"].split("; ")
    _, violations = csv_rows(explorer.get("/gaps.csv?severity=Violation"))
    assert len(violations) == data["counts"]["Violation"]


def test_validation_runs_once_and_again_after_an_update(explorer_app, explorer):
    explorer.get("/gaps.json")
    state = explorer_app.extensions["stkg"]
    with explorer_app.test_request_context():
        first = gap_index()
        assert gap_index() is first  # cached
        state.pop("graphs", None)  # what an update through /sparql does
        assert gap_index() is not first


def test_a_long_group_shows_its_first_rows_and_links_to_all_of_them(explorer, monkeypatch):
    import stkg.web.gaps

    whole = explorer.get("/gaps.json?group=requirement&per_page=500").get_json()
    big = max(whole["groups"], key=lambda g: g["total"])
    assert big["total"] == len(big["results"]) > 2 and big["more"] is None
    monkeypatch.setattr(stkg.web.gaps, "GROUP_ROWS", 2)
    cut = explorer.get("/gaps.json?group=requirement&per_page=500").get_json()
    group = next(g for g in cut["groups"] if g["iri"] == big["iri"])
    assert group["total"] == big["total"] and group["results"] == big["results"][:2]
    html = explorer.get("/gaps?group=requirement&per_page=500").get_data(as_text=True)
    assert group["more"].replace("&", "&amp;") in html
    # the link lists every gap against that clause, by system
    monkeypatch.undo()
    every = explorer.get(group["more"].replace("/gaps?", "/gaps.json?") + "&per_page=500")
    listed = every.get_json()
    assert listed["group"] == "system" and listed["filters"] == {"requirement": big["iri"]}
    pairs = {
        (g["iri"], r["focus_node"], r["shape"]) for g in listed["groups"] for r in g["results"]
    }
    systems_in_big = {
        (s["iri"], r["focus_node"], r["shape"]) for r in big["results"] for s in r["systems"]
    }
    assert pairs == systems_in_big
    # a system's own page of gaps is never cut
    monkeypatch.setattr(stkg.web.gaps, "GROUP_ROWS", 1)
    busiest = max(
        explorer.get("/gaps.json?per_page=500").get_json()["groups"], key=lambda g: g["total"]
    )
    own = explorer.get("/gaps.json?system=" + quote(busiest["iri"], safe="")).get_json()
    [mine] = own["groups"]
    assert mine["total"] == len(mine["results"]) > 1 and mine["more"] is None
