"""`/search?q=…`: full-text search over labels, notations and definitions.

Oxigraph has no full-text index, so the app keeps its own: every label, notation and
definition, lower-cased, built by one query the first time someone searches and again after
an update through the endpoint. A search is a substring scan of that list (about a million
texts a second). Ranked as an analyst looks for things: labels and notations before
definitions; then an exact match, a whole-word match, a prefix, anywhere; then by kind —
systems, then people, controls and requirements, then the rest. So "loan" finds the loan
approval system before "Loan officers" and both before "loans". At most `MAX_HITS`
resources are ranked and one page of them is shown.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, Response, jsonify, render_template, request

from stkg.web.state import state
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


# What a hit is, most specific first (a person is also an agent), and its rank among kinds.
KINDS = (
    ("system", "stkg:SocialTechnicalSystem", 0),
    ("person", "stkg:Person", 1),
    ("team", "stkg:Team", 1),
    ("stakeholder group", "stkg:StakeholderGroup", 1),
    ("agent", "stkg:Agent", 1),
    ("control", "stkg:Control", 2),
    ("policy", "stkg:Policy", 2),
    ("governance measure", "stkg:GovernanceMeasure", 2),
    ("requirement", "stkg:Requirement", 3),
    ("framework", "stkg:Framework", 3),
    ("process", "stkg:Process", 4),
    ("component", "stkg:TechnicalComponent", 4),
    ("decision", "stkg:Decision", 4),
    ("context of use", "stkg:ContextOfUse", 4),
    ("mapping", "stkg:Mapping", 5),
    ("class", "owl:Class", 6),
    ("property", "rdf:Property", 6),
    ("property", "owl:ObjectProperty", 6),
    ("property", "owl:DatatypeProperty", 6),
    ("shape", "sh:NodeShape", 6),
    ("shape", "sh:PropertyShape", 6),
)
OTHER = ("resource", 5)


@dataclass
class SearchIndex:
    iris: list[str]
    fields: list[str]
    texts: list[str]  # the original text
    lowered: list[str]
    kinds: dict[str, tuple[str, int]] = field(default_factory=dict)  # IRI -> (kind, rank)

    def kind(self, iri: str) -> tuple[str, int]:
        return self.kinds.get(iri, OTHER)


def search_index() -> SearchIndex:
    """The app's search index, built on first use and after each store update."""
    return state().caches.get("search", _build, pending=lambda: SearchIndex([], [], [], []))


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
    index.kinds = _kinds(set(index.iris))
    return index


def _kinds(iris: set[str]) -> dict[str, tuple[str, int]]:
    """The kind of every indexed resource, in one query (subclasses count: a user's own
    kind of team is a team)."""
    order = {expand(cls): (i, name, rank) for i, (name, cls, rank) in enumerate(KINDS)}
    text = (
        PREFIX_LINES
        + "SELECT DISTINCT ?s ?kind WHERE { VALUES ?kind { "
        + " ".join(cls for _, cls, _ in KINDS)
        + " } ?class rdfs:subClassOf* ?kind . ?s a ?class FILTER(isIRI(?s)) }"
    )
    best: dict[str, tuple[int, str, int]] = {}
    for s, kind in store().query(text).rows:
        if s.value in iris and (s.value not in best or order[kind.value] < best[s.value]):
            best[s.value] = order[kind.value]
    return {iri: (name, rank) for iri, (_, name, rank) in best.items()}


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
    whole_word = re.compile(r"(?<!\w)" + re.escape(needle) + r"(?!\w)")
    index = search_index()
    best: dict[str, tuple[tuple[int, ...], int]] = {}
    matched = set()
    for i, text in enumerate(index.lowered):
        if needle not in text:
            continue
        iri = index.iris[i]
        matched.add(iri)
        if iri not in best and len(best) >= MAX_HITS:
            continue
        weight = FIELDS[index.fields[i]][1]
        key = (
            weight > 2,  # a label or notation before a definition
            _match(text, needle, whole_word),
            index.kind(iri)[1],
            weight,
            len(text),
        )
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
            "kind": index.kind(iri)[0],
            "field": index.fields[i],
            "match": _excerpt(index.texts[i], needle),
            "same_as_label": index.texts[i] in (known[iri].label, known[iri].notation),
        }
        for iri, (_, i) in shown
    ]
    return data


def _match(text: str, needle: str, whole_word: re.Pattern[str]) -> int:
    """0 the whole text, 1 a whole word in it, 2 its start, 3 a word's start, 4 anywhere."""
    if text == needle:
        return 0
    if whole_word.search(text):
        return 1
    if text.startswith(needle):
        return 2
    return 3 if re.search(r"(?<!\w)" + re.escape(needle), text) else 4


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
