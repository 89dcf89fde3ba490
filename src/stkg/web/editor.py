"""`/editor`: a SPARQL editor, with the named queries as examples.

The page is a plain form first: a textarea whose query runs through the endpoint's checks,
time limit and row cap, answered as an HTML table here, or posted straight to `/sparql` for
CSV or SPARQL JSON. With JavaScript and the YASGUI assets (stkg.web.assets) the form becomes
YASGUI, pointed at this server's `/sparql`, with remote autocompletion off: YASGUI's
defaults ask Linked Open Vocabularies and prefix.cc, and no request may leave for another
host. `/editor.json` is the JSON twin: the endpoint, the examples and any answer.
"""

from __future__ import annotations

from typing import Any

import pyoxigraph as ox
from flask import Blueprint, Response, jsonify, render_template, request, url_for

from stkg.errors import ProjectError, StkgError
from stkg.labels import PREFIXES
from stkg.queries import find_query, named_queries
from stkg.results import shorten
from stkg.web.queries import answer_json
from stkg.web.sparql import answer_error, run_query
from stkg.web.state import state

blueprint = Blueprint("editor", __name__)

STARTER = """\
PREFIX stkg: <https://w3id.org/stkg#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>

SELECT ?system ?label WHERE {
  ?systemClass rdfs:subClassOf* stkg:SocialTechnicalSystem .
  ?system a ?systemClass .
  OPTIONAL { ?system rdfs:label ?label }
}
ORDER BY ?system
LIMIT 100
"""


def examples() -> list[dict[str, Any]]:
    """The named queries as editor examples: their text as written, parameters unbound
    (an unbound parameter answers for every value, as in `/queries`)."""
    project = state().project
    return [
        {
            "id": q.id,
            "summary": q.summary,
            "description": q.description,
            "sparql": q.sparql,
            "page": url_for("queries.query_page", name=q.id),
        }
        for q in named_queries(project).values()
    ]


def editor_data(query: str | None, example: str | None) -> dict[str, Any]:
    """What the editor shows; runs `query` when one is given. An example's text fills the
    editor when no query is given."""
    text = query
    if not text and example:
        try:
            text = find_query(state().project, example).sparql
        except ProjectError:
            text = None
    data: dict[str, Any] = {
        "endpoint": url_for("sparql.sparql"),
        "query": text or STARTER,
        "examples": examples(),
    }
    if query:
        data.update(_answer(query))
    return data


def _answer(query: str) -> dict[str, Any]:
    try:
        answer = run_query(query)
    except (StkgError, ValueError) as exc:
        failed = answer_error(exc)
        retry = (
            {"Retry-After": failed.headers["Retry-After"]}
            if "Retry-After" in failed.headers
            else {}
        )
        return {
            "error": failed.get_data(as_text=True).strip(),
            "status": failed.status_code,
            "_headers": retry,
        }
    return answer_json(answer)


def _request_values() -> tuple[str | None, str | None]:
    source = request.form if request.method == "POST" else request.args
    return (source.get("query") or None, source.get("example") or None)


@blueprint.route("/editor", methods=["GET", "POST"])
def editor() -> Response | str:
    data = editor_data(*_request_values())
    rows = data.pop("_rows", [])
    headers = data.pop("_headers", {})
    cells = [
        [
            {
                "text": shorten(t, PREFIXES),
                "iri": t.value if isinstance(t, ox.NamedNode) else None,
            }
            for t in row
        ]
        for row in rows
    ]
    page = render_template("editor.html", data=data, cells=cells)
    return Response(page, data.get("status", 200), headers)


@blueprint.route("/editor.json", methods=["GET", "POST"])
def editor_json() -> Response:
    data = editor_data(*_request_values())
    data.pop("_rows", None)
    response = jsonify({k: v for k, v in data.items() if k != "_headers"})
    response.status_code = data.get("status", 200)
    response.headers.update(data.get("_headers", {}))
    return response
