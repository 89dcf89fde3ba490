"""The start page, a portfolio dashboard, and its JSON twin."""

from __future__ import annotations

import re

from page_checks import assert_accessible_page
from stkg.summary import summarize
from stkg.web import create_app
from stkg.web.state import state


def test_start_page_shows_what_was_loaded(explorer, explorer_app):
    page = explorer.get("/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    web = state(explorer_app)
    counts = summarize(web.store, web.project)["counts"]
    for name, value in counts.items():
        match = re.search(rf'id="count-{name}">([\d,]+)<', html)
        assert match, f"count {name} missing from the page"
        assert match.group(1) == f"{value:,}"  # with thousands separators
    assert "ontology/stkg.ttl" in html


def test_json_twin_keeps_its_keys_and_adds_the_dashboard(explorer):
    data = explorer.get("/index.json").get_json()
    assert {"version", "project", "counts", "graphs", "dashboard"} <= set(data)
    assert set(data["counts"]) == {
        "systems",
        "classes",
        "properties",
        "shapes",
        "frameworks",
        "named_queries",
        "triples",
    }
    assert data["counts"]["classes"] > 20
    assert any(g["source"] == "ontology/stkg.ttl" for g in data["graphs"])


def test_dashboard_counts_add_up_to_the_portfolio(explorer):
    data = explorer.get("/index.json").get_json()
    board, systems = data["dashboard"], data["counts"]["systems"]
    for chart in ("systems_by_impact", "systems_by_stage"):
        assert sum(row["count"] for row in board[chart]) == systems, chart
    impact = {row["label"]: row["count"] for row in board["systems_by_impact"]}
    assert impact["not recorded"] == 1  # the next-best-offer model records nothing
    # every system has at least one tier (or is counted as unclassified)
    assert sum(row["count"] for row in board["systems_by_tier"]) >= systems
    gaps = explorer.get("/gaps.json").get_json()
    assert {r["label"]: r["count"] for r in board["gaps_by_severity"]} == gaps["counts"]
    assert board["open_gaps"] == gaps["results"]
    frameworks = {row["label"] for row in board["gaps_by_framework"]}
    assert {"NIST AI RMF 1.0", "ISO/IEC 42001:2023", "EU AI Act"} <= frameworks


def test_each_chart_is_also_a_table_of_its_numbers_with_links(explorer):
    html = explorer.get("/").get_data(as_text=True)
    board = explorer.get("/index.json").get_json()["dashboard"]
    for chart_id, key in [
        ("chart-impact", "systems_by_impact"),
        ("chart-severity", "gaps_by_severity"),
    ]:
        table = re.search(rf'<table class="bars" id="{chart_id}">(.*?)</table>', html, re.S)
        assert table, chart_id
        for row in board[key]:
            assert f">{row['count']}</td>" in table.group(1)
            assert row["url"].replace("&", "&amp;") in table.group(1)
    assert 'aria-hidden="true"' in html  # bars are decoration; the numbers are the text


def test_a_chart_link_leads_to_the_systems_it_counts(explorer):
    board = explorer.get("/index.json").get_json()["dashboard"]
    high = next(r for r in board["systems_by_impact"] if r["label"] == "high impact")
    listed = explorer.get(high["url"].replace("/systems", "/systems.json", 1)).get_json()
    assert listed["paging"]["total"] == high["count"]


def test_dashboard_is_accessible_and_self_contained(explorer):
    html = explorer.get("/").get_data(as_text=True)
    assert 'href="/index.json"' in html
    assert_accessible_page(html)


def test_the_app_is_never_in_debug_mode_and_limits_request_size(mini_project):
    app = create_app({"DEBUG": True}, project=mini_project)
    assert app.debug is False
    assert app.config["MAX_CONTENT_LENGTH"] <= 10 * 1024 * 1024


def test_config_names_the_project(mini_project):
    app = create_app({"STKG_PROJECT": str(mini_project.root)})
    data = app.test_client().get("/index.json").get_json()
    assert data["counts"]["systems"] == 2
    assert data["project"] == str(mini_project.root)


def test_warming_builds_the_page_caches_before_the_first_visit(mini_project):
    from stkg.web import warm

    app = create_app({"STKG_QUERY_WORKERS": 0}, project=mini_project)
    caches = state(app).caches
    assert not caches.ready("gaps") and not caches.ready("search")
    warm(app)
    for name in ("gaps", "search", "portfolio", "summary", "classification", "attention"):
        assert caches.ready(name), name
    assert app.test_client().get("/systems.json").status_code == 200


def test_the_dashboard_leads_with_what_needs_attention(explorer):
    dashboard = explorer.get("/index.json").get_json()["dashboard"]
    tiles = {t["key"]: t for t in dashboard["attention"]}
    assert set(tiles) == {"high-risk-violations", "no-owner", "no-escalation", "eu-unmet"}
    # Each tile counts what its link lists.
    high = explorer.get(tiles["high-risk-violations"]["url"].replace("/gaps", "/gaps.json"))
    assert high.get_json()["paging"]["total"] == tiles["high-risk-violations"]["count"] > 0
    for key in ("no-owner", "no-escalation"):
        listed = explorer.get(tiles[key]["url"].replace("/systems", "/systems.json")).get_json()
        assert listed["paging"]["total"] == tiles[key]["count"] > 0
    eu = explorer.get(tiles["eu-unmet"]["url"].replace("/gaps", "/gaps.json")).get_json()
    pairs = {(g["iri"], s["iri"]) for g in eu["groups"] for r in g["results"] for s in r["systems"]}
    assert len(pairs) == tiles["eu-unmet"]["count"] > 0
    # The worst system is one click away, and it is the one /gaps lists first.
    first = explorer.get("/gaps.json").get_json()["groups"][0]
    assert dashboard["worst"][0]["iri"] == first["iri"]
    html = explorer.get("/").get_data(as_text=True)
    assert html.index('id="attention-h"') < html.index('id="c-impact-h"')
    assert f'href="{dashboard["worst"][0]["url"]}"' in html


def test_chart_tables_name_their_axes(explorer):
    html = explorer.get("/").get_data(as_text=True)
    assert '<th scope="col">Value</th>' not in html
    for header in ("Impact level", "Lifecycle stage", "EU AI Act tier", "Severity", "Framework"):
        assert f'<th scope="col">{header}</th>' in html
