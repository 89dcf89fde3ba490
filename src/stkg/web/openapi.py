"""`/openapi.json`: an OpenAPI 3 description of every route, generated from the app itself.

The paths, their path parameters and their methods come from `app.url_map`, so a route
cannot be left out; `ROUTES` adds what the URL map does not know (summary, query parameters,
request bodies, the media types answered), keyed by endpoint name. A route missing from
`ROUTES` is still described, marked `x-stkg-undescribed`; a test fails on any such mark.
The description is what fuzzers (schemathesis, in the tests) and client generators read.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, Flask, Response, current_app, jsonify
from werkzeug.routing import Rule

from stkg import __version__
from stkg.web.resource import FORMAT_NAMES
from stkg.web.state import state
from stkg.web.systems import SORTS
from stkg.web.tables import MAX_PER_PAGE

blueprint = Blueprint("openapi", __name__)

HTML, JSON, CSV, TEXT = "text/html", "application/json", "text/csv", "text/plain"
RDF = ("text/turtle", "application/ld+json", "application/rdf+xml", "application/n-triples")
SPARQL_RESULTS = (
    "application/sparql-results+json",
    "application/sparql-results+xml",
    "text/csv",
    "text/tab-separated-values",
)


def _query(name: str, description: str, schema: dict | None = None, required: bool = False):
    return {
        "name": name,
        "in": "query",
        "required": required,
        "description": description,
        "schema": schema or {"type": "string"},
    }


def _int(name: str, description: str, high: int) -> dict[str, Any]:
    return _query(name, description, {"type": "integer", "minimum": 1, "maximum": high})


def _choice(name: str, description: str, values: tuple[str, ...]) -> dict[str, Any]:
    return _query(name, description, {"type": "string", "enum": list(values)})


PAGING = [
    _int("page", "page number", 1_000_000),
    _int("per_page", f"rows per page (at most {MAX_PER_PAGE})", MAX_PER_PAGE),
]
SYSTEM_FILTERS = [
    _query("q", "part of the system's name"),
    *(
        _query(f, f"{f}: an IRI, `none`, or a text value in N-Triples form")
        for f in ("impact", "stage", "tier")
    ),
    _query("shape", "systems with gaps from this shape (IRI)"),
    _query("framework", "systems with gaps against this framework (IRI)"),
    _query("implements", "systems with a control implementing this requirement (IRI)"),
    _choice("sort", "sort column", SORTS),
    _choice("dir", "sort direction", ("asc", "desc")),
    *PAGING,
]
GAP_FILTERS = [
    _choice("group", "group by", ("system", "requirement")),
    _choice("severity", "only this severity", ("Violation", "Warning", "Info")),
    *(_query(n, f"only gaps of this {n} (IRI)") for n in ("shape", "system", "framework")),
    _query("requirement", "only gaps against this requirement (IRI)"),
    _query("tier", "only gaps of systems in this EU AI Act tier (IRI, or `high-risk`)"),
    _choice("sort", "order of the groups: worst first, or by name", ("priority", "name")),
    _choice("view", "a list per group, or a matrix by gap type", ("list", "matrix")),
    *PAGING,
]
IRI = _query("iri", "the IRI", required=True)
SOA = [_query("kind", "only requirements of this kind (e.g. control)")]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CROSSWALK = [
    _query("source", "source framework: short name or IRI"),
    _query("target", "target framework: short name or IRI"),
    _query("rows", "requirement kind of the rows (e.g. category)"),
    _query("cols", "requirement kind of the columns"),
    _query("row", "a row's requirement IRI: list the cell's mappings"),
    _query("col", "a column's requirement IRI"),
]
QUERY_VALUES = {
    "name": "values",
    "in": "query",
    "description": "the named query's parameters, by name (see /queries.json)",
    "schema": {"type": "object", "additionalProperties": {"type": "string"}},
    "style": "form",
    "explode": True,
}
SPARQL_PARAMS = [
    _query("query", "a SPARQL 1.1 query; without one, the service description"),
    _query("default-graph-uri", "a graph of the store as the default graph"),
    _query("named-graph-uri", "a graph of the store as a named graph"),
    _query("format", "answer format: json, xml, csv, tsv, turtle, …"),
]
SPARQL_FORM = {
    "type": "object",
    "properties": {
        "query": {"type": "string"},
        "update": {"type": "string"},
        "default-graph-uri": {"type": "string"},
        "named-graph-uri": {"type": "string"},
    },
}
EDITOR = [_query("query", "a SPARQL query to run"), _query("example", "a named query's id")]
EDITOR_FORM = {
    "type": "object",
    "properties": {"query": {"type": "string"}, "example": {"type": "string"}},
}

GSP = [_query("graph", "the named graph's IRI", required=True)]
GSP_BODY = {m: {"schema": {"type": "string"}} for m in RDF}
IMPORT_FORM = {
    "type": "object",
    "properties": {
        "files": {"type": "array", "items": {"type": "string", "format": "binary"}},
        "batch": {"type": "string"},
        "base": {"type": "string"},
        "from": {"type": "array", "items": {"type": "string", "enum": ["airo", "dpv"]}},
        "dry_run": {"type": "string"},
        "agent": {"type": "string"},
        "token": {"type": "string"},
    },
    "required": ["files"],
}

# endpoint -> summary, query parameters, media types answered (200), request body (POST)
ROUTES: dict[str, dict[str, Any]] = {
    "static": {"summary": "the explorer's own style sheet and scripts", "answers": ("*/*",)},
    "index.index": {"summary": "the portfolio dashboard", "answers": (HTML,)},
    "index.index_json": {"summary": "the dashboard and what is loaded", "answers": (JSON,)},
    "systems.systems_page": {"summary": "the systems table", "params": SYSTEM_FILTERS},
    "systems.systems_json": {"summary": "the systems table", "params": SYSTEM_FILTERS},
    "systems.systems_csv": {"summary": "every matching system", "params": SYSTEM_FILTERS},
    "system.system_page": {"summary": "one system", "params": [IRI]},
    "system.system_json": {"summary": "one system", "params": [IRI]},
    "resource.resource_page": {
        "summary": "any IRI with its links; RDF by content negotiation",
        "params": [
            IRI,
            _choice("format", "answer format", tuple(FORMAT_NAMES)),
            _int("out_page", "page of outgoing links", 1_000_000),
            _int("in_page", "page of incoming links", 1_000_000),
        ],
        "answers": (HTML, JSON, *RDF),
    },
    "resource.resource_json": {
        "summary": "any IRI with its links",
        "params": [IRI, _int("out_page", "page", 1_000_000), _int("in_page", "page", 1_000_000)],
        "answers": (JSON, *RDF),
    },
    "frameworks.frameworks_page": {"summary": "the frameworks"},
    "frameworks.frameworks_json": {"summary": "the frameworks"},
    "frameworks.framework_page": {"summary": "one framework's requirement tree"},
    "frameworks.framework_json": {"summary": "one framework's requirement tree"},
    "frameworks.framework_csv": {"summary": "one framework's requirements"},
    "soa.soa_page": {"summary": "one framework's statement of applicability", "params": SOA},
    "soa.soa_json": {"summary": "one framework's statement of applicability", "params": SOA},
    "soa.soa_download": {
        "summary": "the statement of applicability as a file: csv, xlsx or md",
        "params": SOA,
        "answers": (CSV, XLSX, "text/markdown"),
    },
    "crosswalk.crosswalk_page": {"summary": "the crosswalk matrix", "params": CROSSWALK},
    "crosswalk.crosswalk_json": {"summary": "the crosswalk matrix", "params": CROSSWALK},
    "crosswalk.crosswalk_csv": {"summary": "the mappings", "params": CROSSWALK},
    "gaps.gaps_page": {"summary": "the gap report", "params": GAP_FILTERS},
    "gaps.gaps_json": {"summary": "the gap report", "params": GAP_FILTERS},
    "gaps.gaps_csv": {"summary": "the gap report, one row per result", "params": GAP_FILTERS},
    "search.search_page": {"summary": "full-text search", "params": [_query("q", "text")]},
    "search.search_json": {
        "summary": "full-text search",
        "params": [_query("q", "text"), *PAGING],
    },
    "ontology.ontology_page": {
        "summary": "the ontology's documentation; the ontology by content negotiation",
        "params": [_query("format", "html, json, turtle, jsonld, rdfxml or nt")],
        "answers": (HTML, JSON, *RDF),
    },
    "ontology.ontology_json": {"summary": "the ontology's documentation"},
    "ontology.ontology_file": {
        "summary": "the ontology as a file: ttl, jsonld, rdf or nt",
        "answers": RDF,
    },
    "sparql.sparql": {
        "summary": "the SPARQL 1.1 endpoint (Protocol); without a query, its description",
        "params": SPARQL_PARAMS,
        "answers": (*SPARQL_RESULTS, *RDF),
        "body": {
            "application/x-www-form-urlencoded": {"schema": SPARQL_FORM},
            "application/sparql-query": {"schema": {"type": "string"}},
            "application/sparql-update": {"schema": {"type": "string"}},
        },
    },
    "queries.query_list": {"summary": "the named queries"},
    "queries.query_list_json": {"summary": "the named queries"},
    "queries.query_page": {
        "summary": "run a named query (the table shows one page of rows)",
        "params": [QUERY_VALUES, *PAGING],
    },
    "queries.query_json": {"summary": "run a named query", "params": [QUERY_VALUES]},
    "queries.query_csv": {"summary": "run a named query", "params": [QUERY_VALUES]},
    "assets.asset": {"summary": "a front-end library file", "answers": ("*/*",)},
    "editor.editor": {
        "summary": "the SPARQL editor",
        "params": EDITOR,
        "body": {"application/x-www-form-urlencoded": {"schema": EDITOR_FORM}},
    },
    "editor.editor_json": {
        "summary": "the SPARQL editor's data",
        "params": EDITOR,
        "body": {"application/x-www-form-urlencoded": {"schema": EDITOR_FORM}},
    },
    "openapi.openapi": {"summary": "this description"},
    "write.import_page": {"summary": "the upload page for an inventory"},
    "write.import_json": {"summary": "the import batches and graph changes in the store"},
    "write.import_post": {
        "summary": "import an inventory or AIRO/DPV RDF (needs the update token)",
        "answers": (JSON,),
        "body": {"multipart/form-data": {"schema": IMPORT_FORM}},
    },
    "write.graph_get": {
        "summary": "a named graph (Graph Store Protocol)",
        "params": GSP,
        "answers": RDF,
    },
    "write.graph_put": {
        "summary": "replace a named graph (needs the update token)",
        "params": GSP,
        "answers": (JSON,),
        "body": GSP_BODY,
    },
    "write.graph_post": {
        "summary": "add to a named graph (needs the update token)",
        "params": GSP,
        "answers": (JSON,),
        "body": GSP_BODY,
    },
    "write.graph_delete": {
        "summary": "remove a named graph (needs the update token)",
        "params": GSP,
        "answers": (JSON,),
    },
}
ERRORS = {
    "400": "a parameter is missing or malformed",
    "401": "a write without the update token",
    "403": "a write with a wrong token, to a read-only server, or to one of stkg's graphs",
    "404": "no such resource, framework, query or file",
    "406": "no acceptable format",
    "413": "the request is too large",
    "415": "unsupported request body",
    "503": "a query stopped at the time limit, or the server is busy",
}


VARIABLE = re.compile(r"<(?:[^<>]*:)?(\w+)>")  # werkzeug's <converter(args):name> or <name>


def _path(rule: Rule) -> tuple[str, list[dict[str, Any]]]:
    """The OpenAPI path template of a rule (`/frameworks/{slug}.json`) and its parameters."""
    parameters = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in VARIABLE.findall(rule.rule)
    ]
    return VARIABLE.sub(r"{\1}", rule.rule), parameters


def _answers(endpoint: str, rule: Rule) -> tuple[str, ...]:
    given = ROUTES.get(endpoint, {}).get("answers")
    if given:
        return given
    if rule.rule.endswith(".json"):
        return (JSON,)
    if rule.rule.endswith(".csv"):
        return (CSV,)
    return (HTML,)


def examples(app: Flask) -> dict[str, Any]:
    """A value for each parameter that names something in the store (a system, a framework,
    a named query, a file), so that a client or fuzzer reading the description reaches real
    pages and not only 404s. Keyed by parameter name, or `endpoint:name`."""
    from stkg.queries import named_queries
    from stkg.web.assets import ASSETS
    from stkg.web.frameworks import frameworks_data
    from stkg.web.portfolio import portfolio_index

    rows = portfolio_index().ordered("label", "asc")
    system = next((r.system for r in rows if not r.system.startswith("_:")), None)
    slugs = [f["slug"] for f in frameworks_data()["frameworks"] if f["slug"]]
    queries = named_queries(state(app).project)
    query = next(iter(queries.values()), None)
    found: dict[str, Any] = {
        "iri": system,
        "slug": slugs[0] if slugs else None,
        "source": slugs[0] if slugs else None,
        "target": slugs[-1] if slugs else None,
        "q": "risk",
        "ext": "ttl",
        "filename": "stkg.css",
        "assets.asset:name": next(iter(ASSETS)),
        "query": "SELECT ?s ?p ?o WHERE { ?s ?p ?o } LIMIT 3",
    }
    if query is not None:
        for endpoint in ("query_page", "query_json", "query_csv"):
            found[f"queries.{endpoint}:name"] = query.id
            found[f"queries.{endpoint}:values"] = {p.name: system for p in query.params}
    return {k: v for k, v in found.items() if v is not None}


def _with_example(endpoint: str, parameter: dict[str, Any], known: dict[str, Any]):
    value = known.get(f"{endpoint}:{parameter['name']}", known.get(parameter["name"]))
    return parameter if value is None else {**parameter, "example": value}


def openapi_document(app: Flask, known: dict[str, Any] | None = None) -> dict[str, Any]:
    """The description of every route of `app`; `known` gives example parameter values
    (`examples`)."""
    known = known or {}
    paths: dict[str, dict[str, Any]] = {}
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        path, path_params = _path(rule)
        path_params = [_with_example(rule.endpoint, p, known) for p in path_params]
        route = ROUTES.get(rule.endpoint)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            operation: dict[str, Any] = {
                "operationId": rule.endpoint + ("" if method == "GET" else "_" + method.lower()),
                "summary": route["summary"] if route else rule.endpoint,
                "parameters": path_params
                + [_with_example(rule.endpoint, p, known) for p in (route or {}).get("params", ())],
                "responses": {
                    "200": {
                        "description": "the answer",
                        "content": {t: {} for t in _answers(rule.endpoint, rule)},
                    },
                    **{code: {"description": text} for code, text in ERRORS.items()},
                },
            }
            if method != "GET":  # the parameters go in the body
                operation["parameters"] = path_params
                if route and "body" in route:
                    operation["requestBody"] = {"content": route["body"]}
            if route is None:
                operation["x-stkg-undescribed"] = True
            paths.setdefault(path, {})[method.lower()] = operation
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "stkg",
            "version": __version__,
            "description": "The stkg explorer, its JSON and CSV twins, the SPARQL endpoint "
            "and the named queries.",
        },
        "paths": paths,
    }


@blueprint.get("/openapi.json")
def openapi() -> Response:
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    return jsonify(openapi_document(app, examples(app)))
