"""EU AI Act tiers as the explorer reads them: derived, never guessed, never written on GET.

`stkg.classify` derives each system's tier from the store's facts with its rules (the
derivation, with its rule, facts and explanation). The explorer computes that once per store
version and keeps it in the app's caches (`stkg.web.state`); it does not write the
classification graph into the store (a GET changes nothing: `stkg classify --store` writes
it, for those who want it queryable). A tier asserted in the data (`stkg:euAIActTier`) is
shown beside the derived ones.
"""

from __future__ import annotations

from typing import Any

from stkg.classify import Classification, classify, tiers_by_system
from stkg.web.state import state
from stkg.web.terms import FRAMEWORK_BASE, STKG, describe, iri_term

TIER_BASE = FRAMEWORK_BASE + "eu-ai-act/tier/"
UNCLASSIFIED = STKG + "Unclassified"
TIER_NAMES = ("prohibited", "high-risk-annex-i", "high-risk-annex-iii", "transparency", "minimal")
TIERS = (*(TIER_BASE + t for t in TIER_NAMES), UNCLASSIFIED)  # most serious first
NOT_CLASSIFIED = "not classified"


def classifications() -> list[Classification]:
    """Every derivation of every system's tier, for this store version."""
    return state().caches.get("classification", lambda: classify(state().store), pending=list)


def derived_tiers() -> dict[str, list[str]]:
    """Each system's derived tiers, most serious first."""
    return state().caches.get(
        "classification tiers", lambda: tiers_by_system(classifications()), pending=dict
    )


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


def explanations(system: str) -> list[dict[str, Any]]:
    """Each derivation of the system's tier: the tier, the rule, its legal basis, the recorded
    facts it rests on and the sentence that explains it."""
    found = {
        c.iri or f"{c.tier} {c.rule}": {
            "tier": c.tier,
            "rule": c.rule or None,
            "explanation": c.explanation,
            "basis": list(c.legal_basis),
            "facts": [(f.subject, f.predicate, f.object) for f in c.facts],
        }
        for c in classifications()
        if c.system == system
    }
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
