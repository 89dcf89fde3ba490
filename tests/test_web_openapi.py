"""`/openapi.json` describes every route of the app, and is an OpenAPI 3 document."""

from __future__ import annotations

import re

import schemathesis

from stkg.web.openapi import ROUTES


def described(client) -> dict:
    answer = client.get("/openapi.json")
    assert answer.status_code == 200 and answer.mimetype == "application/json"
    return answer.get_json()


def test_every_route_in_the_url_map_is_described(app, client):
    document = described(client)
    for rule in app.url_map.iter_rules():
        path = re.sub(r"<(?:[^<>]*:)?(\w+)>", r"{\1}", rule.rule)
        assert path in document["paths"], f"{rule.rule} is not in /openapi.json"
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}:
            operation = document["paths"][path].get(method.lower())
            assert operation, f"{method} {rule.rule} is not in /openapi.json"
            assert not operation.get("x-stkg-undescribed"), (
                f"{rule.rule} ({rule.endpoint}) has no entry in stkg.web.openapi.ROUTES"
            )
            names = {p["name"] for p in operation["parameters"] if p["in"] == "path"}
            assert names == set(rule.arguments), rule.rule


def test_no_description_is_left_for_a_route_that_is_gone(app):
    assert set(ROUTES) <= {rule.endpoint for rule in app.url_map.iter_rules()}


def test_the_description_is_valid_openapi_3(client):
    document = described(client)
    assert document["openapi"].startswith("3.")
    schema = schemathesis.openapi.from_dict(document)
    operations = [result.ok() for result in schema.get_all_operations()]  # raises if invalid
    assert {op.label for op in operations} >= {
        "GET /systems.json",
        "GET /system",
        "GET /frameworks/{slug}",
        "POST /sparql",
        "GET /openapi.json",
    }


def test_a_route_missing_from_the_table_is_still_described_and_marked(project, store):
    from stkg.web import create_app

    app = create_app(project=project, store=store)
    app.add_url_rule("/extra/<int:n>", "extra", lambda n: "")
    operation = app.test_client().get("/openapi.json").get_json()["paths"]["/extra/{n}"]["get"]
    assert operation["x-stkg-undescribed"] is True
    assert [p["name"] for p in operation["parameters"]] == ["n"]
