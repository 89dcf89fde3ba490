"""`/resource?iri=…`: any IRI in the store, with its types, labels and links both ways.

The HTML page and `/resource.json` (which the system page's neighbourhood graph calls to
expand a node) come from one data function. Links are paged (`out_page`, `in_page`, at most
`LINKS` each), so a class with a hundred thousand instances is as quick to open as a leaf.
The same URL negotiates RDF: `Accept: text/turtle` or `application/ld+json` (or
`format=turtle|jsonld|nt|rdfxml`) answers the triples about the IRI and those pointing at
it, up to the app's row cap.
"""

from __future__ import annotations

from typing import Any

import pyoxigraph as ox
from flask import Blueprint, Response, abort, current_app, jsonify, render_template, request

from stkg.store import Term
from stkg.web.portfolio import ORDERS
from stkg.web.quality import resource_notes
from stkg.web.sparql import CONTENT_TYPES
from stkg.web.tables import int_arg
from stkg.web.terms import PREFIXES, compact, describe, store, term_info

blueprint = Blueprint("resource", __name__)

LINKS = 100  # links per page, each way
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
LABELS = (
    "http://www.w3.org/2000/01/rdf-schema#label",
    "http://www.w3.org/2004/02/skos/core#prefLabel",
    "http://www.w3.org/2004/02/skos/core#altLabel",
    "http://www.w3.org/2004/02/skos/core#notation",
)
RDF_OFFERS = {
    "text/turtle": "turtle",
    "application/ld+json": "jsonld",
    "application/n-triples": "nt",
    "application/rdf+xml": "rdfxml",
}
HTML_OFFERS = {"text/html": "html", "application/json": "json"}
FORMAT_NAMES = {
    "ttl": "turtle",
    "turtle": "turtle",
    "jsonld": "jsonld",
    "json-ld": "jsonld",
    "nt": "nt",
    "rdfxml": "rdfxml",
    "rdf": "rdfxml",
    "html": "html",
    "json": "json",
}


def requested_iri() -> str:
    """The `iri` parameter: 400 when missing or not an IRI, 404 when not in the store."""
    iri = request.args.get("iri", "").strip()
    if not iri:
        abort(400, "give an IRI: /resource?iri=…")
    try:
        bound = {"iri": ox.NamedNode(iri)}
    except ValueError:
        abort(400, f"not an IRI: {iri!r}")
    ask = "ASK { { ?iri ?p ?o } UNION { ?s ?p ?iri } UNION { ?s ?iri ?o } }"
    if not store().query(ask, bindings=bound).boolean:
        abort(404, f"<{iri}> is not in the store")
    return iri


def _select(text: str, iri: str) -> list[dict[str, Term]]:
    """Rows of a SELECT whose `?iri` is bound to the IRI (pyoxigraph binds only projected
    variables, so `text` projects it)."""
    return store().query(text, bindings={"iri": ox.NamedNode(iri)}).dicts()


def _count(pattern: str, iri: str) -> int:
    text = f"SELECT ?iri (COUNT(*) AS ?n) WHERE {{ {pattern} }} GROUP BY ?iri"
    rows = _select(text, iri)
    return int(rows[0]["n"].value) if rows else 0


def resource_data(iri: str, out_page: int = 1, in_page: int = 1) -> dict[str, Any]:
    """Types, labels, one page of outgoing and one of incoming links, blank nodes opened."""
    outgoing = _select(
        "SELECT ?iri ?p ?o WHERE { ?iri ?p ?o } ORDER BY ?p ?o "
        f"LIMIT {LINKS} OFFSET {(out_page - 1) * LINKS}",
        iri,
    )
    incoming = _select(
        "SELECT ?iri ?s ?p WHERE { ?s ?p ?iri } ORDER BY ?p ?s "
        f"LIMIT {LINKS} OFFSET {(in_page - 1) * LINKS}",
        iri,
    )
    blanks = _select(
        "SELECT ?iri ?b ?p ?o WHERE { ?iri ?p0 ?b FILTER(isBlank(?b)) ?b ?p ?o } "
        f"LIMIT {LINKS * 2}",
        iri,
    )
    nested: dict[str, list] = {}
    for row in blanks:
        nested.setdefault(row["b"].value, []).append((row["p"], row["o"]))
    iris = {iri}
    for rows in (outgoing, incoming, blanks):
        for row in rows:
            iris |= {t.value for t in row.values() if isinstance(t, ox.NamedNode)}
    # with elements: the neighbourhood graph colours each node by the element it belongs to
    known = describe(iris | {v for order in ORDERS.values() for v in order}, elements=True)
    out: dict[str, list] = {}
    for row in outgoing:
        out.setdefault(row["p"].value, []).append(row["o"])

    def t(x: Term | None) -> dict[str, Any]:
        return term_info(x, known)

    def value(o: Term) -> dict[str, Any]:
        out = t(o)
        if isinstance(o, ox.BlankNode) and o.value in nested:
            out["properties"] = [{"property": t(p), "value": t(v)} for p, v in nested[o.value]]
        return out

    totals = {
        "outgoing": _count("?iri ?p ?o", iri),
        "incoming": _count("?s ?p ?iri", iri),
        "as_property": _count("?s ?iri ?o", iri),
    }
    return {
        "resource": known[iri].as_dict(),
        "types": [t(r["o"]) for r in outgoing if r["p"].value == RDF_TYPE],
        "labels": [
            {"property": compact(r["p"].value), **t(r["o"])}
            for r in outgoing
            if r["p"].value in LABELS
        ],
        "outgoing": {
            "total": totals["outgoing"],
            "page": out_page,
            "per_page": LINKS,
            "links": [{"property": t(r["p"]), "value": value(r["o"])} for r in outgoing],
        },
        "incoming": {
            "total": totals["incoming"],
            "page": in_page,
            "per_page": LINKS,
            "links": [{"subject": t(r["s"]), "property": t(r["p"])} for r in incoming],
        },
        "used_as_property": totals["as_property"],
        "notes": resource_notes(out, known, needs_label=False),  # on this page's links
    }


def resource_rdf(iri: str, fmt: str) -> Response:
    """The triples about the IRI and pointing at it, up to the row cap."""
    cap = int(current_app.config["STKG_MAX_ROWS"])
    result = store().query(
        "CONSTRUCT { ?iri ?p ?o . ?s ?q ?iri } WHERE { { ?iri ?p ?o } UNION { ?s ?q ?iri } } "
        f"LIMIT {cap}",
        bindings={"iri": ox.NamedNode(iri)},
    )
    body = result.serialize(fmt, PREFIXES if fmt == "turtle" else None)
    return Response(body, 200, content_type=CONTENT_TYPES[fmt])


def _negotiate(default: str) -> str:
    explicit = request.args.get("format", "").strip().lower()
    if explicit:
        if explicit not in FORMAT_NAMES:
            abort(406, "format must be one of: " + ", ".join(sorted(FORMAT_NAMES)))
        return FORMAT_NAMES[explicit]
    offers = {**HTML_OFFERS, **RDF_OFFERS} if default == "html" else {**RDF_OFFERS, **HTML_OFFERS}
    if default == "json":
        offers = {"application/json": "json", **RDF_OFFERS}
    best = request.accept_mimetypes.best_match(list(offers))
    return offers[best] if best else default


def _answer(default: str) -> Response | str:
    iri = requested_iri()
    fmt = _negotiate(default)
    if fmt in RDF_OFFERS.values():
        response = resource_rdf(iri, fmt)
    else:
        out_page = int_arg("out_page", 1, 1, 1_000_000)
        in_page = int_arg("in_page", 1, 1, 1_000_000)
        data = resource_data(iri, out_page, in_page)
        if fmt == "json":
            response = jsonify(data)
        else:
            response = Response(render_template("resource.html", data=data, iri=iri))
    response.headers["Vary"] = "Accept"
    return response


@blueprint.get("/resource")
def resource_page() -> Response | str:
    return _answer("html")


@blueprint.get("/resource.json")
def resource_json() -> Response | str:
    return _answer("json")
