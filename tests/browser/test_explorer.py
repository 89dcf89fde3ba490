"""An analyst's path through the explorer, in a real browser against the real server.

Done when (issue: graph explorer): someone who has never seen SPARQL finds every system
without an escalation path, opens one, sees who owns it and which clauses it fails, and
exports the list. Each step is a test here; each saves a screenshot in _build/screenshots/.
No request may leave for another host (the `page` fixture fails the test if one does).
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ACME = "https://w3id.org/stkg/example/acme/"
CHATBOT = ACME + "CustomerServiceChatbot"  # the example system without an escalation path
OWNER = ACME + "PriyaShah"  # its owner, in data/examples/portfolio.ttl
ESCALATION_QUERY = "systems-without-escalation-path"


def _csv_rows(path: str | Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(Path(path).read_text(encoding="utf-8"))))


def _path(url: str) -> str:
    return re.sub(r"^[a-z]+://[^/]+", "", url).split("?")[0]


def test_the_guard_blocks_and_records_requests_to_other_hosts(page, guard):
    page.goto("/editor")
    page.evaluate(
        "() => fetch('https://lov.linkeddata.es/dataset/lov/api/v2/autocomplete/terms?q=x')"
        ".catch(() => null)"
    )
    assert guard.foreign == ["https://lov.linkeddata.es/dataset/lov/api/v2/autocomplete/terms?q=x"]
    guard.foreign.clear()  # the guard works; the rest of the suite relies on it


def test_editor_runs_a_query_with_yasgui_and_exports_csv(page, guard, screenshots):
    page.goto("/editor")
    editor = page.locator("#yasgui .CodeMirror")
    editor.wait_for(state="visible")
    assert page.locator("#editor-form").is_hidden()  # the plain form gave way to YASGUI
    completers = page.evaluate("() => window.stkgYasgui.getTab().getYasqe().config.autocompleters")
    assert "class" not in completers and "property" not in completers

    # Type where the class and property autocompleters would ask Linked Open Vocabularies.
    editor.click()
    page.keyboard.press("Control+A")
    page.keyboard.press("Delete")
    page.keyboard.type("PREFIX stkg: <https://w3id.org/stkg#>\nSELECT * WHERE { ?s a stkg:Soc")
    page.keyboard.press("Control+Space")
    page.keyboard.press("Escape")  # also takes the focus from the editor
    editor.click()
    page.keyboard.press("Control+A")
    page.keyboard.press("Delete")
    page.keyboard.insert_text(
        "PREFIX stkg: <https://w3id.org/stkg#>\n"
        "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
        "SELECT ?system ?label WHERE {\n"
        "  ?system a stkg:SocialTechnicalSystem ; rdfs:label ?label .\n"
        "} ORDER BY ?system"
    )
    page.locator("#yasgui .yasqe_queryButton").click()
    rows = page.locator("#yasgui .yasr table tbody tr")
    rows.first.wait_for()
    assert CHATBOT in page.locator("#yasgui .yasr").inner_text() or "Customer-service chatbot" in (
        page.locator("#yasgui .yasr").inner_text()
    )
    page.screenshot(path=screenshots / "editor-results.png", full_page=True)

    with page.expect_download() as download:
        page.locator("#yasgui .yasr_downloadIcon").click()
    exported = _csv_rows(download.value.path())
    assert {row["system"] for row in exported} >= {CHATBOT}
    assert rows.count() == len(exported)
    sparql_posts = [u for u in guard.requests if _path(u) == "/sparql"]
    assert sparql_posts, "the query did not go to this server's /sparql"


def test_editor_opens_a_named_query_as_an_example(page, screenshots):
    page.goto("/editor")
    page.locator("#yasgui .CodeMirror").wait_for(state="visible")
    page.locator(f"a[data-example='{ESCALATION_QUERY}']").click()
    tab = page.locator("#yasgui .tabsList .tab.active")
    assert "escalation" in tab.inner_text().lower()
    page.locator("#yasgui .tabPanel.active .yasqe_queryButton").click()
    results = page.locator("#yasgui .tabPanel.active .yasr")
    results.locator("table tbody tr").first.wait_for()
    assert "Customer-service chatbot" in results.inner_text()
    page.screenshot(path=screenshots / "editor-example.png", full_page=True)


def test_editor_without_javascript_is_a_form(browser, server, screenshots):
    context = browser.new_context(base_url=server, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(f"/editor?example={ESCALATION_QUERY}")
        assert "escalation" in page.locator("textarea#query").input_value().lower()
        page.get_by_role("button", name="Run").click()
        table = page.locator("#editor-results table")
        assert CHATBOT in table.inner_html()
        page.screenshot(path=screenshots / "editor-no-javascript.png", full_page=True)
    finally:
        context.close()


def test_named_query_lists_systems_without_escalation_path_and_exports_csv(page, screenshots):
    page.goto("/queries")
    row = page.get_by_role("row").filter(has_text="Systems without an escalation path")
    row.get_by_role("link").click()
    page.wait_for_url(f"**/queries/{ESCALATION_QUERY}")
    table = page.locator("main table")
    assert "Customer-service chatbot" in table.inner_text()
    page.screenshot(path=screenshots / "named-query.png", full_page=True)

    with page.expect_download() as download:
        page.get_by_role("link", name="CSV").click()
    assert download.value.suggested_filename == f"{ESCALATION_QUERY}.csv"
    exported = _csv_rows(download.value.path())
    assert CHATBOT in {row["system"] for row in exported}
    assert len(exported) == table.locator("tbody tr").count()


def _escalation_gap_systems(page) -> set[str]:
    """What the named query answers, asked through the JSON door, to compare pages with."""
    answer = page.request.get(f"/queries/{ESCALATION_QUERY}.json").json()
    return {b["system"]["value"] for b in answer["results"]["bindings"]}


def test_dashboard_leads_to_the_systems(page, screenshots):
    page.goto("/")
    assert page.locator("h1").count() == 1
    page.screenshot(path=screenshots / "dashboard.png", full_page=True)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Systems").click()
    page.wait_for_url("**/systems")
    assert page.locator("table#systems tbody tr").count() > 1


def test_analyst_finds_every_system_without_an_escalation_path_and_exports_the_list(
    page, screenshots
):
    expected = _escalation_gap_systems(page)
    assert CHATBOT in expected
    page.goto("/systems")
    gap_type = page.get_by_label("Gap type")
    option = gap_type.locator("option").filter(has_text=re.compile(r"escalation ?path", re.I))
    assert option.count() == 1, option.all_inner_texts()
    gap_type.select_option(option.get_attribute("value"))
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url(re.compile(r"/systems\?.*shape="))
    rows = page.locator("table#systems tbody tr")
    links = rows.locator("th a")
    assert rows.count() == len(expected) == links.count()
    page.screenshot(path=screenshots / "systems-without-escalation-path.png", full_page=True)

    with page.expect_download() as download:
        page.locator("main").get_by_role("link", name="CSV", exact=True).first.click()
    exported = _csv_rows(download.value.path())
    assert {row["system"] for row in exported} == expected

    page.get_by_role("link", name="Customer-service chatbot").click()
    page.wait_for_url(re.compile(r"/system\?iri="))
    assert page.locator("h1").inner_text() == "Customer-service chatbot"


def test_system_page_shows_the_gap_its_clauses_and_the_owner(page, screenshots):
    page.goto(f"/system?iri={CHATBOT}")
    gaps = page.locator("section#gaps")
    escalation = gaps.locator("tbody tr").filter(has_text=re.compile("escalation", re.I))
    assert escalation.count() >= 1
    clauses = escalation.first.locator("td").last
    assert "GOVERN 2.1" in clauses.inner_text()
    assert clauses.get_by_role("link", name="GOVERN 2.1").get_attribute("href")
    people = page.locator("section[aria-labelledby=people-h]")
    owner = people.locator("dt", has_text=re.compile("owner", re.I))
    assert owner.count() >= 1
    assert "Priya Shah" in owner.first.locator("xpath=following-sibling::dd[1]").inner_text()
    gaps.scroll_into_view_if_needed()
    page.screenshot(path=screenshots / "system-gaps.png", full_page=True)


def _graph_nodes(page) -> set[str]:
    return set(page.evaluate("() => window.stkgNeighbourhood.nodes().map(n => n.id())"))


def _wait_expanded(page, iri: str) -> None:
    page.wait_for_function(
        "iri => window.stkgNeighbourhood.getElementById(iri).hasClass('expanded')", arg=iri
    )


def test_neighbourhood_graph_expands_node_by_node(page, screenshots):
    page.goto(f"/system?iri={CHATBOT}")
    graph = page.locator("#nb-graph")
    graph.wait_for()
    _wait_expanded(page, CHATBOT)
    first = _graph_nodes(page)
    assert OWNER in first  # the owner is one link away

    # Click the owner's node where Cytoscape drew it: her organisation appears.
    graph.scroll_into_view_if_needed()
    # Cytoscape learns of a scroll from the scroll event: let it arrive, as it would for a person.
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    where = page.evaluate(
        "iri => window.stkgNeighbourhood.getElementById(iri).renderedPosition()", OWNER
    )
    box = graph.bounding_box()
    page.mouse.click(box["x"] + where["x"], box["y"] + where["y"])
    _wait_expanded(page, OWNER)
    second = _graph_nodes(page)
    owner_links = page.request.get("/resource.json", params={"iri": OWNER}).json()
    linked = {link["value"].get("iri") for link in owner_links["outgoing"]["links"]} | {
        link["subject"].get("iri") for link in owner_links["incoming"]["links"]
    }
    new = second - first
    assert new and new <= linked
    page.screenshot(path=screenshots / "neighbourhood-click.png", full_page=False)

    # Keyboard: focus the graph, walk to a new node with the arrow keys, Enter expands it.
    target = sorted(new)[0]
    graph.focus()
    for _ in range(len(second)):
        page.keyboard.press("ArrowRight")
        if page.evaluate("() => window.stkgNeighbourhood.nodes(':selected').id()") == target:
            break
    page.keyboard.press("Enter")
    _wait_expanded(page, target)
    assert len(_graph_nodes(page)) >= len(second)
    status = page.locator("#nb-status").inner_text()
    assert "nodes in the graph" in status

    # Each node links to its own page.
    page.locator("details.nb-list summary").click()
    page.locator(f"#nb-nodes a[title='{OWNER}']").click()
    page.wait_for_url(re.compile(r"/resource\?iri="))
    assert OWNER in page.url.replace("%3A", ":").replace("%2F", "/")
