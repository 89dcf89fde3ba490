"""The start page and its JSON twin."""

from __future__ import annotations

import re

from stkg.summary import summarize
from stkg.web import create_app


def test_start_page_shows_what_was_loaded(client, project, store):
    page = client.get("/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    counts = summarize(store, project)["counts"]
    for name, value in counts.items():
        match = re.search(rf'id="count-{name}">(\d+)<', html)
        assert match, f"count {name} missing from the page"
        assert int(match.group(1)) == value
    assert "ontology/stkg.ttl" in html


def test_json_twin_has_the_same_data(client):
    data = client.get("/index.json").get_json()
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


def test_page_links_its_json_twin_and_loads_no_remote_resources(client):
    html = client.get("/").get_data(as_text=True)
    assert 'href="/index.json"' in html
    assert not re.search(r'(src|href)="(https?:)?//', html)


def test_the_app_is_never_in_debug_mode_and_limits_request_size(mini_project):
    app = create_app({"DEBUG": True}, project=mini_project)
    assert app.debug is False
    assert app.config["MAX_CONTENT_LENGTH"] <= 10 * 1024 * 1024


def test_config_names_the_project(mini_project):
    app = create_app({"STKG_PROJECT": str(mini_project.root)})
    data = app.test_client().get("/index.json").get_json()
    assert data["counts"]["systems"] == 2
    assert data["project"] == str(mini_project.root)
