"""`/assets/…`: the whitelisted front-end files from node_modules, and pages without them."""

from __future__ import annotations

import pytest

from stkg.web import create_app
from stkg.web.assets import ASSETS


@pytest.fixture
def node_modules(tmp_path):
    """A stand-in node_modules folder holding every whitelisted file and one that is not."""
    root = tmp_path / "node_modules"
    for name, path in ASSETS.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(f"/* {name} */\n", encoding="utf-8")
    (root / "cytoscape" / "package.json").write_text('{"name": "cytoscape"}', encoding="utf-8")
    (tmp_path / "secret.txt").write_text("not for the web", encoding="utf-8")
    return root


def _client(project, store, folder):
    return create_app(
        {"STKG_NODE_MODULES": str(folder)}, project=project, store=store
    ).test_client()


def test_each_whitelisted_file_is_served_with_its_type(project, store, node_modules):
    client = _client(project, store, node_modules)
    for name, path in ASSETS.items():
        answer = client.get(f"/assets/{name}")
        assert answer.status_code == 200, name
        assert answer.get_data() == (node_modules / path).read_bytes()
        assert answer.mimetype == ("text/css" if name.endswith(".css") else "text/javascript")
        assert answer.cache_control.max_age and answer.cache_control.max_age > 0
        answer.close()


@pytest.mark.parametrize(
    "path",
    [
        "cytoscape/package.json",
        "cytoscape/dist/cytoscape.min.js",
        "@zazuko/yasgui/build/yasgui.min.js",
        "../secret.txt",
        "yasgui/../../secret.txt",
        "yasgui/",
    ],
)
def test_nothing_else_in_node_modules_is_served(project, store, node_modules, path):
    assert _client(project, store, node_modules).get(f"/assets/{path}").status_code == 404


def test_pages_include_the_libraries_only_when_installed(project, store, node_modules, tmp_path):
    with_assets = _client(project, store, node_modules).get("/editor").get_data(as_text=True)
    assert 'src="/assets/yasgui/yasgui.min.js"' in with_assets
    assert 'href="/assets/yasgui/yasgui.min.css"' in with_assets
    assert 'src="/static/editor.js"' in with_assets

    empty = tmp_path / "empty"
    empty.mkdir()
    client = _client(project, store, empty)
    plain = client.get("/editor")
    html = plain.get_data(as_text=True)
    assert plain.status_code == 200
    assert "/assets/" not in html and "/static/editor.js" not in html
    assert '<textarea id="query" name="query"' in html  # the form still works
    assert client.get("/assets/yasgui/yasgui.min.js").status_code == 404


def test_no_page_names_another_host_in_a_script_or_stylesheet(client):
    html = client.get("/editor").get_data(as_text=True)
    for tag in ("<script src=", '<link rel="stylesheet" href='):
        for part in html.split(tag)[1:]:
            assert part[1] == "/", f"{tag}{part[:80]}"


def test_the_system_page_draws_its_graph_only_when_cytoscape_is_installed(
    project, store, node_modules, tmp_path
):
    page = "/system?iri=https://w3id.org/stkg/example/acme/CustomerServiceChatbot"
    drawn = _client(project, store, node_modules).get(page).get_data(as_text=True)
    assert 'src="/assets/cytoscape/cytoscape.min.js"' in drawn
    assert 'src="/static/neighbourhood.js"' in drawn
    empty = tmp_path / "empty"
    empty.mkdir()
    plain = _client(project, store, empty).get(page).get_data(as_text=True)
    assert 'id="neighbourhood"' in plain  # the plain list of links stays
    assert "cytoscape" not in plain and "neighbourhood.js" not in plain
