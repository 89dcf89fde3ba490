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
from typing import Unpack

from flask import Blueprint, Flask, Response, current_app, redirect, request, url_for

from stkg.errors import SourceError, StkgError
from stkg.execution import Answer, AnswerTooLarge, Executor, QueryMemoryLimit, QueryTimeout
from stkg.sandbox import Limits, QueryRefused, check_update, precheck
from stkg.store import QueryOptions, QueryRequest
from stkg.web import service
from stkg.web.admission import AD_HOC, NAMED, Admission, ServerBusy, lane
from stkg.web.errors import plain
from stkg.web.negotiation import CONTENT_TYPES, FORMAT_PARAMETERS, negotiate, prefers_html
from stkg.web.state import state, store_changed

blueprint = Blueprint("sparql", __name__)


class MethodRefused(QueryRefused):
    """405 for a request the route takes with other methods only (an update sent by GET)."""

    def __init__(self, message: str, allow: list[str]) -> None:
        super().__init__(message, 405)
        self.allow = allow


def executor(app: Flask | None = None, which: str | None = None) -> Executor:
    """The query executor of a lane (the current request's by default): `WebState.executor`."""
    return state(app).executor(which or lane())


def executors(app: Flask) -> list[Executor]:
    """The executors started so far; one being started now is waited for."""
    return state(app).executors()


def close_executors(app: Flask) -> None:
    """Stop every query worker process of the app and remove their snapshots."""
    state(app).close()


def admission(app: Flask | None = None) -> Admission:
    """The app's admission for ad-hoc queries (`WebState.get_admission`)."""
    return state(app).get_admission()


def store_graphs() -> dict[str, int]:
    """Named graphs and their sizes, for this version of the store."""
    return state().graphs()


def limits(app: Flask | None = None) -> Limits:
    """The query gate's limits from the app config (`STKG_MAX_*`)."""
    return state(app).settings.limits


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
    """Serialise an answer (once per format: a cached answer keeps its last body); mark a
    truncated one."""
    body = answer.body(fmt, functools.partial(_serialize, answer))
    response = Response(body, 200, content_type=CONTENT_TYPES[fmt])
    if answer.truncated:
        response.headers["X-STKG-Truncated"] = "true"
        response.headers["X-STKG-Truncated-By"] = answer.limit or "rows"
    return response


def _serialize(answer: Answer, fmt: str) -> bytes:
    body = answer.result.serialize(fmt)
    if answer.truncated and fmt == "json":  # Oxigraph writes one object: add a member last
        end = body.rstrip().rindex(b"}")
        body = body[:end] + b', "truncated": true' + body[end:]
    return body


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
    state().store.update(text, base_iri=request.base_url)  # the service-defined BASE
    store_changed()  # a new version of the store: what was built on it is stale
    return Response("update done\n", 200, mimetype="text/plain")
