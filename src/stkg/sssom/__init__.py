"""Mapping sets as SSSOM TSV (https://w3id.org/sssom/), out and back in.

Each mapping becomes one row: `record_id` is the mapping's IRI; `predicate_id` is the SKOS
property its relationship implies (untyped links: skos:relatedMatch; no relationship:
skos:relatedMatch with `predicate_modifier` Not); `confidence` is strength / 10; `comment`
is the justification. The NIST IR 8477 facts SSSOM has no slot for travel in extension slots
declared in `extension_definitions`: strm_relationship, strm_rationale, strm_strength,
review_status. The set's dct:title, dct:creator, dct:date, dct:license and dct:source go to
mapping_set_title, creator_label / creator_id, mapping_date, license and see_also.

On import the STRM relationship comes only from strm_relationship: a SKOS predicate alone is
never turned into a set relationship (a row without one is a concept-crosswalk link). The
whole file is checked before anything is written; the first bad row is reported with file
and line.
"""

from stkg.sssom.read import import_sssom, parse_sssom, set_triples
from stkg.sssom.write import (
    SetSummary,
    export_sssom,
    mapping_sets,
    read_set,
    resolve_set,
    set_summaries,
    write_tsv,
)

__all__ = [
    "SetSummary",
    "export_sssom",
    "import_sssom",
    "mapping_sets",
    "parse_sssom",
    "read_set",
    "resolve_set",
    "set_summaries",
    "set_triples",
    "write_tsv",
]
