"""A deterministic synthetic portfolio in stkg's vocabulary, for benchmarks and tests at scale.

`plan(systems, seed)` decides every system (use case, team, stage, impact, EU AI Act roles)
and which one fact, if any, it lacks; `write(plan, out, fmt)` writes N-Triples or Turtle
straight from string templates (no rdflib graph: 100,000 systems are about 4 million
triples). The same size and seed give a byte-identical file.

Gaps are decided, not sampled per triple: `Plan.expected_results()` says exactly how many
validation results each shape reports, which tests compare with the validator.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import TextIO

from stkg.generate_catalogue import DEPARTMENTS, GAPS, ROLES, STAGES, USE_CASES, UseCase
from stkg.generate_triples import organisation, system_facts
from stkg.namespace import STKG_NS

GENERATED = "https://w3id.org/stkg/example/generated/"
SHAPES = "https://w3id.org/stkg/shapes#"
NAMESPACES: dict[str, str] = {
    "stkg": STKG_NS,
    "gen": GENERATED,
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "nist": "https://w3id.org/stkg/framework/nist-ai-rmf/",
    "iso": "https://w3id.org/stkg/framework/iso-iec-42001/",
    "euaia": "https://w3id.org/stkg/framework/eu-ai-act/",
}
FORMATS = {".nt": "nt", ".ttl": "turtle"}
SYSTEMS_PER_UNIT = 25  # a unit (developers, users, reviewers, operators) serves ~25 systems
SYSTEMS_PER_PERSON = 5
FRIA_POINTS = ("annex-III-5-b", "annex-III-5-c")  # Art. 27(1) for private deployers


@dataclass
class SystemPlan:
    """One generated system: everything its triples follow from."""

    index: int
    use_case: UseCase
    unit: int  # index into the units of its department
    owner: int  # index of a person of that unit
    stage: str
    high: bool
    impact: str
    roles: tuple[str, ...]
    gap: str | None = None

    @property
    def deployed(self) -> bool:
        return self.stage == "Deployed"

    @property
    def eu_provider_active(self) -> bool:
        return bool(self.use_case.annex) and "ProviderRole" in self.roles and not self.retired

    @property
    def eu_provider_deployed(self) -> bool:
        return bool(self.use_case.annex) and "ProviderRole" in self.roles and self.deployed

    @property
    def eu_deployer_deployed(self) -> bool:
        return bool(self.use_case.annex) and "DeployerRole" in self.roles and self.deployed

    @property
    def fria(self) -> bool:
        return self.eu_deployer_deployed and self.use_case.annex in FRIA_POINTS

    @property
    def retired(self) -> bool:
        return self.stage == "Retired"

    @property
    def has_review(self) -> bool:
        return self.high or self.eu_provider_active

    @property
    def needs_impact_assessment(self) -> bool:
        return self.high or self.fria

    @property
    def needs_incident_response(self) -> bool:
        return (self.high and self.deployed) or self.eu_provider_deployed

    @property
    def before_deployment(self) -> bool:
        return self.stage in ("Design", "InDevelopment", "Validation")

    @property
    def no_eu_controls(self) -> bool:
        return not (self.eu_provider_active or self.eu_deployer_deployed)

    @property
    def not_high_impact(self) -> bool:
        return not self.high

    @property
    def any(self) -> bool:
        return True

    def results(self) -> list[str]:
        """The shapes (local names) that report this system's gap, once each."""
        gap, found = self.gap, []
        if gap is None:
            return found
        if gap == "no-human-review":
            found += ["HumanReview"] * self.high + ["EUHumanOversight"] * self.eu_provider_active
        elif gap == "no-impact-assessment":
            found += ["ImpactAssessment"] * self.high + ["EUFundamentalRightsImpact"] * self.fria
        elif gap == "no-incident-response":
            found += ["IncidentResponse"] * (self.high and self.deployed)
            found += ["EUSeriousIncidentReporting"] * self.eu_provider_deployed
        elif gap == "no-monitoring":
            found += ["Monitoring"] + ["EUPostMarketMonitoring"] * self.eu_provider_deployed
        else:
            found.append(GAP_SHAPES[gap])
        return found


GAP_SHAPES: dict[str, str] = {
    "no-deployer-control": "EUDeployerObligations",
    "monitoring-undocumented": "EUPostMarketMonitoring",
    "incident-not-reported": "EUSeriousIncidentReporting",
    "no-risk-assessment": "EURiskManagement",
    "no-data-governance-control": "EUDataGovernance",
    "no-technical-documentation": "EUTechnicalDocumentation",
    "no-logging-control": "EURecordKeeping",
    "no-instructions-control": "EUTransparency",
    "no-accuracy-control": "EUAccuracyRobustness",
    "review-no-evidence": "ReviewEvidence",
    "reviewer-is-developer": "SeparationOfDuties",
    "no-lifecycle-stage": "LifecycleStage",
    "monitoring-no-evidence": "MonitoringEvidence",
    "monitoring-no-frequency": "MonitoringPlan",
    "no-deployment-approval": "DeploymentApproval",
    "no-governance": "Governance",
    "no-impact-level": "ImpactLevel",
    "no-user": "Users",
    "no-decision": "Decision",
    "no-consequence": "ConsequenceOfError",
    "no-escalation": "EscalationPath",
    "escalation-no-trigger": "EscalationTrigger",
    "escalation-to-mailbox": "EscalationRecipient",
    "process-no-performer": "ProcessRoles",
    "no-owner": "AccountableOwner",
    "team-owner": "NamedOwner",
    "decision-no-maker": "DecisionDocumentation",
    "no-raci": "RolesDocumented",
    "no-risk-recorded": "RiskRegister",
}


@dataclass
class Plan:
    systems: list[SystemPlan]
    seed: int
    units: int  # units per department
    people: int  # people per unit

    def gap_counts(self) -> dict[str, int]:
        counts = Counter(s.gap for s in self.systems if s.gap)
        return {g.slug: counts.get(g.slug, 0) for g in GAPS}

    def expected_results(self) -> dict[str, int]:
        """Validation results per shape IRI that validating this portfolio reports."""
        counts = Counter(shape for s in self.systems for shape in s.results())
        return {f"{SHAPES}{name}Shape": n for name, n in sorted(counts.items())}


def _weighted(rng: random.Random, options: tuple[tuple[object, float], ...]) -> object:
    return rng.choices([o for o, _ in options], [w for _, w in options])[0]


def plan(systems: int, seed: int = 0) -> Plan:
    """Decide every system and its gap. Deterministic in (systems, seed)."""
    if systems < 1:
        raise ValueError("a portfolio needs at least one system")
    rng = random.Random(seed)
    units = max(1, math.ceil(systems / (len(DEPARTMENTS) * SYSTEMS_PER_UNIT)))
    people = max(2, math.ceil(systems / SYSTEMS_PER_PERSON / (len(DEPARTMENTS) * units)))
    weights = [u.weight for u in USE_CASES]
    found = []
    for index in range(1, systems + 1):
        use_case = rng.choices(USE_CASES, weights)[0]
        high = rng.random() < use_case.high_share
        impact = "HighImpact" if high else rng.choice(("MediumImpact", "LowImpact"))
        found.append(
            SystemPlan(
                index=index,
                use_case=use_case,
                unit=rng.randrange(units),
                owner=rng.randrange(people),
                stage=str(_weighted(rng, STAGES)),
                high=high,
                impact=impact,
                roles=_weighted(rng, ROLES),  # type: ignore[arg-type]
            )
        )
    free = list(found)
    for gap in GAPS:  # most constrained first, one gap per system
        pool = [s for s in free if getattr(s, gap.eligible)]
        chosen = rng.sample(pool, min(len(pool), math.floor(gap.share * systems + 0.5)))
        for system in chosen:
            system.gap = gap.slug
        taken = {s.index for s in chosen}
        free = [s for s in free if s.index not in taken]
    return Plan(found, seed, units, people)


# --- Writing ----------------------------------------------------------------------------------


def _expand(term: str) -> str:
    if term[0] == '"':
        return term
    prefix, _, local = term.partition(":")
    return f"<{NAMESPACES[prefix]}{local}>"


def header(p: Plan) -> list[str]:
    """Comment lines for the top of the file: what was generated and the gaps it holds."""
    n = len(p.systems)
    lines = [
        f"stkg generate --systems {n} --seed {p.seed}",
        "Synthetic portfolio (fictional). One gap per system at most; the rest are fully",
        "governed. Intended share of all systems, and the count generated, per gap type:",
        "",
        f"{'gap':<28} {'share':>6} {'count':>7}  what is missing",
    ]
    counts = p.gap_counts()
    for gap in GAPS:
        lines.append(f"{gap.slug:<28} {gap.share:>6.1%} {counts[gap.slug]:>7}  {gap.missing}")
    lines += ["", "Expected validation results per shape:"]
    for shape, count in p.expected_results().items():
        lines.append(f"  {shape.removeprefix(SHAPES):<36} {count:>7}")
    return lines


def write(
    p: Plan,
    out: TextIO,
    fmt: str = "nt",
    progress: Callable[[int], None] | None = None,
) -> int:
    """Write the portfolio as N-Triples (`nt`) or Turtle (`turtle`); returns the triple count.

    `progress(k)` is called after every k systems written."""
    if fmt not in ("nt", "turtle"):
        raise ValueError(f"unknown format {fmt!r} (nt or turtle)")
    out.write("".join(f"# {line}\n".replace("# \n", "#\n") for line in header(p)))
    if fmt == "turtle":
        out.write("".join(f"@prefix {k}: <{v}> .\n" for k, v in NAMESPACES.items()) + "\n")
    block = _turtle if fmt == "turtle" else _ntriples
    triples = 0
    chunk: list[str] = []
    for subject, facts in organisation(p):
        chunk.append(block(subject, facts))
        triples += len(facts)
    step = 1000
    for i, system in enumerate(p.systems, start=1):
        for subject, facts in system_facts(system):
            chunk.append(block(subject, facts))
            triples += len(facts)
        if i % step == 0 or i == len(p.systems):
            out.write("".join(chunk))
            chunk.clear()
            if progress is not None:
                progress(step if i % step == 0 else i % step)
    return triples


_RDF_TYPE = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"


def _ntriples(subject: str, facts: list[tuple[str, str]]) -> str:
    s = _expand(subject)
    return "".join(
        f"{s} {_RDF_TYPE if p == 'a' else _expand(p)} {_expand(o)} .\n" for p, o in facts
    )


def _turtle(subject: str, facts: list[tuple[str, str]]) -> str:
    body = " ;\n    ".join(f"{p} {o}" for p, o in facts)
    return f"{subject} {body} .\n"
