"""Terms as the explorer shows them: a label, a kind, and the page that explains them.

Every page links IRIs the same way: a system to its system page, a framework to its
framework page, a requirement to its row on the framework page, anything else to
`/resource`. One query answers for all the IRIs on a page (never one query per IRI).
Values go into query text only as pyoxigraph's own N-Triples serialisation of a term, which
escapes them; user text never becomes query syntax.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import quote

import pyoxigraph as ox
from flask import url_for

from stkg.labels import PREFIXES as LABEL_PREFIXES
from stkg.labels import best_label
from stkg.labels import compact as compact  # re-exported: one shortener everywhere
from stkg.labels import local_name as local_name  # re-exported: the pages' one name
from stkg.labels import title as title
from stkg.store import Store
from stkg.web.state import state

FRAMEWORK_BASE = "https://w3id.org/stkg/framework/"
STKG = "https://w3id.org/stkg#"
SYSTEM_CLASS = STKG + "SocialTechnicalSystem"

PREFIX_LINES = """\
PREFIX stkg: <https://w3id.org/stkg#>
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX owl: <http://www.w3.org/2002/07/owl#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX dct: <http://purl.org/dc/terms/>
PREFIX sh: <http://www.w3.org/ns/shacl#>
"""

# The one prefix table (`stkg.labels.PREFIXES`), re-exported for the pages.
PREFIXES = LABEL_PREFIXES

VALUE_KINDS = ("literal", "blank")  # kinds of a TermInfo that is not an IRI

# The class that makes an IRI a kind of page, most specific page first.
_KINDS = {
    "system": SYSTEM_CLASS,
    "framework": STKG + "Framework",
    "requirement": STKG + "Requirement",
}
# The element of a social-technical system a resource belongs to (the neighbourhood graph
# colours by it), most specific first: a control is a policy, a human review a process.
ELEMENTS = {
    "system": SYSTEM_CLASS,
    "people": STKG + "Agent",
    "technology": STKG + "TechnicalComponent",
    "processes": STKG + "Process",
    "policies": STKG + "GovernanceMeasure",  # policies, rules, standards, controls, RACI
    "context": STKG + "ContextOfUse",
    "requirements": STKG + "Requirement",
    "frameworks": STKG + "Framework",
}


@dataclass(frozen=True)
class TermInfo:
    iri: str
    label: str
    kind: str  # "system", "framework", "requirement", "resource"; "literal", "blank"
    notation: str | None = None
    scheme: str | None = None
    element: str | None = None  # a key of ELEMENTS, or None for anything else

    @property
    def url(self) -> str | None:
        """Its page; None for a value that is not an IRI (a literal or blank node where an
        IRI was expected), which has no page of its own."""
        if self.kind in VALUE_KINDS:
            return None
        return page_url(self.iri, self.kind, self.scheme)

    def as_dict(self) -> dict[str, str | None]:
        return {
            "iri": None if self.kind in VALUE_KINDS else self.iri,
            "label": self.label,
            "kind": self.kind,
            "notation": self.notation,
            "url": self.url,
            "element": self.element,
        }


def store() -> Store:
    return state().store


def iri_term(iri: str) -> str:
    """An IRI as query text; raises ValueError for a string that is not an IRI."""
    return str(ox.NamedNode(iri))


def is_iri(text: str) -> bool:
    """Whether `text` is an absolute IRI (and so may go into a query as one)."""
    try:
        ox.NamedNode(text)
    except ValueError:
        return False
    return True


def term_key(term: ox.NamedNode | ox.BlankNode | ox.Literal) -> str:
    """A term as one string that keeps its kind: an IRI as itself, a literal or blank node
    in N-Triples form (`"Deployed"`, `"3"^^<…#integer>`, `_:b0`), which no IRI can be. Indexes
    keyed by it never mistake the text "Deployed" for the stage stkg:Deployed."""
    return term.value if isinstance(term, ox.NamedNode) else str(term)


def key_kind(key: str) -> str:
    """ "iri", "literal" or "blank" for a `term_key`."""
    if key.startswith('"'):
        return "literal"
    if key.startswith("_:"):
        return "blank"
    return "iri"


def key_text(key: str) -> str:
    """What a `term_key` shows as: an IRI compacted, a literal's lexical form, `_:id`."""
    kind = key_kind(key)
    if kind == "literal":
        try:
            return next(iter(ox.parse(f"<x:s> <x:p> {key} .", format=ox.RdfFormat.N_TRIPLES)))[
                2
            ].value
        except (SyntaxError, StopIteration):
            return key
    return key if kind == "blank" else compact(key)


def literal_term(text: str) -> str:
    return str(ox.Literal(text))


def values(variable: str, iris: Iterable[str]) -> str:
    """A VALUES block binding `variable` to each IRI."""
    return f"VALUES ?{variable} {{ {' '.join(iri_term(i) for i in iris if is_iri(i))} }}"


def pair_values(names: tuple[str, str], pairs: Iterable[tuple[str, str]]) -> str:
    """A VALUES block binding two variables to pairs of IRIs (a list of pairs binds no
    other way), each written by pyoxigraph, which escapes it."""
    rows = " ".join(f"({iri_term(a)} {iri_term(b)})" for a, b in pairs)
    return f"VALUES (?{names[0]} ?{names[1]}) {{ {rows} }}"


def framework_slug(scheme: str) -> str | None:
    """The short name of a framework under the shared IRI scheme (`nist-ai-rmf`)."""
    if scheme.startswith(FRAMEWORK_BASE):
        slug = scheme[len(FRAMEWORK_BASE) :]
        if slug and "/" not in slug:
            return slug
    return None


def anchor(iri: str) -> str:
    """The fragment of a requirement's row on its framework page."""
    return "r-" + re.sub(r"[^A-Za-z0-9_.-]", "-", local_name(iri))


def page_url(iri: str, kind: str = "resource", scheme: str | None = None) -> str:
    if kind == "system":
        return url_for("system.system_page", iri=iri)
    if kind == "framework" and framework_slug(iri):
        return url_for("frameworks.framework_page", slug=framework_slug(iri))
    if kind == "requirement" and scheme and framework_slug(scheme):
        return url_for("frameworks.framework_page", slug=framework_slug(scheme)) + "#" + anchor(iri)
    return resource_url(iri)


def resource_url(iri: str) -> str:
    return url_for("resource.resource_page") + "?iri=" + quote(iri, safe="")


def describe(iris: Iterable[str], elements: bool = False) -> dict[str, TermInfo]:
    """Label, kind, notation and scheme of each IRI, in one query; with `elements`, also
    the element of a system each belongs to (`ELEMENTS`: asked only where it is shown, as
    each class more to test makes the query slower). A string that is not an IRI (a
    `term_key` of a literal or blank node found where an IRI was expected) is described as
    itself, kind "literal" or "blank", without a page."""
    given = {i for i in iris if i}
    others = {k: TermInfo(k, key_text(k), _value_kind(k)) for k in given if not is_iri(k)}
    wanted = sorted(given - set(others))
    if not wanted:
        return others
    found: dict[str, dict] = {i: {"labels": {}, "kinds": set()} for i in wanted}
    text = (
        PREFIX_LINES
        + "SELECT ?x ?label ?rank ?notation ?scheme ?kind WHERE { "
        + values("x", wanted)
        + """
        OPTIONAL {
          { ?x rdfs:label ?label BIND(1 AS ?rank) }
          UNION { ?x skos:prefLabel ?label BIND(2 AS ?rank) }
          UNION { ?x dct:title ?label BIND(3 AS ?rank) }
        }
        OPTIONAL { ?x skos:notation ?notation }
        OPTIONAL { ?x skos:inScheme|skos:topConceptOf ?scheme }
        OPTIONAL {
          VALUES ?kind { """
        + " ".join(
            map(iri_term, sorted({*_KINDS.values(), *(ELEMENTS.values() if elements else ())}))
        )
        + """ }
          ?x a ?class . ?class rdfs:subClassOf* ?kind
        }
      }"""
    )
    for row in store().query(text).dicts():
        entry = found[row["x"].value]
        label = row.get("label")
        if isinstance(label, ox.Literal):  # a label that is an IRI is no label to show
            entry["labels"].setdefault(int(row["rank"].value), set()).add(label)
        if isinstance(row.get("notation"), ox.Literal):
            entry.setdefault("notations", set()).add(row["notation"].value)
        if isinstance(row.get("scheme"), ox.NamedNode):
            entry.setdefault("schemes", set()).add(row["scheme"].value)
        if row.get("kind") is not None:
            entry["kinds"].add(row["kind"].value)
    return others | {iri: _info(iri, entry) for iri, entry in found.items()}


def _value_kind(key: str) -> str:
    return "blank" if key_kind(key) == "blank" else "literal"


def _info(iri: str, entry: dict) -> TermInfo:
    """Several values where one is expected (two English labels, two notations) are shown
    deterministically: the least of them."""
    label = best_label(entry["labels"])  # the precedence of `stkg.labels`, one for all doors
    kind = "resource"
    for name, cls in _KINDS.items():
        if cls in entry["kinds"]:
            kind = name
            break
    notation = min(entry["notations"]) if entry.get("notations") else None
    scheme = min(entry["schemes"]) if entry.get("schemes") else None
    if label is None:  # unlabelled: "type" for rdf:type, never a prefixed name in the text
        label = notation or (local_name(iri) if compact(iri) != iri else iri)
    element = next((name for name, cls in ELEMENTS.items() if cls in entry["kinds"]), None)
    return TermInfo(iri, label, kind, notation, scheme, element)


def term_info(term: ox.NamedNode | ox.BlankNode | ox.Literal | None, known: dict) -> dict:
    """A term for a template or JSON: an IRI with its label and page, or a literal's text."""
    if term is None:
        return {"text": ""}
    if isinstance(term, ox.NamedNode):
        info = known.get(term.value) or TermInfo(term.value, compact(term.value), "resource")
        return {**info.as_dict(), "text": info.label}
    if isinstance(term, ox.BlankNode):
        return {"text": f"_:{term.value}", "bnode": term.value}
    out = {"text": term.value}
    if term.language:
        out["language"] = term.language
    elif term.datatype.value != "http://www.w3.org/2001/XMLSchema#string":
        out["datatype"] = compact(term.datatype.value)
    return out


# An IRI or a prefixed name (of a prefix the app knows) inside text meant for people, as
# SHACL messages carry them ("{$this} reviews…", "stkg:HighImpact"). Trailing punctuation
# ends the IRI: "…/PeopleAnalyticsTeam: the review" names PeopleAnalyticsTeam.
_IN_TEXT = re.compile(
    r"(?P<iri>https?://[^\s<>\"'(),;]*[^\s<>\"'(),;.:!?])"
    r"|(?<![\w/#:])(?P<curie>(?:" + "|".join(map(re.escape, PREFIXES)) + r"):[A-Za-z_][\w-]*)"
)
BATCH = 500  # IRIs per describe() query when labelling many texts


def named_in(text: str) -> list[str]:
    """The IRIs that `text` names, written out or as prefixed names."""
    out = []
    for match in _IN_TEXT.finditer(text or ""):
        out.append(match["iri"] or _expanded(match["curie"]))
    return out


def _expanded(curie: str) -> str:
    prefix, _, name = curie.partition(":")
    return PREFIXES[prefix] + name


def in_words(text: str, known: dict[str, TermInfo]) -> str:
    """`text` with every IRI or prefixed name in it replaced by the label of what it names
    (`known`, from `describe(named_in(text))`); one without a label keeps its local name,
    never the IRI: a person reads "Marketing Analytics team", not its IRI."""

    def label(match: re.Match[str]) -> str:
        iri = match["iri"] or _expanded(match["curie"])
        info = known.get(iri)
        if info is not None and info.label != compact(iri) and info.label != iri:
            return info.label
        return local_name(iri)

    return _IN_TEXT.sub(label, text or "")


def words_for(texts: Iterable[str]) -> dict[str, str]:
    """Each distinct text in words (`in_words`), labelling every IRI they name together,
    `BATCH` at a time: one query per few hundred names, not one per text."""
    distinct = {t for t in texts if t}
    names = sorted({iri for t in distinct for iri in named_in(t)})
    known: dict[str, TermInfo] = {}
    for start in range(0, len(names), BATCH):
        known.update(describe(names[start : start + BATCH]))
    return {t: in_words(t, known) for t in distinct}


# The order of the words that name a framework's parts, where that is not the alphabet's:
# NIST AI RMF's functions (AI 100-1 section 5), and the EU AI Act's chapters and articles
# before its annexes. Numbers come before unknown words (ISO/IEC 42001 clauses 4–10 before
# Annex A's "A.5"), after the functions (the trustworthiness section "3" after MANAGE).
WORD_ORDER = {"GOVERN": 0, "MAP": 1, "MEASURE": 2, "MANAGE": 3, "Chapter": 20, "Art": 21}
NUMBER_RANK, WORD_RANK, ANNEX_RANK = 10, 30, 40
ROMAN = re.compile(r"^(?=[MDCLXVI])M*(C[MD]|D?C{0,3})(X[CL]|L?X{0,3})(I[XV]|V?I{0,3})$")


def requirement_order(notation: str) -> tuple:
    """Sort key for requirement codes in the framework's own order: GOVERN, MAP, MEASURE,
    MANAGE; GOVERN 1.10 after GOVERN 1.9; Chapter IX after Chapter V (Roman numerals read
    as numbers); articles before annexes."""
    key = []
    for token in re.findall(r"\d+|[A-Za-z]+", notation or ""):
        if token.isdigit():
            key.append((NUMBER_RANK, int(token), ""))
        elif token in WORD_ORDER:
            key.append((WORD_ORDER[token], 0, ""))
        elif key and ROMAN.match(token):  # "Chapter IX", "Annex III": a number in Roman
            key.append((NUMBER_RANK, _roman(token), ""))
        elif token == "Annex":
            key.append((ANNEX_RANK, 0, ""))
        else:
            key.append((WORD_RANK, 0, token.lower()))
    return tuple(key)


def _roman(text: str) -> int:
    values = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100, "D": 500, "M": 1000}
    total = 0
    for here, after in zip(text, [*text[1:], ""], strict=True):
        total += -values[here] if after and values[after] > values[here] else values[here]
    return total
