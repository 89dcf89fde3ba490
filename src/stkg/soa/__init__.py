"""Statements of applicability: per requirement of a framework, whether it applies and why,
the controls implementing it, their evidence, and the systems failing it — the document an
ISO/IEC 42001 audit asks for (clause 6.1.3), for any framework in the store.

`soa_data(store, framework)` is the data function; `stkg.soa.formats` renders it as HTML,
CSV, XLSX or Markdown for `stkg report --soa` and `/frameworks/<slug>/soa`.

Whether a requirement applies is read, never guessed (as EU AI Act tiers are):
* a recorded `stkg:ApplicabilityDecision` decides, with its justification;
* else a control of the organisation implementing it makes it apply ("implemented by …");
* else systems failing a check of it make it apply ("it bears on …");
* else it is "to decide": nothing in the graph says, and the statement says so.
Rows are the framework's requirements that have no narrower requirement (ISO/IEC 42001's
subclauses and Annex A controls, NIST AI RMF's subcategories), in the catalogue's code order.
Failing systems are those with a validation result whose shape operationalises the
requirement itself; what crosswalks imply is `stkg report --by framework`'s subject.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import pyoxigraph as ox

from stkg.errors import StkgError
from stkg.labels import Term, describe
from stkg.mappings.model import fetch_catalogue, natural_sorted, resolve_framework, short_name
from stkg.store import Store
from stkg.validate import SEVERITIES, ValidationReport, validate

APPLIES, EXCLUDED, TO_DECIDE = "yes", "no", "to decide"
STATUSES = ("implemented", "implemented, with gaps", "not implemented", "excluded", "")

_PREFIXES = """PREFIX stkg: <https://w3id.org/stkg#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
"""
# `?framework` is bound by the engine. Required patterns first (Oxigraph's planner).
_QUERIES = {
    "requirements": """SELECT ?framework ?requirement ?kind WHERE {
  ?requirement skos:inScheme ?framework .
  MINUS { ?narrower skos:broader ?requirement . ?narrower skos:inScheme ?framework }
  OPTIONAL { ?requirement stkg:requirementKind ?kind }
}""",
    "controls": """SELECT ?framework ?requirement ?control WHERE {
  ?requirement skos:inScheme ?framework . ?control stkg:implements ?requirement .
}""",
    "evidence": """SELECT ?framework ?control ?evidence WHERE {
  ?requirement skos:inScheme ?framework . ?control stkg:implements ?requirement .
  ?control stkg:hasEvidence|stkg:documentedIn ?evidence .
}""",
    "shapes": """SELECT ?framework ?requirement ?shape WHERE {
  ?requirement skos:inScheme ?framework . ?shape stkg:operationalises ?requirement .
}""",
    "decisions": """SELECT ?framework ?requirement ?decision ?applicable ?why WHERE {
  ?requirement skos:inScheme ?framework .
  ?decision stkg:decidesApplicabilityOf ?requirement ; stkg:applicable ?applicable .
  OPTIONAL { ?decision stkg:applicabilityJustification ?why }
}""",
}


def soa_data(
    store: Store,
    framework: str,
    report: ValidationReport | None = None,
    kind: str | None = None,
) -> dict[str, Any]:
    """The statement of applicability of one framework (a short name such as
    `iso-iec-42001`, or its IRI) as a JSON-ready dict; `report` defaults to validating.
    `kind` keeps the requirements of one `stkg:requirementKind` (ISO/IEC 42001's Annex A
    controls are kind "control")."""
    catalogue = fetch_catalogue(store)
    scheme = resolve_framework(framework, catalogue)
    kinds: dict[str, set[str]] = defaultdict(set)
    for r in _rows(store, "requirements", scheme):
        kinds[r["requirement"]].update([r["kind"]] if "kind" in r else [])
    if kind is not None:
        known = sorted({k for ks in kinds.values() for k in ks})
        if kind not in known:
            listed = ", ".join(known) or "none"
            raise StkgError(f"no requirement of kind {kind!r} in {framework} (kinds: {listed})")
    requirements = [r for r, ks in kinds.items() if kind is None or kind in ks]
    report = validate(store) if report is None else report
    rows = {name: _rows(store, name, scheme) for name in _QUERIES if name != "requirements"}
    controls: dict[str, set[str]] = defaultdict(set)
    for r in rows["controls"]:
        controls[r["requirement"]].add(r["control"])
    evidence: dict[str, set[str]] = defaultdict(set)
    for r in rows["evidence"]:
        evidence[r["control"]].add(r["evidence"])
    shapes: dict[str, set[str]] = defaultdict(set)
    for r in rows["shapes"]:
        shapes[r["requirement"]].add(r["shape"])
    decisions: dict[str, list[dict[str, str]]] = defaultdict(list)
    for r in rows["decisions"]:
        decisions[r["requirement"]].append(r)
    wanted = set(requirements)
    failing: dict[str, dict[str, list[Any]]] = defaultdict(lambda: defaultdict(list))
    for result in report.results:
        for q in result.requirements:
            if q.iri in wanted:
                for system in result.systems:
                    failing[q.iri][system].append(result)
    iris = wanted | {scheme} | {c for cs in controls.values() for c in cs}
    iris |= {e for es in evidence.values() for e in es} | {s for ss in shapes.values() for s in ss}
    iris |= {s for systems in failing.values() for s in systems}
    iris |= {d["decision"] for ds in decisions.values() for d in ds}
    terms = describe(store, iris)
    entries = [
        _entry(req, controls, evidence, shapes, decisions, failing, terms)
        for req in natural_sorted(requirements, key=catalogue.name)
    ]
    counts = {"requirements": len(entries)}
    for key in (APPLIES, EXCLUDED, TO_DECIDE):
        counts[key] = sum(1 for e in entries if e["applies"] == key)
    for status in STATUSES[:3]:
        counts[status] = sum(1 for e in entries if e["status"] == status)
    return {
        "framework": {
            "iri": scheme,
            "label": catalogue.frameworks.get(scheme, scheme),
            "slug": short_name(scheme),
        },
        "kind": kind,
        "counts": counts,
        "requirements": entries,
    }


def requirement_kinds(store: Store, framework: str) -> list[str]:
    """The kinds of the requirements a statement of `framework` (an IRI) has rows for."""
    return sorted({r["kind"] for r in _rows(store, "requirements", framework) if "kind" in r})


def _rows(store: Store, name: str, scheme: str) -> list[dict[str, str]]:
    answer = store.query(_PREFIXES + _QUERIES[name], bindings={"framework": ox.NamedNode(scheme)})
    return [
        {k: v.value for k, v in zip(answer.variables, row, strict=True) if v is not None}
        for row in answer.rows
    ]


def _term(iri: str, terms: dict[str, Term]) -> dict[str, str]:
    term = terms.get(iri)
    return {"iri": iri, "label": term.label if term else iri}


def _names(items: list[dict[str, str]]) -> str:
    return ", ".join(i["label"] for i in items)


def _entry(
    req: str,
    controls: dict[str, set[str]],
    evidence: dict[str, set[str]],
    shapes: dict[str, set[str]],
    decisions: dict[str, list[dict[str, str]]],
    failing: dict[str, dict[str, list[Any]]],
    terms: dict[str, Term],
) -> dict[str, Any]:
    term = terms.get(req)
    implementing = sorted((_term(c, terms) for c in controls.get(req, ())), key=_by_label)
    found = [
        {**_term(e, terms), "control": c["label"]}
        for c in implementing
        for e in sorted(evidence.get(c["iri"], ()))
    ]
    checks = sorted((_term(s, terms) for s in shapes.get(req, ())), key=_by_label)
    rank = {s: i for i, s in enumerate(SEVERITIES)}
    systems = []
    for system, results in failing.get(req, {}).items():
        results = sorted(results, key=lambda r: (rank.get(r.severity, -1), r.source_shape))
        systems.append(
            {
                **_term(system, terms),
                "severity": results[0].severity,
                "shapes": sorted({_term(r.source_shape, terms)["label"] for r in results}),
                "messages": list(dict.fromkeys(r.message for r in results)),
            }
        )
    systems.sort(key=lambda s: (rank.get(s["severity"], -1), s["label"]))
    applies, why, decision = _applicability(req, decisions, implementing, systems, checks, terms)
    return {
        "iri": req,
        "notation": term.notation if term and term.notation else req,
        "label": term.label if term else req,
        "applies": applies,
        "why": why,
        "decision": decision,
        "status": _status(applies, implementing, systems),
        "controls": implementing,
        "evidence": found,
        "checked_by": checks,
        "failing_systems": systems,
    }


def _by_label(item: dict[str, str]) -> tuple[str, str]:
    return (item["label"].lower(), item["iri"])


def _applicability(
    req: str,
    decisions: dict[str, list[dict[str, str]]],
    implementing: list[dict[str, str]],
    systems: list[dict[str, Any]],
    checks: list[dict[str, str]],
    terms: dict[str, Term],
) -> tuple[str, str, dict[str, Any] | None]:
    recorded = decisions.get(req, [])
    if recorded:
        answers = {d["applicable"] in ("true", "1") for d in recorded}
        first = sorted(recorded, key=lambda d: d["decision"])[0]
        decision = {
            **_term(first["decision"], terms),
            "applicable": first["applicable"] in ("true", "1"),
            "justification": first.get("why"),
        }
        if len(answers) > 1:
            return (
                TO_DECIDE,
                "recorded decisions disagree: it both applies and is excluded",
                decision,
            )
        why = first.get("why") or "decision recorded without a justification"
        if answers == {False} and (implementing or systems):
            why += (
                f" (yet {_count(implementing, 'control')} implementing it and "
                f"{_count(systems, 'system')} failing checks of it)"
            )
        return (APPLIES if answers == {True} else EXCLUDED), why, decision
    if implementing:
        return APPLIES, f"implemented by {_names(implementing)}", None
    if systems:
        return APPLIES, f"it bears on {_count(systems, 'system')} that fail checks of it", None
    why = "no decision recorded, no control implements it and no system fails a check of it"
    if checks:
        why += f" ({_names(checks)} check it)"
    return TO_DECIDE, why, None


def _count(items: list[Any], noun: str) -> str:
    return f"{len(items)} {noun}{'' if len(items) == 1 else 's'}"


def _status(applies: str, implementing: list[Any], systems: list[Any]) -> str:
    if applies == EXCLUDED:
        return "excluded"
    if applies == TO_DECIDE:
        return ""
    if implementing:
        return "implemented, with gaps" if systems else "implemented"
    return "not implemented"
