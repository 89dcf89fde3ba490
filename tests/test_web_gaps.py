"""`/gaps`: the gap report by system or by framework clause, validated once per app."""

from __future__ import annotations

import json
import re
from html import escape
from urllib.parse import quote

from page_checks import assert_accessible_page, csv_rows, visible_text
from stkg.validate import validate
from stkg.web.gaps import CSV_COLUMNS, gap_index
from stkg.web.state import state, store_changed

EX = "https://w3id.org/stkg/example/acme/"
SHAPES = "https://w3id.org/stkg/shapes#"
FW = "https://w3id.org/stkg/framework/"


def test_gaps_by_system_match_the_validator(explorer, explorer_app):
    data = explorer.get("/gaps.json?per_page=500").get_json()
    with explorer_app.app_context():
        report = validate(state(explorer_app).store)
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
    with explorer_app.test_request_context():
        first = gap_index()
        assert gap_index() is first  # cached
        store_changed()  # what a write through the app does
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


def _worst_first(group: dict) -> tuple:
    """The order `/gaps` promises: most severe result, then more violations, warnings, infos."""
    severities = group["severities"]
    worst = next((i for i, s in enumerate(("Violation", "Warning", "Info")) if severities[s]), 3)
    return (worst, -severities["Violation"], -severities["Warning"], -severities["Info"])


def test_systems_come_worst_first_and_by_name_on_request(explorer):
    data = explorer.get("/gaps.json?per_page=500").get_json()
    assert data["sort"] == "priority"
    keys = [_worst_first(g) for g in data["groups"]]
    assert keys == sorted(keys)
    assert data["groups"][0]["iri"] == EX + "NextBestOffer"  # ten gaps, eight violations
    assert data["groups"][0]["severities"] == {"Violation": 8, "Warning": 1, "Info": 1}
    by_name = explorer.get("/gaps.json?per_page=500&sort=name").get_json()["groups"]
    assert [g["label"].lower() for g in by_name] == sorted(g["label"].lower() for g in by_name)
    html = explorer.get("/gaps").get_data(as_text=True)
    assert html.index("Next-best-offer marketing model") < html.index("AML transaction monitoring")
    assert 'id="sort"' in html and 'value="priority" selected' in html
    assert explorer.get("/gaps.json?sort=random").status_code == 400
    assert explorer.get("/gaps.json?view=pie").status_code == 400


def test_the_matrix_shows_each_systems_worst_severity_per_gap_type(explorer):
    data = explorer.get("/gaps.json?view=matrix&per_page=500").get_json()
    matrix = data["matrix"]
    assert [r["iri"] for r in matrix["rows"]] == [g["iri"] for g in data["groups"]]
    titles = [c["title"] for c in matrix["columns"]]
    assert "Escalation path" in titles
    assert not [t for t in titles if t.endswith("Shape")]  # shape titles, not shape names
    rank = {"Violation": 0, "Warning": 1, "Info": 2}
    for row, group in zip(matrix["rows"], data["groups"], strict=True):
        for column, cell in zip(matrix["columns"], row["cells"], strict=True):
            found = [r for r in group["results"] if r["shape"] == column["shape"]]
            if not found:
                assert cell is None
                continue
            assert cell["count"] == len(found)
            assert cell["severity"] == min((r["severity"] for r in found), key=rank.get)
    html = explorer.get("/gaps?view=matrix").get_data(as_text=True)
    assert 'id="gap-matrix"' in html and "Escalation path" in html
    assert_accessible_page(html)


def test_high_risk_filter_keeps_only_gaps_of_high_risk_systems(explorer):
    data = explorer.get("/gaps.json?tier=high-risk&severity=Violation&per_page=500").get_json()
    systems = explorer.get("/systems.json?per_page=500").get_json()["systems"]
    high = {
        s["system"] for s in systems if "/tier/high-risk" in ((s["tier"] or {}).get("iri") or "")
    }
    assert {g["iri"] for g in data["groups"]} <= high and data["groups"]
    assert all(r["severity"] == "Violation" for g in data["groups"] for r in g["results"])
    html = explorer.get("/gaps?tier=high-risk").get_data(as_text=True)
    assert "Only the gaps of high-risk systems" in html


CURIE = re.compile(r"\b(?:stkg|stkgsh|ex|fw|skos|rdfs|owl|sh):[A-Za-z]")


def test_messages_and_gap_types_read_as_words_not_iris(explorer):
    data = explorer.get("/gaps.json?per_page=500").get_json()
    results = [r for g in data["groups"] for r in g["results"]]
    for result in results:
        assert "https://" not in result["message"], result["message"]
        assert not CURIE.search(result["message"]), result["message"]
    separation = next(r for r in results if r["shape"] == SHAPES + "SeparationOfDutiesShape")
    assert separation["message"].startswith("People Analytics team reviews the output")
    assert "PeopleAnalyticsTeam" in separation["message_source"]  # the report's own text
    impact = next(r for r in results if r["shape"] == SHAPES + "ImpactLevelShape")
    assert "(high impact, medium impact or low impact)" in impact["message"]
    facets = {f["value"]: f["label"] for f in data["facets"]["shape"]}
    assert facets[SHAPES + "EscalationPathShape"] == "Escalation path"
    text = visible_text(explorer.get("/gaps?per_page=500").get_data(as_text=True))
    assert "https://" not in text and not CURIE.search(text)
    _, rows = csv_rows(explorer.get("/gaps.csv"))
    assert not [r for r in rows if "https://" in r["message"]]


def test_clause_codes_carry_their_titles(explorer):
    data = explorer.get("/gaps.json").get_json()
    ref = next(q for g in data["groups"] for r in g["results"] for q in r["requirements"])
    assert ref["label"] and ref["label"] != ref["notation"]
    html = explorer.get("/gaps").get_data(as_text=True)
    assert f'title="{escape(ref["label"])}">{ref["notation"]}</a>' in html


def test_stkg_report_and_the_gaps_page_agree(explorer, runner):
    """`stkg report --format json` and `/gaps.json` are built from one gap index: the same
    systems with the same counts per severity and the same gap types."""
    from conftest import REPO
    from stkg.cli import main

    result = runner.invoke(main, ["--project", str(REPO), "report", "--format", "json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    page = explorer.get("/gaps.json?per_page=500").get_json()
    reported = {s["iri"]: s for s in report["systems"] if s["missing"]}
    shown = {g["iri"]: g for g in page["groups"]}
    assert set(reported) == set(shown) and shown
    for iri, system in reported.items():
        assert system["counts"] == shown[iri]["severities"], iri
        types = {(m["shape"], m["shape_title"]) for m in system["missing"]}
        assert types == {(r["shape"], r["shape_title"]) for r in shown[iri]["results"]}, iri
    assert report["counts"] == page["counts"]
