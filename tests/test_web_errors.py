"""The HTTP surface of the whole app: HEAD answers like GET, every 405 says what is allowed,
every error comes in one plain-text format."""

from __future__ import annotations

import pytest

from servers import running_server

LOAN = "https://w3id.org/stkg/example/acme/LoanApproval"
# Values for the routes' URL arguments, and query strings that make a page show something.
ARGUMENTS = {
    "filename": "stkg.css",
    "ext": "ttl",
    "name": "system-profile",
}
QUERY_STRINGS = {
    "/system": {"iri": LOAN},
    "/system.json": {"iri": LOAN},
    "/resource": {"iri": LOAN},
    "/resource.json": {"iri": LOAN},
    "/sparql": {"query": "ASK {}"},
    "/queries/<name>": {"system": LOAN},
    "/queries/<name>.json": {"system": LOAN},
    "/queries/<name>.csv": {"system": LOAN},
}


def get_routes(app, explorer) -> list[tuple[str, dict[str, str]]]:
    """Every GET route as a URL to ask, with its query string."""
    slug = explorer.get("/frameworks.json").get_json()["frameworks"][0]["slug"]
    values = {**ARGUMENTS, "slug": slug}
    routes = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods:
            continue
        url = rule.rule
        for argument in rule.arguments:
            value = "yasgui/yasgui.min.css" if url.startswith("/assets/") else values[argument]
            url = url.replace(f"<path:{argument}>", value).replace(f"<{argument}>", value)
        routes.append((url, QUERY_STRINGS.get(rule.rule, {})))
    return routes


def test_head_on_every_get_route_answers_like_get_without_a_body(explorer_app, explorer):
    routes = get_routes(explorer_app, explorer)
    assert len(routes) > 30
    for url, query in routes:
        got = explorer.get(url, query_string=query)
        head = explorer.head(url, query_string=query)
        assert head.status_code == got.status_code, url
        assert head.headers.get("Content-Type") == got.headers.get("Content-Type"), url
        assert head.data == b"", url
        assert got.status_code < 500, url


def test_head_on_the_endpoint_describes_the_service_or_runs_the_query(client):
    described = client.head("/sparql", headers={"Accept": "text/turtle"})
    assert described.status_code == 200
    assert described.content_type.startswith("text/turtle")
    assert described.data == b""
    answered = client.head("/sparql", query_string={"query": "ASK {}"})
    assert answered.status_code == 200
    assert answered.content_type == "application/sparql-results+json"


@pytest.mark.parametrize(
    ("method", "url", "allowed"),
    [
        ("put", "/sparql", {"GET", "HEAD", "POST", "OPTIONS"}),
        ("delete", "/sparql", {"GET", "HEAD", "POST", "OPTIONS"}),
        ("patch", "/", {"GET", "HEAD", "OPTIONS"}),
        ("post", "/systems", {"GET", "HEAD", "OPTIONS"}),
        ("get", "/sparql?update=CLEAR%20ALL", {"POST"}),
    ],
)
def test_every_405_says_which_methods_are_allowed_in_plain_text(client, method, url, allowed):
    answer = getattr(client, method)(url)
    assert answer.status_code == 405
    assert {m.strip() for m in answer.headers["Allow"].split(",")} == allowed
    assert answer.content_type == "text/plain; charset=utf-8"


def test_errors_are_plain_text_one_line_everywhere(client):
    answers = {
        "no such page": client.get("/no/such/page"),
        "unknown named query": client.get("/queries/no-such-query"),
        "bad query": client.get("/sparql", query_string={"query": "SELECT"}),
        "body too large": client.post(
            "/sparql", data="ASK {}" + " " * (1024 * 1024), content_type="application/sparql-query"
        ),
        "method": client.put("/sparql"),
    }
    for why, answer in answers.items():
        assert answer.status_code >= 400, why
        assert answer.content_type == "text/plain; charset=utf-8", why
        text = answer.get_data(as_text=True)
        assert "<" not in text.split(":")[0] and "<html" not in text.lower(), why
        assert text.endswith("\n") and text.strip(), why
    assert answers["no such page"].get_data(as_text=True).startswith("Not Found: ")


@pytest.mark.slow
def test_the_real_server_answers_head_and_put_as_http_says(tmp_path):
    import urllib.error
    import urllib.request

    with running_server(tmp_path) as server:
        head = urllib.request.Request(f"{server.base}/sparql", method="HEAD")
        with urllib.request.urlopen(head, timeout=30) as answer:
            assert answer.status == 200
            assert answer.read() == b""
        put = urllib.request.Request(f"{server.base}/sparql", data=b"x", method="PUT")
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(put, timeout=30)
        assert refused.value.code == 405
        assert "POST" in refused.value.headers["Allow"]
        assert refused.value.headers["Content-Type"] == "text/plain; charset=utf-8"
