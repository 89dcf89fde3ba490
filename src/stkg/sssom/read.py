"""SSSOM TSV into the store (`stkg map import`): check the whole file, then write."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pyoxigraph as ox
import yaml

from stkg.errors import SourceError
from stkg.mappings.model import MAPPING_BASE, MAPPING_SET_BASE, SKOS_NS, STRM, Relation
from stkg.namespace import STKG_NS
from stkg.sssom.model import (
    DCT,
    FIXED_PREFIXES,
    OTHER_KEYS,
    RATIONALES,
    RDF_TYPE,
    REQUIRED_COLUMNS,
    SKOS_PREDICATES,
    STATUSES,
    UNSPECIFIED_LICENSE,
    XSD,
    MappingSet,
    Row,
    is_iri,
    other_pairs,
)
from stkg.store import Store
from stkg.yaml_text import load_yaml

# --- reading TSV -----------------------------------------------------------------------------

_EXPECTED_PREDICATE = {r: (r.skos, False) for r in STRM if r.skos} | {
    Relation.NONE: (SKOS_NS + "relatedMatch", True)
}


def parse_sssom(text: str, label: str) -> MappingSet:
    """Parse and check a whole SSSOM TSV document; raise SourceError at the first problem."""
    lines = text.splitlines()
    n_meta = 0
    while n_meta < len(lines) and lines[n_meta].startswith("#"):
        n_meta += 1
    try:
        meta = load_yaml("\n".join(line[1:] for line in lines[:n_meta])) or {}
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        # +2: 1-based, and the `#` the metadata lines lost
        line, column = (mark.line + 1, mark.column + 2) if mark is not None else (None, None)
        raise SourceError(f"metadata is not valid YAML: {problem}", label, line, column) from None
    if not isinstance(meta, dict):
        raise SourceError("metadata must be a YAML mapping", label, 1)
    try:
        result = _mapping_set(meta)
    except ValueError as error:
        raise SourceError(_one_line(error), label, 1) from None
    expand = _expander(meta)
    try:
        _read_rows(result, lines, n_meta, expand, label)
    except csv.Error as error:  # e.g. a field beyond csv's size limit
        raise SourceError(f"not a TSV table: {_one_line(error)}", label) from None
    return result


def _read_rows(
    result: MappingSet, lines: list[str], n_meta: int, expand: _Expander, label: str
) -> None:
    set_iri = result.iri
    reader = csv.reader(io.StringIO("\n".join(lines[n_meta:])), delimiter="\t")
    header = next(reader, None)
    if header is None:
        raise SourceError("no column header row after the metadata", label, n_meta + 1)
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise SourceError(f"missing column(s): {', '.join(missing)}", label, n_meta + 1)
    seen: set[str] = set()
    for values in reader:
        line = n_meta + reader.line_num
        if not any(v.strip() for v in values):
            continue
        if len(values) != len(header):
            raise SourceError(f"{len(values)} cells, but the header has {len(header)}", label, line)
        cells = {k: v.strip() for k, v in zip(header, values, strict=True)}
        # a file that went through sssom-py has the IR 8477 slots only in `other`
        for key, items in other_pairs(cells.get("other")).items():
            if key in OTHER_KEYS and not cells.get(key):
                cells[key] = "|".join(items)
        try:
            row = _row(cells, expand, set_iri, len(result.rows) + 1)
        except ValueError as error:
            raise SourceError(_one_line(error), label, line) from None
        if row.record in seen:
            raise SourceError(f"record_id {cells.get('record_id')!r} is used twice", label, line)
        seen.add(row.record)
        result.rows.append(row)


def _one_line(error: object) -> str:
    """A cell may hold a quoted newline; the message that quotes it stays one line."""
    return " ".join(str(error).split())


def _expander(meta: dict) -> _Expander:
    curies = meta.get("curie_map") or {}
    if not isinstance(curies, dict):
        raise ValueError("curie_map must map prefixes to namespaces")
    return _Expander({**FIXED_PREFIXES, **{str(k): str(v) for k, v in curies.items()}})


def _mapping_set(meta: dict) -> MappingSet:
    """The set-level metadata; ValueError names the first slot that is wrong."""
    expand = _expander(meta)
    set_iri = meta.get("mapping_set_id")
    if not isinstance(set_iri, str) or not is_iri(set_iri):
        raise ValueError("metadata has no mapping_set_id IRI")
    license_iri = meta.get("license")
    return MappingSet(
        _iri(set_iri, "mapping_set_id"),
        title=_opt_str(meta.get("mapping_set_title")),
        description=_opt_str(meta.get("mapping_set_description")),
        language=_opt_str(meta.get("text_language"))
        or next(iter(other_pairs(meta.get("other")).get("text_language", [])), None),
        creators=[f"<{expand(c)}>" for c in _list(meta.get("creator_id"))]
        + [str(c) for c in _list(meta.get("creator_label"))],
        date=_opt_str(meta.get("mapping_date")),
        license=None
        if license_iri in (None, UNSPECIFIED_LICENSE)
        else _iri(str(license_iri), "license"),
        sources=[
            _iri(str(s), "see_also") if is_iri(str(s)) else str(s)
            for s in _list(meta.get("see_also"))
        ],
    )


def _iri(value: str, what: str) -> str:
    """`value` if the store will take it as an IRI (is_iri alone lets spaces-free junk by)."""
    try:
        ox.NamedNode(value)
    except ValueError:
        raise ValueError(f"{what} {value!r} is not a valid IRI") from None
    return value


def _row(cells: dict[str, str], expand: _Expander, set_iri: str, n: int) -> Row:
    for column in REQUIRED_COLUMNS:
        if not cells.get(column):
            raise ValueError(f"empty {column}")
    predicate = expand(cells["predicate_id"])
    if predicate not in SKOS_PREDICATES:
        raise ValueError(f"predicate_id {cells['predicate_id']} is not a SKOS mapping property")
    negated = cells.get("predicate_modifier", "")
    if negated not in ("", "Not"):
        raise ValueError(f"predicate_modifier must be empty or Not, not {negated!r}")
    expand(cells["mapping_justification"])  # must at least be a known CURIE
    relation = Relation.RELATED
    if cells.get("strm_relationship"):
        found = Relation.from_iri(expand(cells["strm_relationship"]))
        if found is None or not found.is_strm:
            raise ValueError(
                f"strm_relationship {cells['strm_relationship']} is not one of "
                "stkg:Equal, SubsetOf, SupersetOf, IntersectsWith, NoRelationship"
            )
        if _EXPECTED_PREDICATE[found] != (predicate, negated == "Not"):
            raise ValueError(
                f"predicate_id {cells['predicate_id']} {negated} does not fit "
                f"strm_relationship {cells['strm_relationship']}"
            )
        relation = found
    elif negated:
        raise ValueError("a negated mapping needs strm_relationship stkg:NoRelationship")
    rationales = [expand(r) for r in cells.get("strm_rationale", "").split("|") if r.strip()]
    if any(r not in RATIONALES for r in rationales):
        raise ValueError(
            f"strm_rationale {cells['strm_rationale']} is not Syntactic, Semantic or Functional"
        )
    strength = None
    if cells.get("strm_strength"):
        text = cells["strm_strength"]
        if not text.isdigit() or not 1 <= int(text) <= 10:
            raise ValueError(f"strm_strength {text!r} is not an integer from 1 to 10")
        strength = int(text)
    if cells.get("confidence"):
        try:
            ok = 0.0 <= float(cells["confidence"]) <= 1.0
        except ValueError:
            ok = False
        if not ok:
            raise ValueError(f"confidence {cells['confidence']!r} is not a number from 0 to 1")
    status = expand(cells["review_status"]) if cells.get("review_status") else None
    if status is not None and status not in STATUSES:
        raise ValueError(f"review_status {cells['review_status']} is not a stkg review status")
    record = expand(cells["record_id"]) if cells.get("record_id") else _mint(set_iri, n)
    return Row(
        record, expand(cells["subject_id"]), expand(cells["object_id"]), relation, predicate,
        negated=bool(negated), rationales=sorted(rationales), strength=strength, status=status,
        comment=cells.get("comment") or None,
    )  # fmt: skip


class _Expander:
    def __init__(self, prefixes: dict[str, str]) -> None:
        self.prefixes = prefixes

    def __call__(self, value: str) -> str:
        value = str(value).strip()
        if value.startswith("<") and value.endswith(">"):
            value = value[1:-1]
        if is_iri(value):
            return _iri(value, "IRI")
        prefix, colon, local = value.partition(":")
        if not colon or prefix not in self.prefixes:
            raise ValueError(f"{value!r} is not a CURIE with a prefix in the curie_map")
        return _iri(self.prefixes[prefix] + local, f"CURIE {value!r} expands to")


def _mint(set_iri: str, n: int) -> str:
    if set_iri.startswith(MAPPING_SET_BASE):
        return f"{MAPPING_BASE}{set_iri[len(MAPPING_SET_BASE) :]}/{n}"
    return f"{set_iri.rstrip('/#')}/mapping/{n}"


def _list(value: object) -> list[object]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _opt_str(value: object) -> str | None:
    return None if value is None else str(value)


# --- the set as RDF, and loading it ----------------------------------------------------------


def set_triples(mapping_set: MappingSet) -> list[ox.Triple]:
    """The stkg mapping model of a set: what `read_set` reads back, plus the SKOS triples."""
    t = _Triples()
    node = ox.NamedNode(mapping_set.iri)
    t.add(node, RDF_TYPE, ox.NamedNode(STKG_NS + "MappingSet"))

    def text(value: str) -> ox.Literal:
        return ox.Literal(value, language=mapping_set.language or None)

    if mapping_set.title:
        t.add(node, DCT + "title", text(mapping_set.title))
    if mapping_set.description:
        t.add(node, DCT + "description", text(mapping_set.description))
    for creator in mapping_set.creators:
        value = ox.NamedNode(creator[1:-1]) if creator.startswith("<") else text(creator)
        t.add(node, DCT + "creator", value)
    if mapping_set.date:
        t.add(node, DCT + "date", ox.Literal(mapping_set.date, datatype=ox.NamedNode(XSD + "date")))
    if mapping_set.license:
        t.add(node, DCT + "license", ox.NamedNode(mapping_set.license))
    for source in mapping_set.sources:
        t.add(node, DCT + "source", ox.NamedNode(source) if is_iri(source) else ox.Literal(source))
    for row in mapping_set.rows:
        m, s, o = ox.NamedNode(row.record), ox.NamedNode(row.subject), ox.NamedNode(row.obj)
        kind = "ConceptCrosswalkLink" if row.relation is Relation.RELATED else "Mapping"
        t.add(m, RDF_TYPE, ox.NamedNode(STKG_NS + kind))
        t.add(m, STKG_NS + "mappingSource", s)
        t.add(m, STKG_NS + "mappingTarget", o)
        t.add(m, STKG_NS + "inMappingSet", node)
        if row.relation.iri:
            t.add(m, STKG_NS + "relationship", ox.NamedNode(row.relation.iri))
        for rationale in row.rationales:
            t.add(m, STKG_NS + "rationale", ox.NamedNode(rationale))
        if row.strength is not None:
            t.add(
                m,
                STKG_NS + "strength",
                ox.Literal(str(row.strength), datatype=ox.NamedNode(XSD + "integer")),
            )
        if row.status:
            t.add(m, STKG_NS + "reviewStatus", ox.NamedNode(row.status))
        if row.comment:
            t.add(m, STKG_NS + "justification", text(row.comment))
        if not row.negated:
            t.add(s, row.predicate, o)
    return t.triples


class _Triples:
    def __init__(self) -> None:
        self.triples: list[ox.Triple] = []

    def add(self, s: ox.NamedNode, p: str, o: ox.NamedNode | ox.Literal) -> None:
        self.triples.append(ox.Triple(s, ox.NamedNode(p), o))


def import_sssom(store: Store, path: Path, graph: str, label: str | None = None) -> MappingSet:
    """Parse and check the whole file, then replace `graph` with its mappings."""
    name = label or str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise SourceError(str(error), name) from None
    mapping_set = parse_sssom(text, name)
    triples = set_triples(mapping_set)
    store.drop_graph(graph)
    body = " .\n".join(f"{x.subject} {x.predicate} {x.object}" for x in triples)
    store.update(f"INSERT DATA {{ GRAPH <{graph}> {{\n{body} .\n}} }}")
    return mapping_set
