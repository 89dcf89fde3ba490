"""The NIST IR 8477 mapping model as Python values, and reading it from a store.

Set relationships are the five STRM relationships of the ontology (`stkg:Equal` …
`stkg:NoRelationship`) plus two values the ontology expresses by absence: RELATED, an
untyped concept-crosswalk link (no `stkg:relationship`), and INDETERMINATE, what a chain of
mappings gives when set theory cannot say how its ends relate. Both are written to the graph
as a mapping without `stkg:relationship`, so they are never mistaken for a typed link.

Rows are fetched from the store once, with one SPARQL query each; everything else (composition,
checks) runs in Python over those rows.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import Enum

from stkg.errors import StkgError
from stkg.namespace import STKG_NS
from stkg.store import Store

FRAMEWORK_BASE = "https://w3id.org/stkg/framework/"
MAPPING_BASE = "https://w3id.org/stkg/mapping/"
MAPPING_SET_BASE = "https://w3id.org/stkg/mapping-set/"
# Outside https://w3id.org/stkg/graph/, which a project reload prunes to the project's files.
INFERRED_GRAPH = "https://w3id.org/stkg/inferred/mappings"
INFERRED_SET = MAPPING_SET_BASE + "inferred"
SKOS_NS = "http://www.w3.org/2004/02/skos/core#"


class Relation(Enum):
    """A relationship from the source to the target of a mapping, or of a chain."""

    EQUAL = "Equal"
    SUBSET = "SubsetOf"
    SUPERSET = "SupersetOf"
    INTERSECTS = "IntersectsWith"
    NONE = "NoRelationship"
    RELATED = "related"  # untyped concept-crosswalk link: related, type not stated
    INDETERMINATE = "indeterminate"  # a chain whose set relationship cannot be determined

    @property
    def iri(self) -> str | None:
        """The stkg: individual, or None for the two values expressed by absence."""
        return STKG_NS + self.value if self.is_strm else None

    @property
    def is_strm(self) -> bool:
        return self not in (Relation.RELATED, Relation.INDETERMINATE)

    @property
    def inverse(self) -> Relation:
        return _INVERSE.get(self, self)

    @property
    def skos(self) -> str | None:
        """The SKOS mapping property the relationship implies (ontology: skosMappingProperty)."""
        return _SKOS.get(self)

    @property
    def label(self) -> str:
        return _LABELS[self]

    @classmethod
    def from_iri(cls, iri: str | None) -> Relation | None:
        """The STRM relation named by a stkg: IRI; RELATED for None; None if unknown."""
        if iri is None:
            return cls.RELATED
        if not iri.startswith(STKG_NS):
            return None
        local = iri[len(STKG_NS) :]
        for relation in cls:
            if relation.is_strm and relation.value == local:
                return relation
        return None


STRM = (Relation.EQUAL, Relation.SUBSET, Relation.SUPERSET, Relation.INTERSECTS, Relation.NONE)
_INVERSE = {Relation.SUBSET: Relation.SUPERSET, Relation.SUPERSET: Relation.SUBSET}
_SKOS = {
    Relation.EQUAL: SKOS_NS + "exactMatch",
    Relation.SUBSET: SKOS_NS + "broadMatch",
    Relation.SUPERSET: SKOS_NS + "narrowMatch",
    Relation.INTERSECTS: SKOS_NS + "relatedMatch",
    Relation.RELATED: SKOS_NS + "relatedMatch",
}
_LABELS = {
    Relation.EQUAL: "equal",
    Relation.SUBSET: "subset of",
    Relation.SUPERSET: "superset of",
    Relation.INTERSECTS: "intersects with",
    Relation.NONE: "no relationship",
    Relation.RELATED: "related (untyped)",
    Relation.INDETERMINATE: "indeterminate",
}


def compose(first: Relation, second: Relation) -> Relation:
    """The relationship from A to C given A `first` B and B `second` C (NIST IR 8477 STRM).

    The table, in order of precedence:
    * an untyped or indeterminate step makes the chain indeterminate;
    * equal is the identity: equal∘X = X and X∘equal = X (A = B, so B's relation to C is A's);
    * subset∘subset = subset and superset∘superset = superset (both are transitive);
    * everything else is indeterminate: subset∘superset, superset∘subset, anything with
      intersects, and anything with no-relationship. The sets may be equal, nested, overlapping
      or disjoint, so no chain of that kind is ever called "partial". Where set theory would
      allow more (subset∘no-relationship is disjoint), the table stays conservative.
    """
    if Relation.RELATED in (first, second) or Relation.INDETERMINATE in (first, second):
        return Relation.INDETERMINATE
    if first is Relation.EQUAL:
        return second
    if second is Relation.EQUAL:
        return first
    if first is second and first in (Relation.SUBSET, Relation.SUPERSET):
        return first
    return Relation.INDETERMINATE


def compose_all(relations: Iterable[Relation]) -> Relation:
    """Fold a chain left to right; a chain of one link is that link's relation."""
    result: Relation | None = None
    for relation in relations:
        result = relation if result is None else compose(result, relation)
    if result is None:
        raise ValueError("an empty chain has no relationship")
    return result


@dataclass(frozen=True)
class Link:
    """One asserted mapping, as fetched: endpoints, relation, provenance."""

    mapping: str
    source: str | None
    target: str | None
    relation: Relation | None  # None: a stkg:relationship that is not one of the five
    relationship_iri: str | None = None
    mapping_set: str | None = None
    status: str | None = None
    strength: str | None = None

    @property
    def rejected(self) -> bool:
        return self.status == STKG_NS + "Rejected"


_LINKS_QUERY = """
PREFIX stkg: <https://w3id.org/stkg#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?mapping ?source ?target ?relationship ?set ?status ?strength WHERE {
  ?class rdfs:subClassOf* stkg:Mapping .
  ?mapping a ?class .
  MINUS { ?mapping a stkg:ChainedMapping }
  OPTIONAL { ?mapping stkg:mappingSource ?source }
  OPTIONAL { ?mapping stkg:mappingTarget ?target }
  OPTIONAL { ?mapping stkg:relationship ?relationship }
  OPTIONAL { ?mapping stkg:inMappingSet ?set }
  OPTIONAL { ?mapping stkg:reviewStatus ?status }
  OPTIONAL { ?mapping stkg:strength ?strength }
}
"""


def fetch_links(store: Store) -> list[Link]:
    """Every asserted mapping (typed stkg:Mapping or a subclass; chained mappings left
    out), sorted by IRI so that everything computed from them is deterministic."""
    seen: dict[str, Link] = {}
    for row in store.query(_LINKS_QUERY).dicts():
        iri = row["mapping"].value
        if iri in seen:  # a second value of a functional property: keep the first, sorted
            continue
        relationship = _value(row.get("relationship"))
        seen[iri] = Link(
            mapping=iri,
            source=_value(row.get("source")),
            target=_value(row.get("target")),
            relation=Relation.from_iri(relationship),
            relationship_iri=relationship,
            mapping_set=_value(row.get("set")),
            status=_value(row.get("status")),
            strength=_value(row.get("strength")),
        )
    return [seen[k] for k in sorted(seen)]


@dataclass
class Catalogue:
    """Requirements and frameworks in the store: who is in which scheme, and their codes."""

    frameworks: dict[str, str] = field(default_factory=dict)  # IRI -> label
    scheme_of: dict[str, str] = field(default_factory=dict)  # requirement -> framework
    notation: dict[str, str] = field(default_factory=dict)
    requirements: set[str] = field(default_factory=set)  # typed stkg:Requirement (or subclass)

    def name(self, iri: str) -> str:
        """A short human name: the official code, else the IRI."""
        return self.notation.get(iri, iri)

    def members(self, framework: str) -> list[str]:
        return natural_sorted(
            (r for r, f in self.scheme_of.items() if f == framework), key=self.name
        )


_CATALOGUE_QUERIES = {
    "frameworks": """
PREFIX stkg: <https://w3id.org/stkg#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX dct: <http://purl.org/dc/terms/>
SELECT ?framework ?label ?rank WHERE {
  ?class rdfs:subClassOf* stkg:Framework . ?framework a ?class .
  OPTIONAL {
    VALUES (?property ?rank) { (skos:prefLabel 0) (rdfs:label 1) (dct:title 2) }
    ?framework ?property ?label
  }
}""",
    "members": """
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT ?requirement ?framework ?notation WHERE {
  ?requirement skos:inScheme|skos:topConceptOf ?framework .
  OPTIONAL { ?requirement skos:notation ?notation }
}""",
    "requirements": """
PREFIX stkg: <https://w3id.org/stkg#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT DISTINCT ?requirement WHERE {
  ?class rdfs:subClassOf* stkg:Requirement . ?requirement a ?class .
}""",
}


def fetch_catalogue(store: Store) -> Catalogue:
    catalogue = Catalogue()
    # one label per framework whatever order the store gives rows in: skos:prefLabel, then
    # rdfs:label, then dct:title; English first within each
    best: dict[str, tuple[int, int, str]] = {}
    for row in store.query(_CATALOGUE_QUERIES["frameworks"]).dicts():
        iri, label = row["framework"].value, row.get("label")
        if label is None:
            best.setdefault(iri, (9, 9, iri))
            continue
        key = (int(row["rank"].value), 0 if label.language == "en" else 1, label.value)
        best[iri] = min(best.get(iri, key), key)
    catalogue.frameworks.update({iri: key[2] for iri, key in best.items()})
    for row in store.query(_CATALOGUE_QUERIES["members"]).dicts():
        requirement = row["requirement"].value
        catalogue.scheme_of.setdefault(requirement, row["framework"].value)
        if "notation" in row:
            catalogue.notation.setdefault(requirement, row["notation"].value)
    for row in store.query(_CATALOGUE_QUERIES["requirements"]).dicts():
        catalogue.requirements.add(row["requirement"].value)
    return catalogue


def resolve_framework(name: str, catalogue: Catalogue) -> str:
    """A framework IRI from an IRI or a short name (`nist-ai-rmf`, `iso-iec-42001`, …)."""
    for candidate in (name, FRAMEWORK_BASE + name):
        if candidate in catalogue.frameworks:
            return candidate
    known = ", ".join(short_name(f) for f in sorted(catalogue.frameworks)) or "none loaded"
    raise StkgError(f"unknown framework {name!r} (known: {known})")


def short_name(framework: str) -> str:
    return framework.removeprefix(FRAMEWORK_BASE)


_DIGITS = re.compile(r"(\d+)")


def natural_sorted(items: Iterable[str], key: object = None) -> list[str]:
    """Sort codes so that GOVERN 1.2 comes before GOVERN 1.10 and A.2 before A.10."""
    keyfunc = key if callable(key) else (lambda s: s)

    def natural(item: str) -> tuple[tuple[int, int | str], ...]:
        parts = _DIGITS.split(str(keyfunc(item)))
        return tuple((0, int(p)) if p.isdigit() else (1, p) for p in parts if p)

    return sorted(items, key=lambda item: (natural(item), item))


def _value(term: object) -> str | None:
    return None if term is None else term.value  # type: ignore[attr-defined]
