"""`/queries`: the named queries, each a page with a form for its parameters and a table.

`/queries` lists them (JSON twin `/queries.json`); `/queries/NAME` runs one with the
parameter values given in the URL (`?system=…`), `/queries/NAME.json` and
`/queries/NAME.csv` give the same answer as data. Queries run like any other on the
endpoint: checked, in a worker process, with the time limit and the row cap.
"""

from __future__ import annotations

from typing import Any

import pyoxigraph as ox
from flask import Blueprint, Response, abort, jsonify, render_template, request

from stkg.errors import ProjectError, StkgError
from stkg.queries import NamedQuery, ParameterError, find_query, named_queries
from stkg.results import shorten
from stkg.web.sparql import answer_error, run_query
from stkg.web.state import state
from stkg.web.tables import paging
from stkg.web.terms import TermInfo, describe, resource_url

blueprint = Blueprint("queries", __name__)


def term_json(term: ox.NamedNode | ox.BlankNode | ox.Literal | None) -> dict[str, str] | None:
    """A term as in SPARQL 1.1 Query Results JSON."""
    if term is None:
        return None
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    out = {"type": "literal", "value": term.value}
    if term.language:
        out["xml:lang"] = term.language
    elif term.datatype.value != "http://www.w3.org/2001/XMLSchema#string":
        out["datatype"] = term.datatype.value
    return out


def list_data() -> dict[str, Any]:
    project = state().project
    return {"queries": [q.as_dict() for q in named_queries(project).values()]}


def _named(name: str) -> NamedQuery:
    try:
        return find_query(state().project, name)
    except ProjectError:
        abort(404)


def query_data(query: NamedQuery, values: dict[str, str]) -> dict[str, Any]:
    """The query, the values it ran with and its answer; `missing` names required
    parameters without a value (then nothing runs)."""
    data: dict[str, Any] = {
        "query": query.as_dict(),
        "values": {p.name: values.get(p.name, p.default or "") for p in query.params},
        "missing": [p.name for p in query.params if p.required and not values.get(p.name)],
    }
    if data["missing"]:
        return data
    answer = run_query(query.sparql, bindings=query.bindings(values))
    return data | answer_json(answer)


def answer_json(answer: Any) -> dict[str, Any]:
    """An answer as the pages show it: `truncated`, then `boolean` (ASK) or SPARQL JSON's
    `head` and `results` (a graph as subject/predicate/object rows), plus the rows
    themselves under `_rows` for the HTML table."""
    result = answer.result
    out: dict[str, Any] = {"truncated": answer.truncated}
    if answer.truncated:
        out["truncated_by"] = answer.limit or "rows"  # which cap cut it: "rows" or "bytes"
    if result.kind == "ask":
        out["boolean"] = result.boolean
        return out
    if result.kind == "graph":
        names = ["subject", "predicate", "object"]
        rows = [(t.subject, t.predicate, t.object) for t in result.triples]
    else:
        names = list(result.variables)
        rows = result.rows
    out["head"] = {"vars": names}
    out["results"] = {
        "bindings": [
            {n: term_json(t) for n, t in zip(names, row, strict=True) if t is not None}
            for row in rows
        ]
    }
    out["_rows"] = rows
    return out


PAGE_ARGS = ("format", "page", "per_page")  # the page's own, never a query's parameters
PER_PAGE = 100  # rows per HTML page; the JSON and CSV twins carry the whole answer


def _values() -> dict[str, str]:
    return {k: v for k, v in request.args.items() if k not in PAGE_ARGS}


@blueprint.get("/queries")
def query_list() -> str:
    return render_template("queries.html", data=list_data())


@blueprint.get("/queries.json")
def query_list_json() -> Response:
    return jsonify(list_data())


@blueprint.get("/queries/<name>")
def query_page(name: str) -> Response | str:
    query = _named(name)
    values = _values()
    try:
        data = query_data(query, values)
    except ParameterError as exc:
        data = {"query": query.as_dict(), "values": values, "missing": [], "error": str(exc)}
        return Response(render_template("query.html", data=data, cells=[]), 400)
    except StkgError as exc:
        failed = answer_error(exc)
        data = {"query": query.as_dict(), "values": values, "missing": [], "error": str(exc)}
        return Response(render_template("query.html", data=data, cells=[]), failed.status_code)
    rows = data.pop("_rows", [])
    page = paging(PER_PAGE)
    shown = rows[page.offset : page.offset + page.per_page]
    known = describe(t.value for row in shown for t in row if isinstance(t, ox.NamedNode))
    cells = [[_cell(t, query.prefixes, known) for t in row] for row in shown]
    data["paging"] = page.info(len(rows))
    return render_template("query.html", data=data, cells=cells)


@blueprint.get("/queries/<name>.json")
def query_json(name: str) -> Response:
    query = _named(name)
    try:
        data = query_data(query, _values())
    except StkgError as exc:
        status = 400 if isinstance(exc, ParameterError) else answer_error(exc).status_code
        return Response(
            jsonify({"error": str(exc)}).get_data(), status, mimetype="application/json"
        )
    data.pop("_rows", None)
    if data["missing"]:
        return Response(
            jsonify({**data, "error": "missing " + ", ".join(data["missing"])}).get_data(),
            400,
            mimetype="application/json",
        )
    return jsonify(data)


@blueprint.get("/queries/<name>.csv")
def query_csv(name: str) -> Response:
    query = _named(name)
    try:
        values = _values()
        missing = [p.name for p in query.params if p.required and not values.get(p.name)]
        if missing:
            raise ParameterError(f"{query.id}: parameter {missing[0]!r} is required")
        answer = run_query(query.sparql, bindings=query.bindings(values))
        body = answer.result.serialize("csv" if answer.result.kind != "graph" else "nt")
    except StkgError as exc:
        status = 400 if isinstance(exc, ParameterError) else answer_error(exc).status_code
        return Response(str(exc) + "\n", status, mimetype="text/plain")
    response = Response(body, 200, content_type="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = f'attachment; filename="{query.id}.csv"'
    if answer.truncated:
        response.headers["X-STKG-Truncated"] = "true"
        response.headers["X-STKG-Truncated-By"] = answer.limit or "rows"
    return response


def _cell(
    term: ox.NamedNode | ox.BlankNode | ox.Literal | None,
    prefixes: dict[str, str],
    known: dict[str, TermInfo],
) -> dict:
    """A table cell: an IRI as its label, linked to the app's own page for it (a system to
    its system page, a requirement to its framework row, anything else to `/resource`)."""
    if term is None:
        return {"text": "", "iri": None}
    if isinstance(term, ox.NamedNode):
        info = known.get(term.value)
        return {
            "text": info.label if info else shorten(term, prefixes),
            "iri": term.value,
            "url": info.url if info else resource_url(term.value),
        }
    return {"text": shorten(term, prefixes), "iri": None}
