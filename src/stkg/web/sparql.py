"""`/sparql`: a SPARQL 1.1 Protocol endpoint, read-only and safe by default.

Queries come as GET `query=`, POST form-encoded, or POST `application/sparql-query`.
Every query is checked by `stkg.sandbox` (no SERVICE, no LOAD, FROM only for graphs in the
store, size and nesting limits) and runs in `stkg.execution`'s worker processes with a
hard time limit (503 when it runs out) and a row cap (the `X-STKG-Truncated: true` header,
and `"truncated": true` in SPARQL JSON results). Updates are refused with 403 unless the
app was given an update token, which must then come as `Authorization: Bearer TOKEN`.
GET without a query answers a SPARQL 1.1 Service Description with VoID statistics.
"""

from __future__ import annotations

import hmac
import json
import threading
from typing import Any

import pyoxigraph as ox
from flask import Blueprint, Flask, Response, current_app, request

from stkg import __version__
from stkg.errors import SourceError, StkgError
from stkg.execution import Answer, Executor, LocalExecutor, QueryTimeout, WorkerPool
from stkg.sandbox import QueryRefused, check_query, check_update

blueprint = Blueprint("sparql", __name__)

# Media types offered for each kind of answer, the first being the default.
SOLUTION_TYPES = {
    "application/sparql-results+json": "json",
    "application/sparql-results+xml": "xml",
    "text/csv": "csv",
    "text/tab-separated-values": "tsv",
    "application/json": "json",
    "application/xml": "xml",
}
GRAPH_TYPES = {
    "text/turtle": "turtle",
    "application/n-triples": "nt",
    "application/ld+json": "jsonld",
    "application/rdf+xml": "rdfxml",
}
CONTENT_TYPES = {
    "json": "application/sparql-results+json",
    "xml": "application/sparql-results+xml",
    "csv": "text/csv; charset=utf-8",
    "tsv": "text/tab-separated-values; charset=utf-8",
    "turtle": "text/turtle; charset=utf-8",
    "nt": "application/n-triples",
    "jsonld": "application/ld+json",
    "rdfxml": "application/rdf+xml",
}
SD = "http://www.w3.org/ns/sparql-service-description#"
VOID = "http://rdfs.org/ns/void#"
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
_lock = threading.Lock()


def executor(app: Flask | None = None) -> Executor:
    """The app's query executor, started on first use: a warm pool of worker processes,
    or the calling thread when `STKG_QUERY_WORKERS` is 0."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    state = app.extensions["stkg"]
    if "executor" not in state:
        with _lock:
            if "executor" not in state:
                workers = int(app.config["STKG_QUERY_WORKERS"])
                max_rows = int(app.config["STKG_MAX_ROWS"])
                state["executor"] = (
                    WorkerPool(
                        state["store"],
                        workers=workers,
                        timeout=float(app.config["STKG_QUERY_TIMEOUT"]),
                        max_rows=max_rows,
                    )
                    if workers > 0
                    else LocalExecutor(state["store"], max_rows)
                )
    return state["executor"]


def store_graphs() -> dict[str, int]:
    """Named graphs and their sizes, cached until an update changes the store."""
    state = current_app.extensions["stkg"]
    if "graphs" not in state:
        state["graphs"] = state["store"].graphs()
    return state["graphs"]


def _checked(text: str, graphs: dict[str, int]) -> Any:
    """`check_query`, remembered per query text while the store's graphs stay the same:
    named queries send the same text on every request, and tokenising it is most of the
    server's own work for a small answer. A refused query is checked again each time."""
    state = current_app.extensions["stkg"]
    cached = state.get("checked")
    if cached is None or cached[0] is not graphs:  # the graphs changed: check afresh
        cached = state["checked"] = (graphs, {})
    plans: dict[str, Any] = cached[1]
    if text not in plans:
        plan = check_query(
            text,
            graphs,
            max_length=int(current_app.config["STKG_MAX_QUERY_LENGTH"]),
            max_nesting=int(current_app.config["STKG_MAX_NESTING"]),
        )
        if len(plans) >= 256:
            plans.clear()
        plans[text] = plan
    return plans[text]


def run_query(
    text: str,
    *,
    bindings: dict[str, Any] | None = None,
    default_graphs: list[str] | None = None,
    named_graphs: list[str] | None = None,
    base_iri: str | None = None,
) -> Answer:
    """Check a query, then run it on the app's executor. Raises QueryRefused, SourceError,
    QueryTimeout."""
    graphs = store_graphs()
    plan = _checked(text, graphs)
    for graph in [*(default_graphs or []), *(named_graphs or [])]:
        if graph not in graphs:
            raise QueryRefused(
                f"<{graph}>: no such graph in the store (the endpoint never fetches data; "
                "default-graph-uri and named-graph-uri may name only graphs it holds)"
            )
    # The protocol's dataset replaces the query's; FROM / FROM NAMED are honoured here
    # because the engine's union default graph would otherwise ignore them.
    if (
        default_graphs is None
        and named_graphs is None
        and (plan.default_graphs or plan.named_graphs)
    ):
        default_graphs, named_graphs = plan.default_graphs, plan.named_graphs
    if (default_graphs is None) != (named_graphs is None):
        default_graphs, named_graphs = default_graphs or [], named_graphs or []
    return executor().query(
        text,
        bindings=bindings,
        default_graphs=default_graphs,
        named_graphs=named_graphs,
        base_iri=base_iri,
    )


def error(status: int, message: str) -> Response:
    return Response(message.rstrip() + "\n", status, mimetype="text/plain")


def answer_error(exc: Exception) -> Response:
    """The HTTP answer for a failed query."""
    if isinstance(exc, QueryRefused):
        return error(exc.status, exc.message)
    if isinstance(exc, QueryTimeout):
        return error(503, f"query stopped: {exc}")
    if isinstance(exc, SourceError):
        return error(400, f"bad query: {exc}")
    return error(500 if not isinstance(exc, StkgError) else 400, str(exc))


def negotiate(kind: str, explicit: str | None = None) -> str:
    """The format name for an answer of `kind`, from `format=` or the Accept header."""
    offers = GRAPH_TYPES if kind == "graph" else SOLUTION_TYPES
    if explicit:
        if explicit in offers.values():
            return explicit
        if explicit in offers:
            return offers[explicit]
        raise QueryRefused(
            f"format {explicit!r} does not fit this result; use one of "
            + ", ".join(dict.fromkeys(offers.values())),
            406,
        )
    best = request.accept_mimetypes.best_match(list(offers))
    return offers[best] if best else next(iter(offers.values()))


def render(answer: Answer, fmt: str) -> Response:
    """Serialise an answer; mark a truncated one."""
    body = answer.result.serialize(fmt)
    if answer.truncated and fmt == "json":
        document = json.loads(body)
        document["truncated"] = True
        body = json.dumps(document).encode()
    response = Response(body, 200, content_type=CONTENT_TYPES[fmt])
    if answer.truncated:
        response.headers["X-STKG-Truncated"] = "true"
    return response


def _params(name: str) -> list[str]:
    values = request.args.getlist(name)
    if request.mimetype == "application/x-www-form-urlencoded":
        values += request.form.getlist(name)
    return values


def _body_text() -> str:
    charset = request.mimetype_params.get("charset", "utf-8").lower()
    if charset not in ("utf-8", "utf8"):
        raise QueryRefused(f"the request body must be UTF-8, not {charset}", 415)
    try:
        return request.get_data(cache=True).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise QueryRefused(f"the request body is not valid UTF-8: {exc}", 400) from None


def _operation() -> tuple[str | None, str | None]:
    """(query, update) from the request, following the protocol's three ways to send them."""
    if request.method == "GET":
        if "update" in request.args:
            raise QueryRefused("updates must be sent with POST", 405)
        queries = request.args.getlist("query")
        updates: list[str] = []
    elif request.mimetype == "application/x-www-form-urlencoded":
        queries, updates = _params("query"), _params("update")
    elif request.mimetype == "application/sparql-query":
        queries, updates = [_body_text()], []
    elif request.mimetype == "application/sparql-update":
        queries, updates = [], [_body_text()]
    else:
        raise QueryRefused(
            "POST a query as application/x-www-form-urlencoded (query=…) or as "
            f"application/sparql-query, not {request.mimetype or 'no content type'}",
            415,
        )
    if len(queries) + len(updates) > 1:
        raise QueryRefused("send exactly one query or one update per request")
    return (queries[0] if queries else None, updates[0] if updates else None)


@blueprint.after_request
def _cors(response: Response) -> Response:
    allowed = current_app.config["STKG_CORS_ORIGINS"]
    origin = request.headers.get("Origin")
    if not allowed or origin is None:
        return response
    origins = [o.strip() for o in str(allowed).split(",") if o.strip()]
    if "*" in origins:
        response.headers["Access-Control-Allow-Origin"] = "*"
    elif origin in origins:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers.add("Vary", "Origin")
    else:
        return response
    response.headers["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
    response.headers["Access-Control-Allow-Headers"] = "Content-Type, Accept"
    response.headers["Access-Control-Expose-Headers"] = "X-STKG-Truncated"
    return response


@blueprint.route("/sparql", methods=["GET", "POST", "OPTIONS"])
def sparql() -> Response:
    if request.method == "OPTIONS":  # CORS preflight; the headers come from _cors
        return Response(status=204)
    try:
        query, update = _operation()
        if update is not None:
            return _update(update)
        if query is None:
            return service_description()
        answer = run_query(
            query,
            default_graphs=_params("default-graph-uri") or None,
            named_graphs=_params("named-graph-uri") or None,
            base_iri=request.base_url,  # the protocol's "service-defined BASE URI"
        )
        fmt = negotiate(answer.result.kind, request.args.get("format"))
        return render(answer, fmt)
    except (StkgError, ValueError) as exc:
        return answer_error(exc)


def _update(text: str) -> Response:
    token = current_app.config["STKG_UPDATE_TOKEN"]
    if not token:
        raise QueryRefused("this endpoint is read-only: SPARQL Update is not enabled", 403)
    given = request.headers.get("Authorization", "")
    expected = f"Bearer {token}"
    if not hmac.compare_digest(given.encode(), expected.encode()):
        raise QueryRefused("SPARQL Update needs the update token (Authorization: Bearer …)", 403)
    for name in ("using-graph-uri", "using-named-graph-uri"):
        if _params(name):
            raise QueryRefused(f"{name} is not supported; use USING in the update")
    check_update(text, max_length=int(current_app.config["STKG_MAX_QUERY_LENGTH"]))
    state = current_app.extensions["stkg"]
    state["store"].update(text, base_iri=request.base_url)  # the service-defined BASE
    state.pop("graphs", None)
    state.pop("statistics", None)
    executor().reload()
    return Response("update done\n", 200, mimetype="text/plain")


def statistics() -> dict[str, dict[str, int]]:
    """VoID numbers per named graph (triples, classes, properties), computed once."""
    state = current_app.extensions["stkg"]
    if "statistics" not in state:
        store = state["store"]
        numbers: dict[str, dict[str, int]] = {}
        for row in store.query(
            "SELECT ?g (COUNT(*) AS ?triples) (COUNT(DISTINCT ?p) AS ?properties) "
            "WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g",
            default_graphs=[],
        ).dicts():
            numbers[row["g"].value] = {
                "triples": int(row["triples"].value),
                "classes": 0,
                "properties": int(row["properties"].value),
            }
        for row in store.query(
            "SELECT ?g (COUNT(DISTINCT ?c) AS ?classes) WHERE { GRAPH ?g { ?s a ?c } } GROUP BY ?g",
            default_graphs=[],
        ).dicts():
            numbers[row["g"].value]["classes"] = int(row["classes"].value)
        state["statistics"] = numbers
    return state["statistics"]


def service_description() -> Response:
    """A SPARQL 1.1 Service Description of this endpoint, with VoID statistics."""
    node = ox.NamedNode
    service = node(request.base_url)
    dataset, default = ox.BlankNode("dataset"), ox.BlankNode("default")
    triples = [
        ox.Triple(service, RDF_TYPE, node(SD + "Service")),
        ox.Triple(service, node(SD + "endpoint"), service),
        ox.Triple(service, node(SD + "supportedLanguage"), node(SD + "SPARQL11Query")),
        ox.Triple(service, node(SD + "feature"), node(SD + "UnionDefaultGraph")),
        ox.Triple(service, node(SD + "defaultDataset"), dataset),
        ox.Triple(dataset, RDF_TYPE, node(SD + "Dataset")),
        ox.Triple(dataset, node(SD + "defaultGraph"), default),
        ox.Triple(default, RDF_TYPE, node(SD + "Graph")),
        ox.Triple(
            service,
            node("http://purl.org/dc/terms/description"),
            ox.Literal(f"stkg {__version__}: read-only SPARQL 1.1 endpoint"),
        ),
    ]
    for fmt in (
        "SPARQL_Results_JSON",
        "SPARQL_Results_XML",
        "SPARQL_Results_CSV",
        "SPARQL_Results_TSV",
        "Turtle",
        "N-Triples",
        "JSON-LD",
        "RDF_XML",
    ):
        triples.append(
            ox.Triple(
                service, node(SD + "resultFormat"), node(f"http://www.w3.org/ns/formats/{fmt}")
            )
        )
    totals = {"triples": 0}
    for index, (graph, numbers) in enumerate(sorted(statistics().items())):
        named, description = ox.BlankNode(f"ng{index}"), ox.BlankNode(f"g{index}")
        triples += [
            ox.Triple(dataset, node(SD + "namedGraph"), named),
            ox.Triple(named, node(SD + "name"), node(graph)),
            ox.Triple(named, node(SD + "graph"), description),
            ox.Triple(description, RDF_TYPE, node(SD + "Graph")),
        ]
        triples += _void(description, numbers)
        totals["triples"] += numbers["triples"]
    triples += _void(default, totals)
    fmt = negotiate("graph", request.args.get("format"))
    prefixes = {"sd": SD, "void": VOID} if fmt == "turtle" else None
    body = ox.serialize(triples, format=_rdf_format(fmt), prefixes=prefixes)
    return Response(body, 200, content_type=CONTENT_TYPES[fmt])


def _void(subject: ox.BlankNode, numbers: dict[str, int]) -> list[ox.Triple]:
    integer = ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")
    return [
        ox.Triple(subject, ox.NamedNode(VOID + key), ox.Literal(str(value), datatype=integer))
        for key, value in numbers.items()
    ]


def _rdf_format(fmt: str) -> ox.RdfFormat:
    from stkg.results import GRAPH_FORMATS

    return GRAPH_FORMATS[fmt]
