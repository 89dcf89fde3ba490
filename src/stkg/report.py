"""Gap reports: per system (its five elements and what is missing) and per framework (for
each requirement, the systems that fail a shape operationalising it, directly or through a
crosswalk, with the mapping as the explanation).

`report_data(store, ...)` is the data function; `stkg.report_formats` renders it as Markdown,
HTML or CSV, and a web page can render the same dict. Validation results come from
`stkg.validate`'s public API, tiers from `stkg.classify`.

Through a crosswalk, what a failure says about the other requirement depends on the NIST IR
8477 relationship, read from the failed requirement R to the other requirement O (a mapping
stated from O to R is read reversed, with the inverse relationship):
* R equal O: the system fails O too;
* R subset of O: O includes all of R, so O is not met in full ("fails in part");
* R superset of O, R intersects with O: O may be affected, no more;
* untyped crosswalk link: "related by crosswalk", which is no evidence that O fails;
* no relationship, rejected mappings: nothing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pyoxigraph as ox

from stkg.classify import Classification, classify, stored_classifications, tiers_by_system
from stkg.gap_index import GapIndex, severity_counts
from stkg.labels import Term, describe
from stkg.mappings.model import (
    Catalogue,
    Link,
    Relation,
    fetch_catalogue,
    fetch_links,
    natural_sorted,
    resolve_framework,
)
from stkg.store import Store
from stkg.validate import SEVERITIES, ValidationReport, ValidationResult, validate

GROUPS = ("system", "framework")
NOT_CLASSIFIED = "not classified"

# (element, relation) in the order a report shows them: the five elements of the brief.
ELEMENTS = (
    ("people", "https://w3id.org/stkg#hasOwner"),
    ("people", "https://w3id.org/stkg#hasDeveloper"),
    ("people", "https://w3id.org/stkg#hasUser"),
    ("people", "https://w3id.org/stkg#hasDecisionMaker"),
    ("people", "https://w3id.org/stkg#affects"),
    ("technology", "https://w3id.org/stkg#hasComponent"),
    ("processes", "https://w3id.org/stkg#hasProcess"),
    ("policies and governance", "https://w3id.org/stkg#governedBy"),
    ("context of use", "https://w3id.org/stkg#hasContextOfUse"),
)
ELEMENT_NAMES = tuple(dict.fromkeys(name for name, _ in ELEMENTS))

# What a failure of R says about O, by the relationship from R to O.
EFFECTS = {
    Relation.EQUAL: ("fails", "is equal to"),
    Relation.SUBSET: ("fails in part", "is a subset of"),
    Relation.SUPERSET: ("may be affected", "is a superset of"),
    Relation.INTERSECTS: ("may be affected", "intersects with"),
    Relation.RELATED: ("related by crosswalk", "is related (untyped link) to"),
}

_SYSTEMS = """
PREFIX stkg: <https://w3id.org/stkg#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT DISTINCT ?system WHERE {
  ?class rdfs:subClassOf* stkg:SocialTechnicalSystem . ?system a ?class .
} ORDER BY ?system
"""

_ELEMENTS = """
PREFIX stkg: <https://w3id.org/stkg#>
SELECT ?system ?relation ?value WHERE {
  VALUES ?system { %s }
  VALUES ?relation { %s }
  ?system ?relation ?value .
}
"""


@dataclass(frozen=True)
class CrosswalkStep:
    """A failed requirement, the mapping that links it to another one, read from it."""

    failed: str
    other: str
    relation: Relation
    link: Link
    reversed: bool


def report_data(
    store: Store,
    *,
    by: str = "system",
    report: ValidationReport | None = None,
    index: GapIndex | None = None,
    framework: str | None = None,
    systems: Sequence[str] | None = None,
    classifications: Sequence[Classification] | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> dict[str, Any]:
    """The gap report as a JSON-ready dict, grouped `by` "system" or "framework".

    `index` is the indexed validation run the explorer's `/gaps` shares (built from `report`
    if not given, and `report` defaults to validating the store); `classifications` to the
    stored ones, else a fresh derivation. By system, `systems` (or `limit`/`offset` over all
    systems, sorted by IRI) selects the systems shown; by framework, `framework` (a short
    name such as `nist-ai-rmf`, or an IRI) selects one framework.
    """
    if by not in GROUPS:
        raise ValueError(f"by must be one of {GROUPS}")
    if index is None:
        index = GapIndex.build(validate(store) if report is None else report, store)
    if by == "framework":
        return _by_framework(store, index, framework)
    if classifications is None:
        classifications = stored_classifications(store) or classify(store)
    return _by_system(store, index, classifications, systems, limit, offset)


# --- Per system -----------------------------------------------------------------------------


def _by_system(
    store: Store,
    index: GapIndex,
    classifications: Sequence[Classification],
    systems: Sequence[str] | None,
    limit: int | None,
    offset: int,
) -> dict[str, Any]:
    every = [row["system"].value for row in store.query(_SYSTEMS).dicts()]
    chosen = list(systems) if systems is not None else every
    total = len(chosen)
    chosen = chosen[offset : offset + limit if limit is not None else None]
    results = index.by_system
    elements = _elements(store, chosen)
    tiers = tiers_by_system(classifications)
    iris = set(chosen) | {t for ts in tiers.values() for t in ts}
    iris |= {v for rows in elements.values() for _, rel, v in rows} | {rel for _, rel in ELEMENTS}
    for s in chosen:
        for r in results.get(s, []):
            iris |= {r.focus_node, r.source_shape, *(q.iri for q in r.requirements)}
            iris |= {q.framework for q in r.requirements if q.framework}
    terms = describe(store, iris)
    return {
        "by": "system",
        "total": total,
        "offset": offset,
        "counts": severity_counts(r for s in chosen for r in results.get(s, [])),
        "systems": [
            _system(s, elements.get(s, []), tiers.get(s, []), results.get(s, []), terms, index)
            for s in chosen
        ],
    }


def _elements(store: Store, systems: Sequence[str]) -> dict[str, list[tuple[str, str, str]]]:
    found: dict[str, list[tuple[str, str, str]]] = defaultdict(list)
    if not systems:
        return found
    order = {rel: (i, name) for i, (name, rel) in enumerate(ELEMENTS)}
    relations = " ".join(f"<{rel}>" for _, rel in ELEMENTS)
    for start in range(0, len(systems), 200):
        values = " ".join(f"<{s}>" for s in systems[start : start + 200])
        for row in store.query(_ELEMENTS % (values, relations)).dicts():
            relation, value = row["relation"].value, row["value"]
            text = value.value if not isinstance(value, ox.BlankNode) else f"_:{value.value}"
            found[row["system"].value].append((order[relation][1], relation, text))
    for rows in found.values():
        rows.sort(key=lambda r: (order[r[1]][0], r[2]))
    return found


def _term(iri: str, terms: dict[str, Term]) -> dict[str, Any]:
    term = terms.get(iri)
    return {"iri": iri, "label": term.label if term else iri}


def _system(
    system: str,
    elements: list[tuple[str, str, str]],
    tiers: list[str],
    results: list[ValidationResult],
    terms: dict[str, Term],
    index: GapIndex,
) -> dict[str, Any]:
    grouped: dict[str, list[dict[str, Any]]] = {name: [] for name in ELEMENT_NAMES}
    for name, relation, value in elements:
        grouped[name].append({"relation": _term(relation, terms)["label"], **_term(value, terms)})
    return {
        **_term(system, terms),
        "tiers": [_term(t, terms) for t in tiers],
        "elements": grouped,
        "counts": severity_counts(results),
        "missing": [_result(r, terms, index) for r in results],
    }


def _result(r: ValidationResult, terms: dict[str, Term], index: GapIndex) -> dict[str, Any]:
    return {
        "severity": r.severity,
        "message": r.message,
        "focus_node": _term(r.focus_node, terms),
        "shape": r.source_shape,
        "shape_title": index.title(r.source_shape),
        "path": r.path,
        "value": r.value,
        "requirements": [
            {
                "iri": q.iri,
                "notation": q.notation or _term(q.iri, terms)["label"],
                "framework": q.framework,
                "framework_label": _term(q.framework, terms)["label"] if q.framework else None,
            }
            for q in r.requirements
        ],
    }


# --- Per framework --------------------------------------------------------------------------


def _by_framework(store: Store, index: GapIndex, framework: str | None) -> dict[str, Any]:
    catalogue = fetch_catalogue(store)
    chosen = resolve_framework(framework, catalogue) if framework else None
    report, direct = index.report, index.by_requirement
    steps = _steps(fetch_links(store), set(direct))
    requirements = set(direct) | {s.other for s in steps}
    iris = set(requirements) | {s for r in report.results for s in r.systems}
    iris |= {r.focus_node for r in report.results} | set(catalogue.frameworks)
    iris |= {s.link.mapping_set for s in steps if s.link.mapping_set}
    terms = describe(store, iris)
    by_framework: dict[str, list[str]] = defaultdict(list)
    for req in requirements:
        scheme = catalogue.scheme_of.get(req)
        if scheme and (chosen is None or scheme == chosen):
            by_framework[scheme].append(req)
    via: dict[str, list[CrosswalkStep]] = defaultdict(list)
    for step in steps:
        via[step.other].append(step)
    frameworks = []
    for scheme in sorted(by_framework, key=lambda f: catalogue.frameworks.get(f, f)):
        reqs = natural_sorted(by_framework[scheme], key=catalogue.name)
        frameworks.append(
            {
                "iri": scheme,
                "label": catalogue.frameworks.get(scheme, scheme),
                "requirements": [_requirement(req, direct, via, catalogue, terms) for req in reqs],
            }
        )
    return {
        "by": "framework",
        "framework": chosen,
        "counts": severity_counts(report.results),
        "frameworks": frameworks,
    }


def _steps(links: list[Link], failed: set[str]) -> list[CrosswalkStep]:
    """Every usable mapping from a failed requirement to another, read from the failed one."""
    steps = []
    for link in links:
        if link.rejected or not link.source or not link.target or link.relation is None:
            continue
        if link.source in failed and link.relation in EFFECTS:
            steps.append(CrosswalkStep(link.source, link.target, link.relation, link, False))
        if link.target in failed and link.relation.inverse in EFFECTS:
            steps.append(CrosswalkStep(link.target, link.source, link.relation.inverse, link, True))
    return sorted(steps, key=lambda s: (s.other, s.failed, s.link.mapping))


def _entry(r: ValidationResult, system: str, terms: dict[str, Term]) -> dict[str, Any]:
    return {
        **_term(system, terms),
        "severity": r.severity,
        "message": r.message,
        "shape": r.source_shape,
        "focus_node": _term(r.focus_node, terms),
    }


def _entries(results: list[ValidationResult], terms: dict[str, Term]) -> list[dict[str, Any]]:
    entries = [_entry(r, s, terms) for r in results for s in r.systems]
    rank = {s: i for i, s in enumerate(SEVERITIES)}
    return sorted(entries, key=lambda e: (rank.get(e["severity"], -1), e["label"], e["shape"]))


def _requirement(
    req: str,
    direct: dict[str, list[ValidationResult]],
    via: dict[str, list[CrosswalkStep]],
    catalogue: Catalogue,
    terms: dict[str, Term],
) -> dict[str, Any]:
    crosswalk = []
    for step in via.get(req, []):
        effect, wording = EFFECTS[step.relation]
        failed, other = catalogue.name(step.failed), catalogue.name(req)
        link = step.link
        mapping_set = _term(link.mapping_set, terms)["label"] if link.mapping_set else None
        stated = f"{catalogue.name(link.source)} → {catalogue.name(link.target)}"
        explanation = (
            f"{failed} {wording} {other} (mapping {link.mapping}"
            + (f", {mapping_set}" if mapping_set else "")
            + (f", stated as {stated} and read reversed" if step.reversed else "")
            + f"): {_meaning(effect, other)}"
        )
        crosswalk.append(
            {
                "via": {
                    "iri": step.failed,
                    "notation": failed,
                    "framework": catalogue.scheme_of.get(step.failed),
                },
                "mapping": link.mapping,
                "mapping_set": link.mapping_set,
                "mapping_set_label": mapping_set,
                "relationship": step.relation.label,
                "reversed": step.reversed,
                "effect": effect,
                "path": [step.failed, link.mapping, req],
                "explanation": explanation,
                "systems": _entries(direct[step.failed], terms),
            }
        )
    entries = _entries(direct.get(req, []), terms)
    affected = {e["iri"] for e in entries} | {
        e["iri"] for c in crosswalk if c["effect"] != "related by crosswalk" for e in c["systems"]
    }
    return {
        "iri": req,
        "notation": catalogue.name(req),
        "label": _term(req, terms)["label"],
        "failing_systems": len({e["iri"] for e in entries}),
        "affected_systems": len(affected),
        "direct": entries,
        "through_crosswalk": crosswalk,
    }


def _meaning(effect: str, other: str) -> str:
    return {
        "fails": f"a system that fails it fails {other} too.",
        "fails in part": f"{other} includes all of it, so a system that fails it does not meet "
        f"{other} in full.",
        "may be affected": f"the two overlap, so {other} may be affected; the mapping does not "
        "show that it fails.",
        "related by crosswalk": "the crosswalk relates the two without a set relationship; "
        f"this is no evidence that {other} fails.",
    }[effect]
