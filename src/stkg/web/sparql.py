"""`/sparql`: a SPARQL 1.1 Protocol endpoint, read-only and safe by default.

Queries come as GET (or HEAD) `query=`, POST form-encoded, or POST `application/sparql-query`.
Every query gets the cheap lexical checks of `stkg.sandbox` here (size, nesting, expression
and path length: a bomb is refused before it takes a worker), then runs in `stkg.execution`'s
worker processes, where the gate decides on a parse of it (no SERVICE, no LOAD, FROM only
for graphs in the store), with a hard time limit and a memory cap (503 when either runs
out), a row cap and an answer-byte cap (the `X-STKG-Truncated: true` header, and
`"truncated": true` in SPARQL JSON results), after `stkg.web.admission` let it in (503
with `Retry-After` when the ad-hoc lane is full). Updates are refused with 403 unless the
app was given an update token, which must then come as `Authorization: Bearer TOKEN`.
GET without a query answers a SPARQL 1.1 Service Description with VoID statistics
(`stkg.web.service`), or, for a browser, sends it to the editor. The answer's format comes
from Accept or a format parameter (`stkg.web.negotiation`).
"""

from __future__ import annotations

import functools
import hmac
import json
import threading
from typing import Unpack

from flask import Blueprint, Flask, Response, current_app, redirect, request, url_for

from stkg.errors import SourceError, StkgError
from stkg.execution import (
    Answer,
    AnswerTooLarge,
    CachingExecutor,
    Executor,
    LocalExecutor,
    QueryMemoryLimit,
    QueryTimeout,
    WorkerPool,
)
from stkg.sandbox import Limits, QueryRefused, check_update, precheck
from stkg.store import QueryOptions, QueryRequest
from stkg.web import service
from stkg.web.admission import AD_HOC, NAMED, Admission, ServerBusy, lane
from stkg.web.errors import plain
from stkg.web.negotiation import CONTENT_TYPES, FORMAT_PARAMETERS, negotiate, prefers_html

blueprint = Blueprint("sparql", __name__)
# One lock per thing started on first use: starting a pool takes seconds, and must not hold
# up the other pool or the admission.
_locks = {name: threading.Lock() for name in ("executor", "named_executor", "admission")}


class MethodRefused(QueryRefused):
    """405 for a request the route takes with other methods only (an update sent by GET)."""

    def __init__(self, message: str, allow: list[str]) -> None:
        super().__init__(message, 405)
        self.allow = allow


def executor(app: Flask | None = None, which: str | None = None) -> Executor:
    """The query executor of a lane (stkg.web.admission; the current request's by default),
    started on first use: warm worker processes, ad-hoc ones (`STKG_QUERY_WORKERS`) and
    ones reserved for named queries and pages (`STKG_NAMED_QUERY_WORKERS`), or the calling
    thread for both when `STKG_QUERY_WORKERS` is 0 or the store has no snapshot for workers
    (a remote store: the server runs the query, within the store's request time limit)."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    which = which or lane()
    state = app.extensions["stkg"]
    workers = int(app.config["STKG_QUERY_WORKERS"])
    reserved = int(app.config["STKG_NAMED_QUERY_WORKERS"])
    key = "named_executor" if which == NAMED and workers > 0 and reserved > 0 else "executor"
    if key not in state:
        with _locks[key]:
            if key not in state:
                size = reserved if key == "named_executor" else workers
                max_rows = int(app.config["STKG_MAX_ROWS"])
                max_bytes = int(app.config["STKG_MAX_ANSWER_BYTES"])
                running: Executor = (
                    WorkerPool(
                        state["store"],
                        workers=size,
                        timeout=float(app.config["STKG_QUERY_TIMEOUT"]),
                        max_rows=max_rows,
                        max_bytes=max_bytes,
                        memory=int(app.config["STKG_WORKER_MEMORY"]),
                        copy=bool(app.config["STKG_WORKER_COPY"]),
                        limits=limits(app),
                    )
                    if size > 0 and state["store"].capabilities.snapshots
                    else LocalExecutor(  # a remote store: the server runs it, time-limited
                        state["store"], max_rows, limits=limits(app), max_bytes=max_bytes
                    )
                )
                kept = int(app.config["STKG_ANSWER_CACHE_BYTES"])
                if kept > 0 and state["store"].capabilities.snapshots:  # only stkg writes it
                    running = CachingExecutor(running, kept)
                state[key] = running
    return state[key]


def executors(app: Flask) -> list[Executor]:
    """The executors started so far (to reload after an update, or to close). One being
    started now is waited for: its snapshot may be older than the write that asks."""
    state = app.extensions["stkg"]
    found = []
    for key in ("executor", "named_executor"):
        with _locks[key]:
            if key in state:
                found.append(state[key])
    return found


def close_executors(app: Flask) -> None:
    """Stop every query worker process of the app and remove their snapshots."""
    for running in executors(app):
        running.close()


def admission(app: Flask | None = None) -> Admission:
    """The app's admission for ad-hoc queries: one slot per ad-hoc worker process, a wait
    queue of `STKG_ADHOC_QUEUE` requests, each waiting at most the time limit."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    state = app.extensions["stkg"]
    if "admission" not in state:
        with _locks["admission"]:
            if "admission" not in state:
                state["admission"] = Admission(
                    slots=int(app.config["STKG_QUERY_WORKERS"]),
                    queue=int(app.config["STKG_ADHOC_QUEUE"]),
                    wait=float(app.config["STKG_QUERY_TIMEOUT"]),
                )
    return state["admission"]


def store_graphs() -> dict[str, int]:
    """Named graphs and their sizes, cached until an update changes the store."""
    state = current_app.extensions["stkg"]
    if "graphs" not in state:
        state["graphs"] = state["store"].graphs()
    return state["graphs"]


def limits(app: Flask | None = None) -> Limits:
    """The query gate's limits from the app config (`STKG_MAX_*`)."""
    config = (app or current_app).config
    return Limits(
        length=int(config["STKG_MAX_QUERY_LENGTH"]),
        nesting=int(config["STKG_MAX_NESTING"]),
        expression=int(config["STKG_MAX_EXPRESSION_LENGTH"]),
        path=int(config["STKG_MAX_PATH_LENGTH"]),
        patterns=int(config["STKG_MAX_PATTERN_LENGTH"]),
    )


@functools.lru_cache(maxsize=256)
def _prechecked(text: str, limits: Limits) -> None:
    """`precheck`, remembered per query text: named queries send the same text on every
    request. A refused query raises, and is not remembered."""
    precheck(text, limits)


def run_query(text: str, **options: Unpack[QueryOptions]) -> Answer:
    """Check a query, then run it on the executor of the request's lane (an ad-hoc query
    after taking an admission slot). Raises QueryRefused (ServerBusy, QueryTooComplex),
    SourceError, QueryTimeout, QueryMemoryLimit, AnswerTooLarge."""
    _prechecked(text, limits())
    request = QueryRequest(text, **options)
    graphs = store_graphs()
    for graph in [*(request.default_graphs or []), *(request.named_graphs or [])]:
        if graph not in graphs:
            raise QueryRefused(
                f"<{graph}>: no such graph in the store (the endpoint never fetches data; "
                "default-graph-uri and named-graph-uri may name only graphs it holds)"
            )
    if lane() == AD_HOC:  # a slot first: a full queue is answered before a worker is held
        with admission().slot():
            return executor(which=AD_HOC).query(request)
    return executor(which=NAMED).query(request)


def error(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    """An error answer in the app's one error format (stkg.web.errors)."""
    return plain(status, message, headers)


def answer_error(exc: Exception) -> Response:
    """The HTTP answer for a failed query."""
    if isinstance(exc, ServerBusy):
        return error(503, exc.message, {"Retry-After": str(exc.retry_after)})
    if isinstance(exc, MethodRefused):
        return error(405, exc.message, {"Allow": ", ".join(exc.allow)})
    if isinstance(exc, QueryRefused):
        return error(exc.status, exc.message)
    if isinstance(exc, (QueryTimeout, QueryMemoryLimit)):
        return error(503, f"query stopped: {exc}")
    if isinstance(exc, AnswerTooLarge):
        return error(413, f"answer too large: {exc}")
    if isinstance(exc, SourceError):
        return error(400, f"bad query: {exc}")
    return error(500 if not isinstance(exc, StkgError) else 400, str(exc))


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
        response.headers["X-STKG-Truncated-By"] = answer.limit or "rows"
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
    if request.method in ("GET", "HEAD"):
        if "update" in request.args:
            raise MethodRefused("updates must be sent with POST", ["POST"])
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
    response.headers["Access-Control-Expose-Headers"] = "X-STKG-Truncated, X-STKG-Truncated-By"
    return response


@blueprint.route("/sparql", methods=["GET", "POST", "OPTIONS"])
def sparql() -> Response:
    if request.method == "OPTIONS":  # CORS preflight; the headers come from _cors
        return Response(status=204)
    try:
        query, update = _operation()
        if update is not None:
            return _update(update)
        formats = [value for name in FORMAT_PARAMETERS for value in _params(name)]
        if query is None:
            if request.method in ("GET", "HEAD") and not formats and prefers_html():
                return redirect(url_for("editor.editor"), 303)  # a browser: the editor
            fmt = negotiate("graph", formats)
            response = Response(service.description(fmt), 200, content_type=CONTENT_TYPES[fmt])
        else:
            answer = run_query(
                query,
                default_graphs=_params("default-graph-uri") or None,
                named_graphs=_params("named-graph-uri") or None,
                base_iri=request.base_url,  # the protocol's "service-defined BASE URI"
            )
            response = render(answer, negotiate(answer.result.kind, formats))
        response.headers.add("Vary", "Accept")
        return response
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
    check_update(text, limits())
    state = current_app.extensions["stkg"]
    state["store"].update(text, base_iri=request.base_url)  # the service-defined BASE
    state.pop("graphs", None)  # a new version of the store: what was built on it is stale
    for running in executors(current_app):
        running.reload()
    return Response("update done\n", 200, mimetype="text/plain")
