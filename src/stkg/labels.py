"""Human names for IRIs, fetched from the store in one query per batch.

Reports and explanations show a label where the graph has one (rdfs:label, else
skos:prefLabel, else dct:title; English or untagged first) and a requirement's official code
(skos:notation), and fall back to a compact IRI, so nothing is ever shown blank.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import pyoxigraph as ox

from stkg import prefixes
from stkg.store import PREFIXES as VOCABULARIES
from stkg.store import Store

# The one prefix table for compact names in text and tables (CLI, report, pages): the
# vocabularies' and the project's own namespaces. Overlaps are fine: the longest wins.
PREFIXES: dict[str, str] = {
    **VOCABULARIES,
    "ex": "https://w3id.org/stkg/example/acme/",
    "stkgsh": "https://w3id.org/stkg/shapes#",
    "fw": "https://w3id.org/stkg/framework/",
    "euaia": "https://w3id.org/stkg/framework/eu-ai-act/",
    "nist": "https://w3id.org/stkg/framework/nist-ai-rmf/",
    "iso": "https://w3id.org/stkg/framework/iso-iec-42001/",
    "rule": "https://w3id.org/stkg/rule/",
}
BATCH = 500  # IRIs per VALUES block

_QUERY = """
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX dct: <http://purl.org/dc/terms/>
SELECT ?iri ?kind ?text WHERE {
  VALUES ?iri { %s }
  { ?iri rdfs:label ?text . BIND(1 AS ?kind) }
  UNION { ?iri skos:prefLabel ?text . BIND(2 AS ?kind) }
  UNION { ?iri dct:title ?text . BIND(3 AS ?kind) }
  UNION { ?iri skos:notation ?text . BIND(4 AS ?kind) }
}
"""


@dataclass(frozen=True)
class Term:
    iri: str
    label: str  # rdfs:label, skos:prefLabel or dct:title, else the compact IRI
    notation: str | None = None  # skos:notation, the official code of a requirement
    labelled: bool = True  # False: `label` is the fallback, the graph has none

    @property
    def short(self) -> str:
        """The official code where there is one, else the label."""
        return self.notation or self.label


def compact(iri: str) -> str:
    """`ex:LoanApproval` for a known namespace (the longest that fits), else the IRI."""
    return prefixes.compact(iri, PREFIXES) or iri


def local_name(iri: str) -> str:
    return re.split(r"[/#]", iri.rstrip("/#"))[-1] or iri


def title(label: str) -> str:
    """A label as a heading or column title: "escalation path" → "Escalation path"."""
    return label[:1].upper() + label[1:] if label else label


def describe(store: Store, iris: Iterable[str]) -> dict[str, Term]:
    """A `Term` for every IRI given; a string that is not an IRI (a literal's or blank
    node's text) gets none, and callers show it as it is. A label that is itself an IRI is
    no label: only literals are read."""
    wanted = sorted({i for i in iris if i and _is_iri(i)})
    found: dict[str, dict[int, list[ox.Literal]]] = {}
    for start in range(0, len(wanted), BATCH):
        values = " ".join(str(ox.NamedNode(i)) for i in wanted[start : start + BATCH])
        for row in store.query(_QUERY % values).dicts():
            if not isinstance(row["text"], ox.Literal):
                continue
            kinds = found.setdefault(row["iri"].value, {})
            kinds.setdefault(int(row["kind"].value), []).append(row["text"])
    terms = {}
    for iri in wanted:
        kinds = found.get(iri, {})
        label = best_label(kinds)
        notation = _best(kinds.get(4, []))
        terms[iri] = Term(iri, label or compact(iri), notation, label is not None)
    return terms


def best_label(ranked: Mapping[int, Iterable[ox.Literal]]) -> str | None:
    """The label to show, the same everywhere: of the literals found per rank (1
    rdfs:label, 2 skos:prefLabel, 3 dct:title), the first rank that has one; within it
    English, then untagged, then any language; the least value for determinism."""
    return next((b for k in (1, 2, 3) if (b := _best(list(ranked.get(k, ()))))), None)


def _is_iri(text: str) -> bool:
    try:
        ox.NamedNode(text)
    except ValueError:
        return False
    return True


def _best(literals: list[ox.Literal]) -> str | None:
    """English first, then untagged, then any; the smallest value for determinism."""
    for accept in (("en",), (None,), None):
        chosen = sorted(lit.value for lit in literals if accept is None or lit.language in accept)
        if chosen:
            return chosen[0]
    return None
