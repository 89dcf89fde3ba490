"""The inventory template filled from a graph: what of a portfolio the default template can
carry (its people, controls, systems and processes), as the rows `stkg import` reads back.

Used to check the round trip (the example portfolio written as the template and imported
again) and by `bench` to write generated portfolios as the template. Facts the template has
no column for (components, risks, assessments, documents, decision makers, RACI beyond the
owner) are left out; docs/decisions.md lists what that changes in a validation report.
"""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

from stkg.inventory.mapping import Mapping
from stkg.inventory.template import csv_text, write_workbook
from stkg.namespace import STKG_NS
from stkg.store import Store

S = STKG_NS
LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
NOTATION = "http://www.w3.org/2004/02/skos/core#notation"
KINDS = {
    "people": {"Committee": "committee", "Person": "person", "Team": "team",
               "Organisation": "organisation", "StakeholderGroup": "stakeholder group"},
    "controls": {"Policy": "policy", "Control": "control"},
    "processes": {"HumanReview": "human review", "EscalationPath": "escalation path",
                  "MonitoringProcess": "monitoring", "ApprovalProcess": "approval",
                  "IncidentResponseProcess": "incident response"},
}  # fmt: skip
LEVELS = {"HighImpact": "high", "MediumImpact": "medium", "LowImpact": "low"}
STAGES = {"Design": "design", "InDevelopment": "in development", "Validation": "validation",
          "Deployed": "deployed", "Retired": "retired"}  # fmt: skip
ROLES = {"ProviderRole": "provider", "DeployerRole": "deployer", "ImporterRole": "importer",
         "DistributorRole": "distributor"}  # fmt: skip
PEOPLE_LINKS = ("hasOwner", "hasDeveloper", "hasUser", "affects", "performedBy", "escalatesTo",
                "memberOf")  # fmt: skip
_ROLE_IN_LABEL = re.compile(r"^(.*\S) \(([^()]*)\)$")

Rows = dict[str, list[dict[str, str]]]


def _pairs(store: Store, pattern: str) -> list[tuple[str, str]]:
    answer = store.query(f"PREFIX stkg: <{S}> SELECT ?s ?o WHERE {{ {pattern} }}")
    return [(s.value, o.value) for s, o in answer.rows if s is not None and o is not None]


def _multi(store: Store, predicate: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = defaultdict(list)
    for s, o in sorted(_pairs(store, f"?s <{predicate}> ?o")):
        found[s].append(o)
    return found


def export_rows(store: Store, base: str) -> Rows:
    """The template's rows for what the store holds, ids relative to `base`."""

    def key(iri: str) -> str:
        return iri.removeprefix(base) if iri.startswith(base) else re.split(r"[/#]", iri)[-1]

    labels = {s: o for s, o in _pairs(store, f"?s <{LABEL}> ?o")}
    types = _multi(store, "http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
    links = {p: _multi(store, S + p) for p in (*PEOPLE_LINKS, "governedBy", "implements",
             "hasProcess", "supportsDecision", "impactLevel", "consequenceOfError",
             "lifecycleStage", "euAIActRole", "hasContextOfUse", "annexIIIArea", "jurisdiction",
             "trigger", "requiresEvidence", "frequency")}  # fmt: skip
    notations = {s: o for s, o in _pairs(store, f"?s <{NOTATION}> ?o")}

    def kind(iri: str, sheet: str) -> str | None:
        for name, value in KINDS[sheet].items():
            if S + name in types.get(iri, ()):
                return value
        return None

    systems = sorted(s for s, t in types.items() if S + "SocialTechnicalSystem" in t)
    processes = sorted({p for s in systems for p in links["hasProcess"].get(s, ())
                        if kind(p, "processes")})  # fmt: skip
    controls = sorted(s for s in types if kind(s, "controls"))
    people = {s for s in types if kind(s, "people")}
    for subject in [*systems, *processes, *people]:
        for link in PEOPLE_LINKS:
            people |= set(links[link].get(subject, ()))
    people_ids = sorted(people)
    control_set = set(controls)

    def ids(values: list[str], allowed: set[str]) -> str:
        return "; ".join(key(v) for v in values if v in allowed)

    def terms(values: list[str], names: dict[str, str]) -> str:
        return "; ".join(names[v.removeprefix(S)] for v in values if v.removeprefix(S) in names)

    def texts(values: list[str]) -> str:
        return "; ".join(labels.get(v, "") for v in values if labels.get(v))

    rows: Rows = {"people": [], "controls": [], "systems": [], "processes": []}
    for person in people_ids:
        match = _ROLE_IN_LABEL.match(labels.get(person, ""))
        name, role = (match.group(1), match.group(2)) if match else (labels.get(person, ""), "")
        rows["people"].append({
            "id": key(person), "name": name or key(person), "kind": kind(person, "people") or "",
            "member_of": ids(links["memberOf"].get(person, []), people), "role": role,
        })  # fmt: skip
    for control in controls:
        rows["controls"].append({
            "id": key(control), "name": labels.get(control, key(control)),
            "kind": kind(control, "controls") or "",
            "implements": "; ".join(
                notations[r] for r in links["implements"].get(control, []) if r in notations
            ),
        })  # fmt: skip
    for system in systems:
        contexts = links["hasContextOfUse"].get(system, [])
        annex = [notations[a] for c in contexts for a in links["annexIIIArea"].get(c, [])
                 if a in notations]  # fmt: skip
        places = [j for c in contexts for j in links["jurisdiction"].get(c, [])]
        rows["systems"].append({
            "id": key(system), "name": labels.get(system, key(system)),
            "owner": ids(links["hasOwner"].get(system, []), people),
            "developer": ids(links["hasDeveloper"].get(system, []), people),
            "users": ids(links["hasUser"].get(system, []), people),
            "affected": ids(links["affects"].get(system, []), people),
            "decision": texts(links["supportsDecision"].get(system, [])[:1]),
            "impact": terms(links["impactLevel"].get(system, [])[:1], LEVELS),
            "consequence_of_error": texts(links["consequenceOfError"].get(system, [])),
            "lifecycle_stage": terms(links["lifecycleStage"].get(system, [])[:1], STAGES),
            "eu_role": terms(links["euAIActRole"].get(system, []), ROLES),
            "annex_iii": "; ".join(dict.fromkeys(annex)),
            "jurisdiction": places[0] if places else "",
            "governed_by": ids(links["governedBy"].get(system, []), control_set),
        })  # fmt: skip
    owners = _owners(links["hasProcess"], systems)
    for process in processes:
        rows["processes"].append({
            "id": key(process), "system": "; ".join(key(s) for s in owners[process]),
            "kind": kind(process, "processes") or "", "name": labels.get(process, ""),
            "performed_by": ids(links["performedBy"].get(process, []), people),
            "escalates_to": ids(links["escalatesTo"].get(process, []), people),
            "trigger": "; ".join(links["trigger"].get(process, [])[:1]),
            "evidence": texts(links["requiresEvidence"].get(process, [])),
            "frequency": "; ".join(links["frequency"].get(process, [])[:1]),
        })  # fmt: skip
    return rows


def _owners(has_process: dict[str, list[str]], systems: list[str]) -> dict[str, list[str]]:
    owners: dict[str, list[str]] = defaultdict(list)
    for system in systems:
        for process in has_process.get(system, ()):
            owners[process].append(system)
    return owners


def _body(rows: Rows, mapping: Mapping) -> dict[str, list[list[str]]]:
    return {
        name: [[row.get(c, "") for c in sheet.columns] for row in rows.get(name, [])]
        for name, sheet in mapping.sheets.items()
    }


def write_folder(rows: Rows, folder: Path, mapping: Mapping) -> None:
    """The rows as one CSV file per sheet."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, body in _body(rows, mapping).items():
        header = list(mapping.sheets[name].columns)
        (folder / f"{name}.csv").write_text(csv_text(header, body), encoding="utf-8")


def write_book(rows: Rows, path: Path, mapping: Mapping) -> None:
    """The rows as the template workbook."""
    write_workbook(path, mapping, _body(rows, mapping))
