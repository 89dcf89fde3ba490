"""The write API: `POST /import` and the Graph Store Protocol on `/graph`, read-only unless
the server has an update token (`stkg serve --update-token`).

* `POST /import` (multipart/form-data: `files`, and `batch`, `base`, `from`, `dry_run`,
  `agent`) takes what `stkg import` takes, through the same code path
  (`stkg.inventory.run.run_import`); its errors are the same, as JSON with file, row, column
  and value, and nothing is written then. `GET /import` is the upload page for analysts;
  `/import.json` lists the batches.
* `/graph?graph=IRI`: `GET` the graph (Turtle, N-Triples, JSON-LD, RDF/XML, by Accept), and,
  with the token, `PUT` (replace), `POST` (add) and `DELETE` it. A body is parsed with the
  checks of `stkg load` (`stkg.rdf_files`: syntax errors with line and column, RDF/XML entity
  limits, no remote JSON-LD contexts: the server has no network) before anything is written.
  stkg's own graphs (the project's files, import batches, provenance, results) are refused.

Every change is one all-or-nothing write with its PROV-O record in the import-provenance
graph, as an import's (`stkg import --list` shows it, `--rollback` undoes it). Requests
without the token get 401, with a wrong one 403, and any write to a server without one 403;
a body over `STKG_MAX_UPLOAD_BYTES` (default 64 MiB) gets 413. Errors are JSON here: a
client of the write API reads `file`, `row`, `column`, `value` and `message` from them.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from flask import Blueprint, Response, current_app, jsonify, render_template, request
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.utils import secure_filename

from stkg.errors import SourceError, StkgError
from stkg.inventory import InventoryErrors
from stkg.inventory import batches as batch_store
from stkg.inventory.read import InputError
from stkg.inventory.run import Outcome, mapping_for, run_import
from stkg.inventory.translate import VOCABULARIES, source_line
from stkg.project import GRAPH_BASE, Project
from stkg.rdf_files import Source, read_quads
from stkg.web.state import state, store_changed
from stkg.web.terms import store

blueprint = Blueprint("write", __name__)

MAX_UPLOAD_BYTES = 64 * 1024 * 1024
_writing = threading.Lock()  # one change at a time: each reads the store it replaces

# Graph Store Protocol bodies: media type -> the file suffix stkg.rdf_files reads it by.
BODY_TYPES = {
    "text/turtle": ".ttl",
    "application/x-turtle": ".ttl",
    "application/n-triples": ".nt",
    "application/ld+json": ".jsonld",
    "application/rdf+xml": ".rdf",
}
# Answers to GET: media type -> EXPORT_FORMATS name.
ANSWER_TYPES = {
    "text/turtle": "turtle",
    "application/n-triples": "nt",
    "application/ld+json": "jsonld",
    "application/rdf+xml": "rdfxml",
}


class Refused(Exception):
    """A write API request refused: its status and JSON body."""

    def __init__(self, status: int, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status, self.body = status, {"error": message, **extra}


def _json_errors(view: Callable[..., Response]) -> Callable[..., Response]:
    def wrapped(*args: Any, **kwargs: Any) -> Response:
        try:
            return view(*args, **kwargs)
        except Refused as refused:
            response = _answer(refused.body, refused.status)
            if refused.status == 401:
                response.headers["WWW-Authenticate"] = 'Bearer realm="stkg"'
            return response
        except RequestEntityTooLarge:
            limit = f"{_limit():,} bytes (STKG_MAX_UPLOAD_BYTES)"
            return _answer({"error": f"the request is larger than {limit}"}, 413)

    wrapped.__name__ = view.__name__
    return wrapped


def _answer(body: dict[str, Any], status: int = 200) -> Response:
    """JSON; for the upload page's own form (a browser asking for HTML), the result page
    rendered from the same dict."""
    browser = request.accept_mimetypes.best_match(["application/json", "text/html"])
    if request.endpoint == "write.import_post" and browser == "text/html":
        page = render_template("import_result.html", answer=body, status=status)
        return Response(page, status, content_type="text/html; charset=utf-8")
    response = jsonify(body)
    response.status_code = status
    return response


def _limit() -> int:
    return int(current_app.config.get("STKG_MAX_UPLOAD_BYTES") or MAX_UPLOAD_BYTES)


def _authorise(*, form: bool = False) -> str:
    """Check the update token; the agent the change is recorded under."""
    token = current_app.config.get("STKG_UPDATE_TOKEN")
    if not token:
        raise Refused(403, "this server is read-only: start it with --update-token to write")
    given = request.headers.get("Authorization", "")
    if not given and form:  # the upload page sends the token as a form field
        given = f"Bearer {request.form.get('token', '')}" if request.form.get("token") else ""
    if not given:
        raise Refused(401, "writing needs the update token (Authorization: Bearer …)")
    if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        raise Refused(403, "wrong update token")
    agent = request.form.get("agent", "") if form else request.args.get("agent", "")
    return agent.strip() or "stkg web API"


# The app state, reached in these two functions only (the web state is being reshaped).


def _project() -> Project:
    return state().project


def _changed() -> None:
    """A new version of the store: what the pages built on the old one is stale, and the
    query workers read a snapshot that must be taken again (as after a SPARQL Update)."""
    store_changed()


# --- POST /import ------------------------------------------------------------------------


@blueprint.get("/import")
def import_page() -> str:
    return render_template("import.html", data=import_data(), vocabularies=sorted(VOCABULARIES))


@blueprint.get("/import.json")
def import_json() -> Response:
    return jsonify(import_data())


def import_data() -> dict[str, Any]:
    """The batches in the store and whether this server takes writes."""
    return {
        "writable": bool(current_app.config.get("STKG_UPDATE_TOKEN")),
        "max_upload_bytes": _limit(),
        "batches": batch_store.list_batches(store()),
    }


@blueprint.post("/import")
@_json_errors
def import_post() -> Response:
    request.max_content_length = _limit()
    agent = _authorise(form=True)
    uploads = [f for f in request.files.getlist("files") if f.filename]
    if not uploads:
        raise Refused(400, "no files: send the inventory as multipart/form-data field 'files'")
    vocabularies = request.form.getlist("from")
    unknown = [v for v in vocabularies if v not in VOCABULARIES]
    if unknown:
        raise Refused(400, f"unknown 'from' {unknown[0]!r}; known: {', '.join(VOCABULARIES)}")
    batch = request.form.get("batch") or None
    if batch is None and len(uploads) > 1:
        raise Refused(400, "several files: name their batch (form field 'batch')")
    dry_run = request.form.get("dry_run", "").lower() in ("1", "true", "on", "yes")
    project = _project()
    with tempfile.TemporaryDirectory(prefix="stkg-upload-") as folder:
        paths = []
        for upload in uploads:
            name = secure_filename(upload.filename or "") or "upload"
            path = Path(folder) / name
            if path in paths:
                raise Refused(400, f"two files named {name!r}")
            upload.save(path)
            paths.append(path)
        relabel = _relabel(folder + "/")
        try:
            with _writing:
                outcome = run_import(
                    store(),
                    paths,
                    root=project.root,
                    mapping=mapping_for(project.root),
                    agent=agent,
                    base=request.form.get("base") or None,
                    batch=batch,
                    vocabularies=vocabularies,
                    dry_run=dry_run,
                    relabel=relabel,
                )
                if not dry_run:
                    _changed()
        except InventoryErrors as error:
            errors = [_relabelled(e, relabel) for e in error.errors]
            raise Refused(
                400, relabel(str(error).splitlines()[0]), errors=[e.as_dict() for e in errors]
            ) from None
        except SourceError as error:  # a bad base IRI or batch id
            raise Refused(
                400, relabel(str(error)), errors=[_source_error(error, relabel)]
            ) from None
        except StkgError as error:
            raise Refused(400, relabel(str(error))) from None
    return _answer(_outcome(outcome))


def _relabel(prefix: str) -> Callable[[str], str]:
    return lambda text: text.replace(prefix, "")


def _relabelled(error: InputError, relabel: Callable[[str], str]) -> InputError:
    return InputError(
        relabel(error.file), error.row, error.column, error.value, relabel(error.message)
    )


def _source_error(error: SourceError, relabel: Callable[[str], str]) -> dict[str, Any]:
    return {
        "file": relabel(error.source) if error.source else None,
        "row": error.line,
        "column": None if error.column is None else str(error.column),
        "value": None,
        "message": error.message,
    }


def _outcome(outcome: Outcome) -> dict[str, Any]:
    batch = outcome.batch
    by_severity: dict[str, int] = {}
    for r in outcome.results:
        by_severity[r.severity] = by_severity.get(r.severity, 0) + 1
    answer: dict[str, Any] = {
        "batch": batch.id,
        "graph": batch.graph,
        "dry_run": outcome.dry_run,
        "files": [{"file": f.label, "sha256": f.sha256} for f in batch.files],
        "rows": batch.rows,
        "triples": batch.triples,
        "added": outcome.added,
        "removed": outcome.removed,
        "systems": len(outcome.systems),
        "validation": {"results": len(outcome.results), "by_severity": by_severity},
    }
    if outcome.dry_run:
        answer["validation"] |= {"would_bring": outcome.brought, "would_resolve": outcome.resolved}
    if outcome.translation is not None:
        answer["derived"] = outcome.translation.derived
        answer["unmapped"] = dict(sorted(outcome.translation.unmapped.items()))
    return answer


# --- /graph: the Graph Store Protocol ------------------------------------------------------


def _graph() -> str:
    if "default" in request.args:
        raise Refused(
            400, "the default graph is the union of the named graphs here: name one (?graph=IRI)"
        )
    graph = request.args.get("graph", "")
    if not graph:
        raise Refused(400, "name the graph: ?graph=IRI")
    try:
        ox.NamedNode(graph)
    except ValueError as error:
        raise Refused(400, f"not an absolute IRI: {error}", value=graph) from None
    if ":" not in graph:
        raise Refused(400, "not an absolute IRI", value=graph)
    return graph


@blueprint.get("/graph")
@_json_errors
def graph_get() -> Response:
    graph = _graph()
    if graph not in store().graph_names():
        raise Refused(404, f"no graph <{graph}> in the store")
    offered = list(ANSWER_TYPES)
    media = request.accept_mimetypes.best_match(offered, default="text/turtle")
    if media is None:
        raise Refused(406, f"no acceptable format; offered: {', '.join(offered)}")
    body = store().export(ANSWER_TYPES[media], graph=graph)
    response = Response(body, 200, content_type=media)
    response.headers.add("Vary", "Accept")
    return response


@blueprint.put("/graph")
@_json_errors
def graph_put() -> Response:
    return _write_graph(replace=True)


@blueprint.post("/graph")
@_json_errors
def graph_post() -> Response:
    return _write_graph(replace=False)


@blueprint.delete("/graph")
@_json_errors
def graph_delete() -> Response:
    agent = _authorise()
    graph = _managed(_graph())
    started = datetime.datetime.now(datetime.UTC)
    with _writing:
        if graph not in store().graph_names():
            raise Refused(404, f"no graph <{graph}> in the store")
        triples = _size(graph)
        record = batch_store.change_record(
            graph, f"DELETE /graph <{graph}>", agent, started, removed=True
        )
        store().write(drop=[graph], add=record)
        _changed()
    return jsonify({"graph": graph, "removed": triples})


def _size(graph: str) -> int:
    answer = store().query(
        "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g",
        bindings={"g": ox.NamedNode(graph)},
    )
    return sum(int(row[1].value) for row in answer.rows if row[1] is not None)


def _managed(graph: str) -> str:
    if graph.startswith(GRAPH_BASE):
        raise Refused(
            403,
            f"<{graph}> is one of stkg's own graphs (project files, imports, provenance, "
            "results): change it through the project or stkg import",
            value=graph,
        )
    return graph


def _write_graph(*, replace: bool) -> Response:
    request.max_content_length = _limit()
    agent = _authorise()
    graph = _managed(_graph())
    media = (request.mimetype or "").lower()
    suffix = BODY_TYPES.get(media)
    if suffix is None:
        known = ", ".join(BODY_TYPES)
        raise Refused(415, f"unsupported body type {media or 'none'!r}; send one of {known}")
    data = request.get_data(cache=False)
    if not data.strip():
        what = "use DELETE to remove a graph" if replace else "nothing to add"
        raise Refused(400, f"empty body: {what}", file="request body")
    started = datetime.datetime.now(datetime.UTC)
    label = "request body"
    with tempfile.TemporaryDirectory(prefix="stkg-graph-") as folder:
        path = Path(folder) / f"body{suffix}"
        path.write_bytes(data)
        try:
            quads = read_quads(Source(path, graph, label))
        except SourceError as error:
            found = _source_error(error, lambda s: s) | {"value": source_line(path, error.line)}
            raise Refused(400, str(error), errors=[found]) from None
    others = sorted({q.graph_name.value for q in quads if q.graph_name != ox.NamedNode(graph)})
    if others:
        raise Refused(400, f"the body names graph <{others[0]}>: a request writes one graph")
    method = "PUT" if replace else "POST"
    with _writing:
        existed = graph in store().graph_names()
        kept = _size(graph) if existed and not replace else 0
        sha = hashlib.sha256(data).hexdigest()
        record = batch_store.change_record(
            graph, f"{method} /graph <{graph}>", agent, started, [(label, sha)], len(quads)
        )
        store().write(drop=[graph] if replace else [], add=list(quads) + record)
        triples = _size(graph)
        _changed()
    answer = {"graph": graph, "method": method, "statements": len(quads), "triples": triples}
    if not replace:
        answer["added"] = triples - kept
    response = jsonify(answer)
    response.status_code = 200 if existed else 201
    return response
