"""The triples of a generated portfolio: the organisation, then one system at a time.

Terms are written as prefixed names (`gen:system-000001`) or ready-made literals, so that the
same facts become Turtle as they are and N-Triples by expanding the prefixes
(`stkg.generate.write`). Every system is fully governed except for its one planned gap.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from stkg.generate_catalogue import CONTROLS, DEPARTMENTS, ENTITIES, PROVIDER_CONTROLS, USE_CASES

if TYPE_CHECKING:
    from stkg.generate import Plan, SystemPlan

Facts = list[tuple[str, str]]


def literal(text: str, lang: str | None = None) -> str:
    """An escaped literal, valid in N-Triples and Turtle alike."""
    escaped = (
        text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
    )
    if any(ord(c) < 0x20 for c in escaped):
        escaped = "".join(c if ord(c) >= 0x20 else f"\\u{ord(c):04X}" for c in escaped)
    return f'"{escaped}"' + (f"@{lang}" if lang else "")


def _dept(slug: str, unit: int, role: str) -> str:
    return f"gen:{slug}-{unit + 1}-{role}"


def organisation(plan: Plan) -> Iterator[tuple[str, Facts]]:
    """The organisation: entities, units, people, controls, contexts, catalogues."""
    yield "gen:group", [("a", "stkg:Organisation"), ("rdfs:label", literal("Generated Group"))]
    for slug, label in ENTITIES.items():
        yield (
            f"gen:{slug}",
            [
                ("a", "stkg:Organisation"),
                ("rdfs:label", literal(label)),
                ("stkg:memberOf", "gen:group"),
            ],
        )
    yield (
        "gen:ai-incident-team",
        [
            ("a", "stkg:Team"),
            ("rdfs:label", literal("AI incident response team")),
            ("stkg:memberOf", "gen:technology"),
        ],
    )
    yield (
        "gen:market-surveillance-authority",
        [
            ("a", "stkg:Organisation"),
            ("rdfs:label", literal("Market surveillance authority")),
        ],
    )
    for slug, (label, requirements) in CONTROLS.items():
        yield (
            f"gen:control-{slug}",
            [
                ("a", "stkg:Control"),
                ("rdfs:label", literal(label)),
                *(("stkg:implements", r) for r in requirements),
            ],
        )
    for slug, label, entity in DEPARTMENTS:
        yield (
            f"gen:{slug}-head",
            [
                ("a", "stkg:Person"),
                ("rdfs:label", literal(f"Head of {label}")),
                ("stkg:memberOf", f"gen:{entity}"),
            ],
        )
        yield (
            f"gen:{slug}-policy",
            [("a", "stkg:Policy"), ("rdfs:label", literal(f"{label} AI policy"))],
        )
        yield f"gen:{slug}-mailbox", [("rdfs:label", literal(f"{slug}-ai@ shared mailbox"))]
        yield (
            f"gen:{slug}-monitoring-procedure",
            [
                ("a", "stkg:Document"),
                ("rdfs:label", literal(f"{label} post-market monitoring procedure")),
            ],
        )
        yield (
            f"gen:{slug}-monitoring-report",
            [
                ("a", "stkg:Evidence"),
                ("rdfs:label", literal(f"{label} monitoring report")),
            ],
        )
        for unit in range(plan.units):
            for role, what in (
                ("developers", "data science"),
                ("users", "operations"),
                ("reviewers", "review"),
                ("operators", "model operations"),
            ):
                yield (
                    _dept(slug, unit, role),
                    [
                        ("a", "stkg:Team"),
                        ("rdfs:label", literal(f"{label} {unit + 1} {what} team")),
                        ("stkg:memberOf", f"gen:{entity}"),
                    ],
                )
            for person in range(plan.people):
                yield (
                    _person(slug, unit, person),
                    [
                        ("a", "stkg:Person"),
                        ("rdfs:label", literal(f"{label} {unit + 1} person {person + 1}")),
                        ("stkg:memberOf", _dept(slug, unit, "users")),
                    ],
                )
    for case in USE_CASES:
        context = [
            ("a", "stkg:BusinessContext"),
            ("rdfs:label", literal(f"{case.label} in the EU")),
            ("stkg:jurisdiction", literal("EU")),
        ]
        if case.annex:
            context.append(("stkg:annexIIIArea", f"euaia:{case.annex}"))
        yield f"gen:context-{case.slug}", context
        yield (
            f"gen:consequence-{case.slug}",
            [
                ("a", "stkg:Consequence"),
                ("rdfs:label", literal(case.consequence)),
            ],
        )
        yield f"gen:risk-{case.slug}", [("a", "stkg:Risk"), ("rdfs:label", literal(case.risk))]
        yield (
            f"gen:affected-{case.slug}",
            [
                ("a", "stkg:StakeholderGroup"),
                ("rdfs:label", literal(case.affected)),
            ],
        )
        yield (
            f"gen:evidence-{case.slug}",
            [
                ("a", "stkg:Evidence"),
                ("rdfs:label", literal(f"{case.label} case file")),
            ],
        )


def _person(slug: str, unit: int, person: int) -> str:
    return f"gen:{slug}-{unit + 1}-person-{person + 1}"


def system_facts(s: SystemPlan) -> Iterator[tuple[str, Facts]]:
    """The triples of one system, fully governed except for its one gap."""
    case, gap, n = s.use_case, s.gap, f"{s.index:06d}"
    slug = case.slug
    dept = case.department
    me = f"gen:system-{n}"
    developers = _dept(dept, s.unit, "developers")
    users = _dept(dept, s.unit, "users")
    owner = _person(dept, s.unit, s.owner)
    head = f"gen:{dept}-head"
    props: list[tuple[str, str]] = [
        ("a", "stkg:SocialTechnicalSystem"),
        ("rdfs:label", literal(f"{case.label} {n}")),
        ("stkg:hasDeveloper", developers),
        ("stkg:affects", f"gen:affected-{slug}"),
        ("stkg:hasComponent", f"gen:model-{n}"),
        ("stkg:hasContextOfUse", f"gen:context-{slug}"),
        *(("stkg:euAIActRole", f"stkg:{role}") for role in s.roles),
    ]
    if gap != "no-owner":
        props.append(("stkg:hasOwner", users if gap == "team-owner" else owner))
    if gap != "no-user":
        props.append(("stkg:hasUser", users))
    if gap != "no-impact-level":
        props.append(("stkg:impactLevel", f"stkg:{s.impact}"))
    if gap != "no-consequence":
        props.append(("stkg:consequenceOfError", f"gen:consequence-{slug}"))
    if gap != "no-lifecycle-stage":
        props.append(("stkg:lifecycleStage", f"stkg:{s.stage}"))
    if gap != "no-risk-recorded":
        props.append(("stkg:hasRisk", f"gen:risk-{slug}"))
    nodes: list[tuple[str, list[tuple[str, str]]]] = [(f"gen:model-{n}", [("a", "stkg:AIModel")])]
    if gap != "no-decision":
        decision = f"gen:decision-{n}"
        props.append(("stkg:supportsDecision", decision))
        facts = [("a", "stkg:Decision"), ("rdfs:label", literal(case.decision))]
        if gap != "decision-no-maker":
            facts.append(("stkg:decisionMaker", users))
        facts.append(("stkg:automationLevel", "stkg:HumanInTheLoop" if s.high else "stkg:Advisory"))
        nodes.append((decision, facts))
    if gap != "no-governance":
        props.append(("stkg:governedBy", f"gen:{dept}-policy"))
        props.append(("stkg:governedBy", "gen:control-ai-roles"))
        controls = []
        if s.eu_provider_active:
            controls += PROVIDER_CONTROLS
        if s.eu_deployer_deployed:
            controls.append("deployer-obligations")
        if s.fria:
            controls.append("fundamental-rights")
        if s.high:
            controls.append("human-oversight")
        skip = {
            "no-data-governance-control": "data-governance",
            "no-logging-control": "event-logging",
            "no-instructions-control": "instructions-for-use",
            "no-accuracy-control": "accuracy-robustness",
            "no-deployer-control": "deployer-obligations",
        }.get(gap or "")
        props += [("stkg:governedBy", f"gen:control-{c}") for c in controls if c != skip]
    if s.eu_provider_active and gap != "no-technical-documentation":
        props.append(("stkg:documentedIn", f"gen:technical-file-{n}"))
        nodes.append((f"gen:technical-file-{n}", [("a", "stkg:Document")]))
    if s.eu_provider_active and gap != "no-risk-assessment":
        props.append(("stkg:hasAssessment", f"gen:risk-assessment-{n}"))
        nodes.append((f"gen:risk-assessment-{n}", [("a", "stkg:RiskAssessment")]))
    if s.needs_impact_assessment and gap != "no-impact-assessment":
        props.append(("stkg:hasAssessment", f"gen:impact-assessment-{n}"))
        nodes.append((f"gen:impact-assessment-{n}", [("a", "stkg:ImpactAssessment")]))
    if gap != "no-raci":
        nodes.append(
            (
                f"gen:raci-{n}",
                [
                    ("a", "stkg:ResponsibilityAssignment"),
                    ("stkg:assignedTo", owner),
                    ("stkg:assignedFor", me),
                    ("stkg:raciRole", "stkg:Accountable"),
                ],
            )
        )
    processes = []
    if gap != "no-escalation":
        facts = [("a", "stkg:EscalationPath")]
        if gap != "escalation-no-trigger":
            facts.append(("stkg:trigger", literal(f"{case.consequence} suspected", "en")))
        facts.append(
            ("stkg:escalatesTo", f"gen:{dept}-mailbox" if gap == "escalation-to-mailbox" else head)
        )
        if gap != "process-no-performer":
            facts.append(("stkg:performedBy", users))
        processes.append((f"gen:escalation-{n}", facts))
    if s.has_review and gap != "no-human-review":
        reviewers = (
            developers if gap == "reviewer-is-developer" else _dept(dept, s.unit, "reviewers")
        )
        facts = [("a", "stkg:HumanReview"), ("stkg:performedBy", reviewers)]
        if gap != "review-no-evidence":
            facts.append(("stkg:requiresEvidence", f"gen:evidence-{slug}"))
        processes.append((f"gen:review-{n}", facts))
    if s.deployed and gap != "no-monitoring":
        facts = [
            ("a", "stkg:MonitoringProcess"),
            ("stkg:performedBy", _dept(dept, s.unit, "operators")),
        ]
        if gap != "monitoring-no-frequency":
            facts.append(("stkg:frequency", literal("monthly")))
        if gap != "monitoring-no-evidence":
            facts.append(("stkg:requiresEvidence", f"gen:{dept}-monitoring-report"))
        if gap != "monitoring-undocumented":
            facts.append(("stkg:documentedIn", f"gen:{dept}-monitoring-procedure"))
        processes.append((f"gen:monitoring-{n}", facts))
    if s.deployed and gap != "no-deployment-approval":
        processes.append(
            (f"gen:approval-{n}", [("a", "stkg:ApprovalProcess"), ("stkg:performedBy", head)])
        )
    if s.needs_incident_response and gap != "no-incident-response":
        facts = [
            ("a", "stkg:IncidentResponseProcess"),
            ("stkg:performedBy", "gen:ai-incident-team"),
        ]
        if gap != "incident-not-reported":
            facts.append(("stkg:escalatesTo", "gen:market-surveillance-authority"))
        processes.append((f"gen:incident-response-{n}", facts))
    props += [("stkg:hasProcess", iri) for iri, _ in processes]
    yield me, props
    yield from nodes
    yield from processes
