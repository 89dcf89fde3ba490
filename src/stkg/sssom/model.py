"""What an SSSOM mapping set holds, in the terms stkg reads and writes it."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from stkg.mappings.model import (
    SKOS_NS,
    Relation,
)
from stkg.namespace import STKG_NS

SEMAPV_NS = "https://w3id.org/semapv/vocab/"
UNSPECIFIED_LICENSE = "https://w3id.org/sssom/license/unspecified"
DCT = "http://purl.org/dc/terms/"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
XSD = "http://www.w3.org/2001/XMLSchema#"
FIXED_PREFIXES = {
    "stkg": STKG_NS,
    "skos": SKOS_NS,
    "semapv": SEMAPV_NS,
    "linkml": "https://w3id.org/linkml/",
    "xsd": XSD,
    "dcterms": DCT,
}
COLUMNS = [
    "record_id", "subject_id", "subject_label", "predicate_id", "predicate_modifier",
    "object_id", "object_label", "mapping_justification", "confidence", "comment",
    "strm_relationship", "strm_rationale", "strm_strength", "review_status", "other",
]  # fmt: skip
# The four IR 8477 slots, repeated as `key=value` pairs in SSSOM's standard `other` slot:
# sssom-py (0.4.21) drops every column outside the SSSOM schema, declared extensions
# included (mapping-commons/sssom-py#583), but keeps `other` through `sssom parse` and
# `sssom convert -O rdf`. Set level: `text_language=<tag>`.
OTHER_KEYS = ("strm_relationship", "strm_rationale", "strm_strength", "review_status")
EXTENSIONS = [
    ("strm_relationship", "stkg:relationship", "linkml:Uriorcurie"),
    ("strm_rationale", "stkg:rationale", "linkml:Uriorcurie"),
    ("strm_strength", "stkg:strength", "xsd:integer"),
    ("review_status", "stkg:reviewStatus", "linkml:Uriorcurie"),
    # set level: the language tag of every text (title, description, creator names, comments)
    ("text_language", "dcterms:language", "xsd:string"),
]
REQUIRED_COLUMNS = ("subject_id", "predicate_id", "object_id", "mapping_justification")
MANUAL = "semapv:ManualMappingCuration"
RATIONALES = {STKG_NS + n for n in ("Syntactic", "Semantic", "Functional")}
STATUSES = {STKG_NS + n for n in ("Proposed", "Reviewed", "Approved", "Rejected")}
SKOS_PREDICATES = {SKOS_NS + n for n in ("exactMatch", "closeMatch", "broadMatch",
                                          "narrowMatch", "relatedMatch")}  # fmt: skip


@dataclass
class Row:
    """One mapping of a set, as read from the store or from a file."""

    record: str
    subject: str
    obj: str
    relation: Relation  # RELATED when untyped
    predicate: str  # the SKOS property
    negated: bool = False
    rationales: list[str] = field(default_factory=list)
    strength: int | None = None
    status: str | None = None
    comment: str | None = None
    labels: tuple[str | None, str | None] = (None, None)


@dataclass
class MappingSet:
    iri: str
    title: str | None = None
    description: str | None = None
    language: str | None = None  # the tag of every text literal, when they share one
    creators: list[str] = field(default_factory=list)  # IRIs or plain names
    date: str | None = None
    license: str | None = None
    sources: list[str] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)


def other_pairs(value: object) -> dict[str, list[str]]:
    """The stkg keys of an SSSOM `other` value; pairs that are not ours are left alone."""
    found: dict[str, list[str]] = {}
    for part in str(value or "").split("|"):
        key, eq, item = part.partition("=")
        if eq and key.strip() in (*OTHER_KEYS, "text_language") and item.strip():
            found.setdefault(key.strip(), []).append(item.strip())
    return found


def is_iri(value: str) -> bool:
    return re.match(r"^[a-z][a-z0-9+.-]*://\S+$", value, re.IGNORECASE) is not None


def term_value(term: object) -> str | None:
    return None if term is None else term.value  # type: ignore[attr-defined]
