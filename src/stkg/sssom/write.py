"""Mapping sets from the store to SSSOM TSV (`stkg map export`)."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass

import pyoxigraph as ox
import yaml

from stkg.errors import StkgError
from stkg.mappings.model import (
    FRAMEWORK_BASE,
    INFERRED_SET,
    MAPPING_BASE,
    MAPPING_SET_BASE,
    SKOS_NS,
    Relation,
)
from stkg.sssom.model import (
    COLUMNS,
    DCT,
    EXTENSIONS,
    FIXED_PREFIXES,
    MANUAL,
    OTHER_KEYS,
    UNSPECIFIED_LICENSE,
    MappingSet,
    Row,
    is_iri,
    term_value,
)
from stkg.store import Store

# --- reading a set from the store ------------------------------------------------------------

_SET_QUERY = """
PREFIX stkg: <https://w3id.org/stkg#>
PREFIX dct: <http://purl.org/dc/terms/>
SELECT ?set ?p ?o WHERE { ?set a stkg:MappingSet ; ?p ?o }
"""
_ROWS_QUERY = """
PREFIX stkg: <https://w3id.org/stkg#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT ?set ?mapping ?source ?target ?relationship ?rationale ?strength ?status ?comment
       ?sourceLabel ?targetLabel WHERE {
  ?mapping stkg:inMappingSet ?set ; stkg:mappingSource ?source ; stkg:mappingTarget ?target .
  MINUS { ?mapping a stkg:ChainedMapping }
  OPTIONAL { ?mapping stkg:relationship ?relationship }
  OPTIONAL { ?mapping stkg:rationale ?rationale }
  OPTIONAL { ?mapping stkg:strength ?strength }
  OPTIONAL { ?mapping stkg:reviewStatus ?status }
  OPTIONAL { ?mapping stkg:justification ?comment }
  OPTIONAL { ?source skos:prefLabel ?sourceLabel FILTER(LANGMATCHES(LANG(?sourceLabel), "en")) }
  OPTIONAL { ?target skos:prefLabel ?targetLabel FILTER(LANGMATCHES(LANG(?targetLabel), "en")) }
}
"""


_SETS_QUERY = """
PREFIX stkg: <https://w3id.org/stkg#>
PREFIX dct: <http://purl.org/dc/terms/>
SELECT ?set (COUNT(DISTINCT ?mapping) AS ?size) (SAMPLE(?t) AS ?title) WHERE {
  ?set a stkg:MappingSet .
  OPTIONAL { ?mapping stkg:inMappingSet ?set MINUS { ?mapping a stkg:ChainedMapping } }
  OPTIONAL { ?set dct:title ?t FILTER(LANGMATCHES(LANG(?t), "en") || LANG(?t) = "") }
}
GROUP BY ?set ORDER BY ?set
"""


@dataclass(frozen=True)
class SetSummary:
    """One line of `stkg map sets`."""

    iri: str
    slug: str | None  # the short name `--set` takes, for sets under MAPPING_SET_BASE
    size: int
    title: str | None


def set_summaries(store: Store) -> list[SetSummary]:
    """Every mapping set in the store, with its slug and its number of asserted mappings."""
    return [
        SetSummary(
            row["set"].value,
            slug_of(row["set"].value),
            int(row["size"].value),
            term_value(row.get("title")),
        )
        for row in store.query(_SETS_QUERY).dicts()
    ]


def mapping_sets(store: Store) -> list[str]:
    return [summary.iri for summary in set_summaries(store)]


def slug_of(set_iri: str) -> str | None:
    if set_iri.startswith(MAPPING_SET_BASE) and "/" not in set_iri[len(MAPPING_SET_BASE) :]:
        return set_iri[len(MAPPING_SET_BASE) :] or None
    return None


def resolve_set(value: str) -> str:
    """A set's IRI from its IRI or its slug (`stkg-eu-ai-act-high-risk`)."""
    if is_iri(value):
        return value
    if re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", value):
        return MAPPING_SET_BASE + value
    raise StkgError(
        f"{value!r} is neither a mapping set IRI nor a slug; `stkg map sets` lists them"
    )


def read_set(store: Store, set_iri: str) -> MappingSet:
    """A mapping set and its mappings from the store; `set_iri` may be a slug."""
    set_iri = resolve_set(set_iri)
    if set_iri == INFERRED_SET:
        raise StkgError("chained mappings are inferred, not curated: export an asserted set")
    node = {"set": ox.NamedNode(set_iri)}
    facts = store.query(_SET_QUERY, bindings=node).dicts()
    if not facts:
        known = ", ".join(s.slug or f"<{s.iri}>" for s in set_summaries(store)) or "none"
        raise StkgError(f"no mapping set <{set_iri}> in the store (known: {known})")
    result = MappingSet(set_iri)
    languages: set[str] = set()  # of every text literal written, to carry in text_language
    for fact in facts:
        p, o = fact["p"].value, fact["o"]
        if p == DCT + "title" and (result.title is None or getattr(o, "language", "") == "en"):
            result.title = o.value
        elif p == DCT + "description" and result.description is None:
            result.description = o.value
        elif p == DCT + "creator":
            result.creators.append(o.value if isinstance(o, ox.Literal) else f"<{o.value}>")
        if p in (DCT + "title", DCT + "description", DCT + "creator") and isinstance(o, ox.Literal):
            languages.add(o.language or "")
        elif p == DCT + "date":
            result.date = o.value
        elif p == DCT + "license":
            result.license = o.value
        elif p == DCT + "source":
            result.sources.append(o.value)
    result.creators.sort()
    result.sources.sort()
    rows: dict[str, Row] = {}
    for r in store.query(_ROWS_QUERY, bindings=node).dicts():
        record = r["mapping"].value
        if record not in rows:
            rel = Relation.from_iri(term_value(r.get("relationship")))
            if rel is None:
                raise StkgError(
                    f"<{record}> has a relationship that is not one of the five "
                    "NIST IR 8477 ones; run `stkg map check`"
                )
            strength = term_value(r.get("strength"))
            rows[record] = Row(
                record, r["source"].value, r["target"].value, rel,
                rel.skos or SKOS_NS + "relatedMatch", negated=rel is Relation.NONE,
                strength=int(strength) if strength and strength.isdigit() else None,
                status=term_value(r.get("status")), comment=term_value(r.get("comment")),
                labels=(term_value(r.get("sourceLabel")), term_value(r.get("targetLabel"))),
            )  # fmt: skip
        if "comment" in r:
            languages.add(r["comment"].language or "")
        rationale = term_value(r.get("rationale"))
        if rationale and rationale not in rows[record].rationales:
            rows[record].rationales.append(rationale)
    result.rows = [rows[k] for k in sorted(rows)]
    result.language = (next(iter(languages)) or None) if len(languages) == 1 else None
    for row in result.rows:
        row.rationales.sort()
    return result


# --- writing TSV -----------------------------------------------------------------------------


def export_sssom(store: Store, set_iri: str) -> str:
    """The mapping set as SSSOM TSV text."""
    return write_tsv(read_set(store, set_iri))


def write_tsv(mapping_set: MappingSet) -> str:
    prefixes = _Prefixes()
    for row in mapping_set.rows:
        for iri in (row.record, row.subject, row.obj):
            prefixes.add(iri)
    meta: dict[str, object] = {"curie_map": prefixes.curie_map()}
    meta["mapping_set_id"] = mapping_set.iri
    if mapping_set.title:
        meta["mapping_set_title"] = mapping_set.title
    if mapping_set.description:
        meta["mapping_set_description"] = _one_line(mapping_set.description)
    meta["license"] = mapping_set.license or UNSPECIFIED_LICENSE
    ids = [c[1:-1] for c in mapping_set.creators if c.startswith("<")]
    names = [c for c in mapping_set.creators if not c.startswith("<")]
    if ids:
        meta["creator_id"] = [prefixes.curie(i, add=True) for i in ids]
    if names:
        meta["creator_label"] = names
    if mapping_set.date:
        meta["mapping_date"] = mapping_set.date
    if mapping_set.sources:
        meta["see_also"] = mapping_set.sources
    if mapping_set.language:
        meta["text_language"] = mapping_set.language
        meta["other"] = f"text_language={mapping_set.language}"
    meta["extension_definitions"] = [
        {"slot_name": name, "property": prop, "type_hint": hint} for name, prop, hint in EXTENSIONS
    ]
    meta["curie_map"] = prefixes.curie_map()  # creator_id may have added prefixes
    header = yaml.safe_dump(meta, sort_keys=False, allow_unicode=True, width=1000)
    out = io.StringIO()
    out.write("".join(f"#{line}\n" for line in header.splitlines()))
    writer = csv.writer(out, delimiter="\t", lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in mapping_set.rows:
        strm = [
            prefixes.curie(row.relation.iri) if row.relation.iri else "",
            "|".join(prefixes.curie(r) for r in row.rationales),
            "" if row.strength is None else str(row.strength),
            prefixes.curie(row.status) if row.status else "",
        ]
        other = [
            f"{key}={item}"
            for key, value in zip(OTHER_KEYS, strm, strict=True)
            for item in value.split("|")
            if item
        ]
        writer.writerow([
            prefixes.curie(row.record), prefixes.curie(row.subject), row.labels[0] or "",
            prefixes.curie(row.predicate), "Not" if row.negated else "",
            prefixes.curie(row.obj), row.labels[1] or "", MANUAL,
            "" if row.strength is None else f"{row.strength / 10:g}",
            _one_line(row.comment), *strm, "|".join(other),
        ])  # fmt: skip
    return out.getvalue()


class _Prefixes:
    """A curie_map built from the IRIs a file uses: readable names for stkg's own IRIs."""

    def __init__(self) -> None:
        self.by_ns: dict[str, str] = {ns: p for p, ns in FIXED_PREFIXES.items()}

    def add(self, iri: str) -> None:
        ns, local = _split(iri)
        if not local or ns in self.by_ns:
            return
        name = _prefix_name(ns, len(self.by_ns))
        taken = set(self.by_ns.values())
        base, n = name, 2
        while name in taken:
            name, n = f"{base}{n}", n + 1
        self.by_ns[ns] = name

    def curie(self, iri: str, *, add: bool = False) -> str:
        if add:
            self.add(iri)
        ns, local = _split(iri)
        return f"{self.by_ns[ns]}:{local}" if local and ns in self.by_ns else iri

    def curie_map(self) -> dict[str, str]:
        return {p: ns for ns, p in sorted(self.by_ns.items(), key=lambda kv: kv[1])}


def _split(iri: str) -> tuple[str, str]:
    cut = max(iri.rfind("/"), iri.rfind("#")) + 1
    return iri[:cut], iri[cut:]


def _prefix_name(ns: str, n: int) -> str:
    """`eu_ai_act`, `mapping_stkg_eu_ai_act_high_risk`: names sssom-py keeps.

    sssom-py reads a CURIE prefix as `[A-Za-z0-9_.]+` and drops any other from the curie_map
    it writes, so hyphens (which the framework slugs have) become underscores. Files written
    with the earlier hyphenated names still import: a file's own curie_map is what is read.
    """
    for base, lead in ((FRAMEWORK_BASE, ""), (MAPPING_BASE, "mapping_"),
                       (MAPPING_SET_BASE, "mapping_set_")):  # fmt: skip
        if ns.startswith(base) and len(ns) > len(base):
            name = lead + re.sub(r"[-/]", "_", ns[len(base) :].strip("/"))
            if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.]*", name):
                return name
    return f"ns{n}"


def _one_line(text: str | None) -> str:
    return " ".join((text or "").split())
