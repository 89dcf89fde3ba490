"""EU AI Act tiers as the explorer reads them: from the store, never guessed.

`stkg.classify` (when installed) derives each system's tier into the graph
`https://w3id.org/stkg/inferred/classification` (`?system stkg:euAIActTier ?tier`, plus one
`stkg:Classification` per derivation with its rule, facts and explanation). The explorer only
reads that graph: if the module exists and the graph is missing, it is derived once, the first
time a page needs it, and again after an update through the endpoint. Without the module every
system shows "not classified".
"""

from __future__ import annotations

import importlib
import threading
from typing import Any

from flask import current_app

from stkg.errors import StkgError
from stkg.web.sparql import store_graphs
from stkg.web.terms import FRAMEWORK_BASE, STKG, describe, iri_term

CLASSIFICATION_GRAPH = "https://w3id.org/stkg/inferred/classification"
TIER_BASE = FRAMEWORK_BASE + "eu-ai-act/tier/"
UNCLASSIFIED = STKG + "Unclassified"
TIER_NAMES = ("prohibited", "high-risk-annex-i", "high-risk-annex-iii", "transparency", "minimal")
TIERS = (*(TIER_BASE + t for t in TIER_NAMES), UNCLASSIFIED)  # most serious first
NOT_CLASSIFIED = "not classified"
_lock = threading.Lock()


def ensure_classification() -> None:
    """Derive the classification graph once per store version, when stkg.classify exists."""
    state = current_app.extensions["stkg"]
    token = store_graphs()
    if state.get("classified") is token:
        return
    with _lock:
        token = store_graphs()
        if state.get("classified") is token:
            return
        module = _module()
        if module is None:
            state["classified"] = token
            return
        if CLASSIFICATION_GRAPH not in token or state.get("classified") is not None:
            try:
                module.store_classification(state["store"])
            except (StkgError, OSError, AttributeError):  # a read-only store: show what is there
                state["classified"] = token
                return
            state.pop("graphs", None)
            state.pop("statistics", None)
            if "executor" in state:
                state["executor"].reload()
        state["classified"] = store_graphs()


def tier_label(iri: str, known: dict) -> str:
    """A tier's label; stkg:Unclassified reads "unclassified" even without the ontology."""
    info = known.get(iri)
    if iri == UNCLASSIFIED and (
        info is None or info.label in ("stkg:Unclassified", "Unclassified")
    ):
        return "unclassified"
    return info.label if info else iri


def tier_rank_expression(variable: str) -> str:
    """A SPARQL expression ordering tiers from prohibited to unclassified (then none)."""
    expression = str(len(TIERS))
    for rank, tier in reversed(list(enumerate(TIERS))):
        expression = f"IF(?{variable} = {iri_term(tier)}, {rank}, {expression})"
    return f"COALESCE({expression}, {len(TIERS)})"


def _module():
    try:
        return importlib.import_module("stkg.classify")
    except ImportError:
        return None


def explanations(system: str) -> list[dict[str, Any]]:
    """Each derivation of the system's tier: the tier, the rule, its legal basis, the recorded
    facts it rests on and the sentence that explains it. One system's resources only (the
    classification graph holds one per system and rule)."""
    ensure_classification()
    graph = iri_term(CLASSIFICATION_GRAPH)
    text = (
        "PREFIX stkg: <https://w3id.org/stkg#>\n"
        "PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>\n"
        "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
        f"SELECT ?c ?tier ?rule ?why ?basis ?s ?p ?o WHERE {{ GRAPH {graph} {{\n"
        f"  ?c stkg:classifiedSystem {iri_term(system)} ; stkg:tier ?tier .\n"
        "  OPTIONAL { ?c stkg:byRule ?rule } OPTIONAL { ?c rdfs:comment ?why }\n"
        "  OPTIONAL { ?c stkg:legalBasis ?basis }\n"
        "  OPTIONAL { ?c stkg:basedOnFact ?f .\n"
        "             ?f rdf:subject ?s ; rdf:predicate ?p ; rdf:object ?o }\n"
        "} } ORDER BY ?c"
    )
    found: dict[str, dict[str, Any]] = {}
    for row in current_app.extensions["stkg"]["store"].query(text).dicts():
        entry = found.setdefault(
            row["c"].value,
            {"tier": row["tier"].value, "rule": None, "explanation": "", "basis": [], "facts": []},
        )
        if row.get("rule") is not None:
            entry["rule"] = row["rule"].value
        if row.get("why") is not None:
            entry["explanation"] = row["why"].value
        if row.get("basis") is not None and row["basis"].value not in entry["basis"]:
            entry["basis"].append(row["basis"].value)
        if row.get("s") is not None:
            fact = (row["s"].value, row["p"].value, row["o"].value)
            if fact not in entry["facts"]:
                entry["facts"].append(fact)
    iris = {system}
    for e in found.values():
        iris |= {e["tier"], *e["basis"], *([e["rule"]] if e["rule"] else [])}
        for s, p, o in e["facts"]:
            iris |= {s, p} | ({o} if _looks_like_iri(o) else set())
    known = describe(iris)

    def term(value: str | None) -> dict[str, Any]:
        if value in known:
            return {**known[value].as_dict(), "text": known[value].label}
        return {"text": value or ""}

    ordered = sorted(
        found.values(),
        key=lambda e: (
            TIERS.index(e["tier"]) if e["tier"] in TIERS else len(TIERS),
            e["rule"] or "",
        ),
    )
    return [
        {
            "tier": term(e["tier"]),
            "rule": term(e["rule"]),
            "explanation": e["explanation"],
            "legal_basis": [term(b) for b in sorted(e["basis"])],
            "facts": [
                {"subject": term(s), "predicate": term(p), "object": term(o)}
                for s, p, o in sorted(e["facts"])
            ],
        }
        for e in ordered
    ]


def _looks_like_iri(value: str) -> bool:
    return "://" in value and " " not in value
