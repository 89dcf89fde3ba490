"""The start page, a portfolio dashboard: `/` and its JSON twin `/index.json`.

It keeps what was loaded (counts, graphs, project, version) and adds the portfolio at a
glance: systems by impact level, lifecycle stage and EU AI Act tier (the `/systems`
facets, counted on the app's portfolio index), and open gaps by severity and by framework
(from the app's cached validation). The page draws each as bars beside a table of the
numbers. The counts of what is loaded are kept per version of the store.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from flask import Blueprint, Response, jsonify, render_template, url_for

from stkg import __version__
from stkg.summary import summarize
from stkg.validate import SEVERITIES
from stkg.web.gaps import (
    HIGH_RISK_NAME,
    GapIndex,
    gap_index,
    severity_counts,
    systems_in_tier,
)
from stkg.web.state import state
from stkg.web.systems import facet_counts
from stkg.web.terms import FRAMEWORK_BASE, describe

blueprint = Blueprint("index", __name__)

TONES = {"Violation": "bad", "Warning": "warn", "Info": "info"}
SHAPES = "https://w3id.org/stkg/shapes#"
EU_AI_ACT = FRAMEWORK_BASE + "eu-ai-act"
WORST = 5  # systems listed under "needs attention first"
# Gap types a governance lead asks about by name: (key, label, shape)
MISSING = (
    ("no-owner", "Systems without an accountable owner", SHAPES + "AccountableOwnerShape"),
    ("no-escalation", "Systems without an escalation path", SHAPES + "EscalationPathShape"),
)


def dashboard_data() -> dict[str, Any]:
    """The portfolio in numbers, each with the link to the systems or gaps it counts."""

    def facet(name: str) -> list[dict[str, Any]]:
        return [
            {**row, "url": url_for("systems.systems_page", **{name: row["value"]})}
            for row in facet_counts(name, {})
        ]

    index = gap_index()
    counts = index.report.counts()
    by_framework: Counter[str] = Counter()
    for result in index.report.results:
        for framework in {r.framework for r in result.requirements if r.framework}:
            by_framework[framework] += 1
    labels = describe(by_framework)
    return {
        "attention": attention(),
        "worst": worst_systems(index),
        "systems_by_impact": facet("impact"),
        "systems_by_stage": facet("stage"),
        "systems_by_tier": facet("tier"),
        "gaps_by_severity": [
            {
                "value": s,
                "label": s,
                "count": counts.get(s, 0),
                "tone": TONES.get(s),
                "url": url_for("gaps.gaps_page", severity=s),
            }
            for s in SEVERITIES
        ],
        "gaps_by_framework": [
            {
                "value": f,
                "label": labels[f].label,
                "count": n,
                "systems": len(index.systems_by_framework.get(f, ())),
                "url": url_for("gaps.gaps_page", framework=f, group="requirement"),
            }
            for f, n in sorted(by_framework.items(), key=lambda i: (-i[1], labels[i[0]].label))
        ],
        "validation_error": index.error,
        "systems_with_gaps": len(index.by_system),
        "open_gaps": len(index.report.results),
    }


def attention() -> list[dict[str, Any]]:
    """The numbers a governance lead asks for first, each a link to the list it counts;
    counted once per version of the store. The counts read the gap index inside their own
    cache entry, not a caller's copy: during the warm-up that may be the empty placeholder,
    and counts made from it must not be kept."""
    counts = state().caches.get("attention", lambda: _attention_counts(gap_index()))
    tiles = [
        {
            "key": "high-risk-violations",
            "label": "High-risk systems with open violations",
            "url": url_for("gaps.gaps_page", tier=HIGH_RISK_NAME, severity="Violation"),
        },
        *(
            {"key": key, "label": label, "url": url_for("systems.systems_page", shape=shape)}
            for key, label, shape in MISSING
        ),
        {
            "key": "eu-unmet",
            "label": "EU AI Act obligations unmet (system × article)",
            "url": url_for(
                "gaps.gaps_page", framework=EU_AI_ACT, severity="Violation", group="requirement"
            ),
        },
    ]
    for tile in tiles:
        tile["count"] = counts[tile["key"]]
        tile["tone"] = "bad" if tile["count"] else "ok"
    return tiles


def _attention_counts(index: GapIndex) -> dict[str, int]:
    violating = {s for r in index.report.results if r.severity == "Violation" for s in r.systems}
    high_risk = systems_in_tier(HIGH_RISK_NAME) & violating
    unmet = {
        (system, req.iri)
        for r in index.report.results
        if r.severity == "Violation"
        for req in r.requirements
        if req.framework == EU_AI_ACT
        for system in r.systems
    }
    return {
        "high-risk-violations": len(high_risk),
        **{key: len(index.systems_by_shape.get(shape, ())) for key, _, shape in MISSING},
        "eu-unmet": len(unmet),
    }


def worst_systems(index: GapIndex) -> list[dict[str, Any]]:
    """The systems with the worst gaps, worst first (the order of `/gaps`)."""
    ranked = [(s, index.by_system[s]) for s in index.worst_first()[:WORST]]
    return [
        {
            "iri": system,
            "label": index.label(system),
            "url": url_for("system.system_page", iri=system),
            "severities": severity_counts(results),
        }
        for system, results in ranked
    ]


def summary() -> dict[str, Any]:
    """What is loaded (`stkg.summary`), counted once per version of the store."""
    web = state()
    return web.caches.get("summary", lambda: summarize(web.store, web.project, web.graphs()))


def index_data() -> dict[str, Any]:
    dashboard = dashboard_data()  # first: it may derive the classification graph
    return {
        "version": __version__,
        **summary(),
        "dashboard": dashboard,
    }


@blueprint.get("/")
def index() -> str:
    return render_template("index.html", data=index_data())


@blueprint.get("/index.json")
def index_json() -> Response:
    return jsonify(index_data())
