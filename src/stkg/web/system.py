"""`/system?iri=…`: one social-technical system, its five elements laid out, and its gaps.

A system IRI goes in the query string (`/system?iri=…`, JSON twin `/system.json?iri=…`):
IRIs from different namespaces can share a last segment, so a path segment could not name a
system uniquely. The page is built from two queries (the system's facts and the facts of
what they point to; what points at the system) plus one for labels, whatever the system's
size. The neighbourhood section is a plain list that a script may turn into a graph
(`/resource.json` gives each node's links).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import pyoxigraph as ox
from flask import Blueprint, Response, abort, jsonify, render_template, request

from stkg.store import Term
from stkg.web.classification import (
    NOT_CLASSIFIED,
    TIERS,
    derived_tiers,
    explanations,
)
from stkg.web.gaps import SEVERITY_RANK, gap_index, result_dict, severity_counts
from stkg.web.portfolio import ORDERS
from stkg.web.quality import resource_notes
from stkg.web.terms import (
    PREFIX_LINES,
    STKG,
    SYSTEM_CLASS,
    describe,
    is_iri,
    requirement_order,
    store,
    term_info,
    words_for,
)

blueprint = Blueprint("system", __name__)

RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
NEIGHBOURS = 60  # links shown in the plain neighbourhood list, each way

PEOPLE = (
    ("Owner (accountable)", "hasOwner"),
    ("Developer", "hasDeveloper"),
    ("User", "hasUser"),
    ("Decision-maker", "hasDecisionMaker"),
    ("Affected", "affects"),
)
PROCESS_FACTS = (
    ("Performed by", "performedBy"),
    ("Trigger", "trigger"),
    ("Escalates to", "escalatesTo"),
    ("Evidence required", "requiresEvidence"),
    ("Frequency", "frequency"),
    ("Documented in", "documentedIn"),
)
CONTEXT_FACTS = (
    ("Jurisdiction", "jurisdiction"),
    ("Sector", "sector"),
    ("Intended purpose", "intendedPurpose"),
    ("Deployment environment", "deploymentEnvironment"),
    ("EU AI Act Annex III", "annexIIIArea"),
)
COMPONENT_FACTS = (("Uses model", "usesModel"), ("Trained on", "trainedOn"), ("Runs on", "runsOn"))


class Facts:
    """The system's outgoing facts and those of the nodes they point to."""

    def __init__(self, system: str) -> None:
        self.system = system
        self.out: dict[str, list] = defaultdict(list)
        self.detail: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
        text = (
            PREFIX_LINES
            + "SELECT ?iri ?p ?o ?p2 ?o2 WHERE { ?iri ?p ?o . "
            + "OPTIONAL { ?o ?p2 ?o2 FILTER(?p != rdf:type) } }"
        )
        for row in _select(text, system):
            p, o = row["p"].value, row["o"]
            if o not in self.out[p]:
                self.out[p].append(o)
            if row.get("p2") is not None:
                bucket = self.detail[o.value][row["p2"].value]
                if row["o2"] not in bucket:
                    bucket.append(row["o2"])

    def objects(self, name: str) -> list:
        return self.out.get(STKG + name, [])

    def of(self, node: Term, name: str) -> list:
        return self.detail.get(node.value, {}).get(name if ":" in name else STKG + name, [])

    def iris(self) -> set[str]:
        found = {o.value for v in self.out.values() for o in v if isinstance(o, ox.NamedNode)}
        for props in self.detail.values():
            for p, objs in props.items():
                if p in (RDF_TYPE,) or p.startswith(STKG):
                    found |= {o.value for o in objs if isinstance(o, ox.NamedNode)}
        return found


def _select(text: str, system: str) -> list[dict[str, Term]]:
    """Rows of a query whose `?iri` is bound to the system (pyoxigraph binds only projected
    variables, so a SELECT projects it)."""
    return store().query(text, bindings={"iri": ox.NamedNode(system)}).dicts()


def is_system(iri: str) -> bool:
    text = (
        PREFIX_LINES + "ASK { ?class rdfs:subClassOf* stkg:SocialTechnicalSystem . ?iri a ?class }"
    )
    return bool(store().query(PREFIX_LINES + text, bindings={"iri": ox.NamedNode(iri)}).boolean)


def _incoming(system: str) -> list[tuple[ox.NamedNode, ox.NamedNode]]:
    text = f"SELECT ?iri ?s ?p WHERE {{ ?s ?p ?iri FILTER(isIRI(?s)) }} LIMIT {NEIGHBOURS}"
    return [(row["s"], row["p"]) for row in _select(text, system)]


def _assignments(system: str) -> list[dict[str, Any]]:
    text = (
        PREFIX_LINES
        + "SELECT ?iri ?a ?agent ?role WHERE { ?a stkg:assignedFor ?iri ; stkg:assignedTo ?agent . "
        + "OPTIONAL { ?a stkg:raciRole ?role } } ORDER BY ?role ?agent"
    )
    return _select(text, system)


def system_data(iri: str) -> dict[str, Any]:
    """Everything the system page shows, as data (its JSON twin is exactly this)."""
    facts = Facts(iri)
    incoming = _incoming(iri)
    assignments = _assignments(iri)
    known = describe(
        facts.iris()
        | {iri}
        | {s.value for s, _ in incoming}
        | {p.value for _, p in incoming}
        | {p for p in facts.out}
        | {t.value for a in assignments for t in a.values() if isinstance(t, ox.NamedNode)}
        | {v for order in ORDERS.values() for v in order}  # the known values a note lists
    )

    def t(term: Term | None) -> dict[str, Any]:
        return term_info(term, known)

    def types(node: Term) -> list[dict[str, Any]]:
        names = [x for x in facts.of(node, RDF_TYPE) if isinstance(x, ox.NamedNode)]
        specific = [x for x in names if x.value != STKG + "Process"] or names
        return [t(x) for x in specific]

    def with_facts(node: Term, table: tuple) -> dict[str, Any]:
        return {
            **t(node),
            "types": types(node),
            "facts": [
                {"name": title, "values": [t(v) for v in facts.of(node, name)]}
                for title, name in table
                if facts.of(node, name)
            ],
        }

    def agents(name: str) -> list[Term]:
        """The system's agents in a role; a decision-maker recorded on the decision it
        supports counts too, so the People list never says "none" under a named one."""
        found = list(facts.objects(name))
        if name == "hasDecisionMaker":
            for decision in facts.objects("supportsDecision"):
                found += [a for a in facts.of(decision, "decisionMaker") if a not in found]
        return found

    policies = []
    coverage: dict[str, dict[str, Any]] = {}
    for node in facts.objects("governedBy"):
        implemented = [t(r) for r in facts.of(node, "implements")]
        policies.append({**t(node), "types": types(node), "implements": implemented})
        for req in facts.of(node, "implements"):
            info = known.get(req.value)
            scheme = info.scheme if info and info.scheme else "other"
            entry = coverage.setdefault(scheme, {"framework": None, "requirements": []})
            if t(req) not in entry["requirements"]:
                entry["requirements"].append(t(req))
    framework_info = describe(s for s in coverage if s != "other")
    for scheme, entry in coverage.items():
        entry["framework"] = (
            framework_info[scheme].as_dict() if scheme in framework_info else {"label": "other"}
        )
        entry["requirements"].sort(key=lambda r: requirement_order(r.get("notation") or r["text"]))

    index = gap_index()
    results = sorted(  # worst first, as on /gaps
        index.by_system.get(iri, []), key=lambda r: SEVERITY_RANK.get(r.severity, 9)
    )
    words = words_for(r.message for r in results)
    gaps = [result_dict(r, index, words) for r in results]
    asserted = list(facts.objects("euAIActTier"))
    derived = [ox.NamedNode(x) for x in derived_tiers().get(iri, ())]
    asserted += [x for x in derived if x not in asserted]
    ranked = sorted(
        asserted,
        key=lambda x: TIERS.index(x.value) if x.value in TIERS else len(TIERS),
    )
    tiers = [t(x) for x in ranked]
    return {
        "system": known[iri].as_dict(),
        "notes": resource_notes(facts.out, known),
        "types": [t(x) for x in facts.out.get(RDF_TYPE, [])],
        "comment": [
            t(x) for x in facts.out.get("http://www.w3.org/2000/01/rdf-schema#comment", [])
        ],
        "summary": {
            "severities": severity_counts(results),
            "owners": [t(a) for a in facts.objects("hasOwner")],
        },
        "people": [
            {"role": title, "agents": [{**t(a), "types": types(a)} for a in agents(name)]}
            for title, name in PEOPLE
        ],
        "responsibilities": [
            {"agent": t(a["agent"]), "role": t(a.get("role"))} for a in assignments
        ],
        "technology": [with_facts(c, COMPONENT_FACTS) for c in facts.objects("hasComponent")],
        "processes": [with_facts(p, PROCESS_FACTS) for p in facts.objects("hasProcess")],
        "policies": policies,
        "contexts": [with_facts(c, CONTEXT_FACTS) for c in facts.objects("hasContextOfUse")],
        "decisions": [
            with_facts(d, (("Decision-maker", "decisionMaker"), ("Automation", "automationLevel")))
            for d in facts.objects("supportsDecision")
        ],
        "impact": [t(x) for x in facts.objects("impactLevel")],
        "consequences": [
            with_facts(c, (("Severity", "severity"),)) for c in facts.objects("consequenceOfError")
        ],
        "stage": [t(x) for x in facts.objects("lifecycleStage")],
        "eu_ai_act_roles": [t(x) for x in facts.objects("euAIActRole")],
        "risks": [t(x) for x in facts.objects("hasRisk")],
        "assessments": [with_facts(a, ()) for a in facts.objects("hasAssessment")],
        "tier": {
            "tiers": tiers,
            "label": ", ".join(x["text"] for x in tiers) if tiers else NOT_CLASSIFIED,
            "explanations": explanations(iri),
        },
        "gaps": gaps,
        "validation_error": index.error,
        "coverage": sorted(coverage.values(), key=lambda e: e["framework"]["label"]),
        "neighbours": {
            "outgoing": [
                {"property": t(ox.NamedNode(p)), "node": t(o)}
                for p, objs in facts.out.items()
                if p != RDF_TYPE
                for o in objs
                if isinstance(o, ox.NamedNode)
            ][:NEIGHBOURS],
            "incoming": [{"property": t(p), "node": t(s)} for s, p in incoming],
        },
    }


def _system_iri() -> str:
    iri = request.args.get("iri", "").strip()
    if not iri:
        abort(400, "give the system's IRI: /system?iri=…")
    if not is_iri(iri):
        abort(400, f"not an IRI: {iri!r}")
    if not is_system(iri):
        abort(404, f"no social-technical system <{iri}> in the store")
    return iri


@blueprint.get("/system")
def system_page() -> str:
    return render_template(
        "system.html", data=system_data(_system_iri()), system_class=SYSTEM_CLASS
    )


@blueprint.get("/system.json")
def system_json() -> Response:
    return jsonify(system_data(_system_iri()))
