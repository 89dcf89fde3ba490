"""Data-quality notes: what a page says when a value has the wrong kind or type.

People load files they did not write, and a page must show what is there rather than fail:
a text value where the ontology expects a link (`stkg:lifecycleStage "Deployed"`), a link
where it expects text (`rdfs:label <…>`), a stage or impact level that is not one of the
known ones, two values of a property that takes one, a system without a label. The pages
show the value as it is and add one sentence saying what was expected. What is expected
comes from the ontology in the store (object, datatype and functional properties) and,
for the three portfolio facets, from their known values (`stkg.web.portfolio.ORDERS`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pyoxigraph as ox

from stkg.web.portfolio import FACETS, ORDERS
from stkg.web.terms import (
    PREFIX_LINES,
    TermInfo,
    describe,
    key_kind,
    key_text,
    store,
    term_key,
    values,
)

RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
SKOS_PREF_LABEL = "http://www.w3.org/2004/02/skos/core#prefLabel"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
OWL = "http://www.w3.org/2002/07/owl#"
FACET_NAMES = {"impact": "impact level", "stage": "lifecycle stage", "tier": "EU AI Act tier"}
FACET_OF = {p: f for f, p in FACETS.items()}
SINGLE = ("impact", "stage")  # functional; a system may well have several EU AI Act tiers
TEXT_PROPERTIES = (RDFS_LABEL, SKOS_PREF_LABEL)  # annotations whose value must be text
KIND_WORDS = {"literal": "a text value", "blank": "a blank node", "iri": "a link"}


def expected_values(facet: str, known: Mapping[str, TermInfo]) -> str:
    """ "design, in development, …": the known values of a facet, by label."""
    return ", ".join(known[v].label if v in known else key_text(v) for v in ORDERS[facet])


def facet_note(facet: str, keys: Sequence[str], known: Mapping[str, TermInfo]) -> str | None:
    """The note on a system's values of one facet (`term_key`s), or None when they are
    as expected: one known IRI (or none recorded)."""
    name = FACET_NAMES[facet]
    notes = []
    if facet in SINGLE and len(keys) > 1:
        notes.append(f"{len(keys)} values of {name}, expected one")
    for key in keys:
        kind = key_kind(key)
        if kind != "iri":
            notes.append(
                f"{name} is {KIND_WORDS[kind]} ({key_text(key)!r}), "
                f"expected one of {expected_values(facet, known)}"
            )
        elif key not in ORDERS[facet]:
            label = known[key].label if key in known else key_text(key)
            notes.append(
                f"{label} is not a known {name}, expected one of {expected_values(facet, known)}"
            )
    return "; ".join(notes) or None


def facet_known(keys: Iterable[str]) -> dict[str, TermInfo]:
    """Labels for facet values and for every known value a note may list."""
    return describe({*keys, *(v for order in ORDERS.values() for v in order)})


def property_kinds(properties: Iterable[str]) -> dict[str, set[str]]:
    """The OWL kinds the ontology gives each property: object, datatype, functional."""
    wanted = sorted(set(properties))
    if not wanted:
        return {}
    text = (
        PREFIX_LINES
        + "SELECT ?p ?k WHERE { "
        + values("p", wanted)
        + " ?p a ?k VALUES ?k { owl:ObjectProperty owl:DatatypeProperty owl:FunctionalProperty } }"
    )
    kinds: dict[str, set[str]] = {}
    for row in store().query(text).rows:
        kinds.setdefault(row[0].value, set()).add(row[1].value[len(OWL) :])
    return kinds


def resource_notes(
    out: Mapping[str, Sequence[ox.NamedNode | ox.BlankNode | ox.Literal]],
    known: Mapping[str, TermInfo],
    *,
    needs_label: bool = True,
) -> list[dict[str, Any]]:
    """Notes on one resource's own facts (`out`: property IRI → values): each names the
    property and says what was found and what was expected."""
    kinds = property_kinds(out)
    notes: list[dict[str, Any]] = []

    def note(prop: str, message: str) -> None:
        notes.append({"property": prop, "label": _label(prop, known), "message": message})

    if needs_label and not any(
        isinstance(v, ox.Literal) for p in TEXT_PROPERTIES for v in out.get(p, ())
    ):
        note(RDFS_LABEL, "no label (rdfs:label or skos:prefLabel): shown by its IRI")
    for prop, objects in out.items():
        if prop == RDF_TYPE:
            continue
        name = _label(prop, known)
        if prop in FACET_OF:
            message = facet_note(FACET_OF[prop], [term_key(o) for o in objects], known)
            if message:
                note(prop, message)
            continue
        expects_link = "ObjectProperty" in kinds.get(prop, ())
        expects_text = "DatatypeProperty" in kinds.get(prop, ()) or prop in TEXT_PROPERTIES
        for o in objects:
            if expects_link and isinstance(o, ox.Literal):
                note(prop, f"{name} is a text value ({o.value!r}), expected a link to a resource")
            elif expects_text and not isinstance(o, ox.Literal):
                found = KIND_WORDS["blank" if isinstance(o, ox.BlankNode) else "iri"]
                note(prop, f"{name} is {found}, expected a text value")
        if "FunctionalProperty" in kinds.get(prop, ()) and len(objects) > 1:
            note(prop, f"{len(objects)} values of {name}, expected one")
    return notes


def _label(prop: str, known: Mapping[str, TermInfo]) -> str:
    return known[prop].label if prop in known else key_text(prop)
