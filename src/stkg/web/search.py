"""`/search?q=…`: full-text search over labels, notations and definitions.

Oxigraph has no full-text index, so the app keeps its own: every label, notation and
definition, lower-cased, built by one query the first time someone searches and again after
an update through the endpoint. A search is a substring scan of that list (about a million
texts a second), ranked exact match, then prefix, then anywhere, labels before definitions;
at most `MAX_HITS` resources are ranked and one page of them is shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Response, jsonify, render_template, request

from stkg.web.cache import per_store_version
from stkg.web.tables import paging, query_string
from stkg.web.terms import PREFIX_LINES, PREFIXES, describe, store

blueprint = Blueprint("search", __name__)

MAX_HITS = 2000  # resources ranked per search; the total is still counted
MIN_LENGTH = 2
# field name -> (property, weight: lower ranks first)
FIELDS = {
    "notation": ("skos:notation", 0),
    "label": ("rdfs:label", 1),
    "preferred label": ("skos:prefLabel", 1),
    "alternative label": ("skos:altLabel", 2),
    "definition": ("skos:definition", 3),
    "official text": ("stkg:officialText", 3),
    "comment": ("rdfs:comment", 4),
}


@dataclass
class SearchIndex:
    iris: list[str]
    fields: list[str]
    texts: list[str]  # the original text
    lowered: list[str]


def search_index() -> SearchIndex:
    """The app's search index, built on first use and after each store update."""
    return per_store_version("search", _build)


def _build() -> SearchIndex:
    props = " ".join(prop for prop, _ in FIELDS.values())
    text = (
        PREFIX_LINES + f"SELECT ?s ?p ?o WHERE {{ VALUES ?p {{ {props} }} ?s ?p ?o "
        "FILTER(isIRI(?s) && isLiteral(?o)) }"
    )
    names = {expand(prop): name for name, (prop, _) in FIELDS.items()}
    index = SearchIndex([], [], [], [])
    for s, p, o in store().query(text).rows:
        index.iris.append(s.value)
        index.fields.append(names[p.value])
        index.texts.append(o.value)
        index.lowered.append(o.value.lower())
    return index


def expand(prefixed: str) -> str:
    prefix, _, name = prefixed.partition(":")
    return PREFIXES[prefix] + name


def search_data(q: str) -> dict[str, Any]:
    """Resources whose label, notation or definition contains `q` (case-insensitive)."""
    q = q.strip()
    page = paging(20)
    data: dict[str, Any] = {"q": q, "paging": page.info(0), "results": []}
    if len(q) < MIN_LENGTH:
        data["message"] = f"Type at least {MIN_LENGTH} characters." if q else None
        return data
    needle = q.lower()
    index = search_index()
    best: dict[str, tuple[tuple[int, int, int], int]] = {}
    matched = set()
    for i, text in enumerate(index.lowered):
        if needle not in text:
            continue
        iri = index.iris[i]
        matched.add(iri)
        if iri not in best and len(best) >= MAX_HITS:
            continue
        where = 0 if text == needle else 1 if text.startswith(needle) else 2
        key = (where, FIELDS[index.fields[i]][1], len(text))
        if iri not in best or key < best[iri][0]:
            best[iri] = (key, i)
    ranked = sorted(best.items(), key=lambda item: (item[1][0], item[0]))
    shown = ranked[page.offset : page.offset + page.per_page]
    known = describe(iri for iri, _ in shown)
    data["paging"] = page.info(len(matched))
    data["ranked"] = len(ranked)
    data["results"] = [
        {
            **known[iri].as_dict(),
            "field": index.fields[i],
            "match": _excerpt(index.texts[i], needle),
        }
        for iri, (_, i) in shown
    ]
    return data


def _excerpt(text: str, needle: str, width: int = 160) -> dict[str, str]:
    """The text around the first match, split so a template can mark the match."""
    at = text.lower().find(needle)
    start = max(0, at - width // 2)
    end = min(len(text), at + len(needle) + width // 2)
    return {
        "before": ("…" if start else "") + text[start:at],
        "match": text[at : at + len(needle)],
        "after": text[at + len(needle) : end] + ("…" if end < len(text) else ""),
    }


@blueprint.get("/search")
def search_page() -> str:
    data = search_data(request.args.get("q", ""))
    return render_template("search.html", data=data, args=request.args, query_string=query_string)


@blueprint.get("/search.json")
def search_json() -> Response:
    return jsonify(search_data(request.args.get("q", "")))
