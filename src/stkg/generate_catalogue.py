"""What a generated portfolio is made of: use cases, departments, controls and gap types.

`stkg.generate` draws systems from these tables. Each gap type removes one fact from an
otherwise fully governed system; `GAPS` says which systems can have it, how often, and which
shapes then report it, so the validation results of a generated portfolio are known exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

# Departments: slug, label, the group entity they belong to.
DEPARTMENTS: tuple[tuple[str, str, str], ...] = (
    ("retail-credit", "Retail Credit", "bank"),
    ("cards", "Cards", "bank"),
    ("payments", "Payments and Fraud", "bank"),
    ("financial-crime", "Financial Crime", "bank"),
    ("customer-service", "Customer Service", "bank"),
    ("marketing", "Marketing", "bank"),
    ("underwriting", "Underwriting", "insurance"),
    ("claims", "Claims", "insurance"),
    ("clinic", "Digital Clinic", "health"),
    ("people", "People and HR", "technology"),
    ("it-operations", "IT Operations", "technology"),
    ("academy", "Group Academy", "technology"),
)

ENTITIES: dict[str, str] = {
    "bank": "Generated Bank",
    "insurance": "Generated Assurance",
    "health": "Generated Health",
    "technology": "Generated Group Technology",
}


@dataclass(frozen=True)
class UseCase:
    slug: str
    label: str
    department: str
    weight: int  # relative frequency in a portfolio
    annex: str | None  # EU AI Act Annex III point (local name in the catalogue) or None
    high_share: float  # share of its systems that are high impact
    decision: str
    consequence: str
    risk: str
    affected: str  # stakeholder group the system affects


USE_CASES: tuple[UseCase, ...] = (
    UseCase(
        "credit-scoring",
        "Consumer credit scoring",
        "retail-credit",
        6,
        "annex-III-5-b",
        0.9,
        "Credit approval",
        "Creditworthy applicant refused credit",
        "Indirect discrimination through proxy variables",
        "Loan applicants",
    ),
    UseCase(
        "credit-limits",
        "Credit limit management",
        "cards",
        4,
        "annex-III-5-b",
        0.7,
        "Credit limit change",
        "Limit raised beyond what the customer can repay",
        "Over-indebtedness of vulnerable customers",
        "Card holders",
    ),
    UseCase(
        "fraud-detection",
        "Payment fraud detection",
        "payments",
        6,
        None,
        0.2,
        "Block or release a payment",
        "Legitimate payment blocked",
        "Model drift as fraud patterns change",
        "Payment customers",
    ),
    UseCase(
        "aml-monitoring",
        "Transaction monitoring for money laundering",
        "financial-crime",
        4,
        None,
        0.6,
        "Raise a suspicious activity report",
        "Suspicious activity missed",
        "Alert fatigue hides true positives",
        "Customers",
    ),
    UseCase(
        "kyc-check",
        "Identity document check",
        "financial-crime",
        3,
        None,
        0.1,
        "Accept an identity document",
        "Genuine customer turned away at onboarding",
        "Lower accuracy for some document types",
        "Applicants for an account",
    ),
    UseCase(
        "chatbot",
        "Customer-service chatbot",
        "customer-service",
        7,
        None,
        0.0,
        "Answer or hand over to an agent",
        "Customer receives a misleading answer",
        "The language model invents a product condition",
        "Retail customers",
    ),
    UseCase(
        "emotion-recognition",
        "Call emotion analytics",
        "customer-service",
        2,
        "annex-III-1-c",
        0.5,
        "Flag a call for supervisor attention",
        "Customer treated on a wrong reading of emotion",
        "Emotion inference is unreliable across cultures",
        "Callers",
    ),
    UseCase(
        "next-best-offer",
        "Next-best-offer marketing",
        "marketing",
        6,
        None,
        0.0,
        "Select a product offer",
        "Unsuitable product offered",
        "Targeting exploits vulnerabilities",
        "Prospects",
    ),
    UseCase(
        "insurance-pricing",
        "Life and health insurance pricing",
        "underwriting",
        4,
        "annex-III-5-c",
        0.9,
        "Premium quote",
        "Premium set unfairly high",
        "Pricing on protected characteristics",
        "Policy applicants",
    ),
    UseCase(
        "claims-triage",
        "Claims triage",
        "claims",
        5,
        None,
        0.3,
        "Fast-track or investigate a claim",
        "Valid claim delayed by investigation",
        "Bias against some claimant groups",
        "Claimants",
    ),
    UseCase(
        "medical-triage",
        "Emergency call triage",
        "clinic",
        2,
        "annex-III-5-d",
        1.0,
        "Urgency of a patient call",
        "Urgent patient given a low priority",
        "Missed symptoms in under-represented groups",
        "Patients",
    ),
    UseCase(
        "candidate-screening",
        "Candidate screening",
        "people",
        4,
        "annex-III-4-a",
        0.8,
        "Shortlist a candidate",
        "Qualified candidate rejected at screening",
        "Ranking reproduces past hiring bias",
        "Job applicants",
    ),
    UseCase(
        "workforce-allocation",
        "Task allocation and performance monitoring",
        "people",
        3,
        "annex-III-4-b",
        0.5,
        "Allocate work and rate performance",
        "Worker rated unfairly",
        "Surveillance chills workers",
        "Employees",
    ),
    UseCase(
        "writing-assistant",
        "Generative writing assistant",
        "marketing",
        6,
        None,
        0.0,
        "Draft text for review",
        "Inaccurate statement published",
        "Confabulated facts",
        "Readers of published text",
    ),
    UseCase(
        "code-assistant",
        "Code assistant",
        "it-operations",
        5,
        None,
        0.0,
        "Suggest code",
        "Vulnerable code merged",
        "Insecure code suggestions",
        "Software users",
    ),
    UseCase(
        "network-operations",
        "Data-centre network control",
        "it-operations",
        2,
        "annex-III-2",
        0.7,
        "Reroute or throttle network traffic",
        "Outage of critical digital services",
        "Cascading failure",
        "Users of critical digital services",
    ),
    UseCase(
        "learning-assessment",
        "Vocational training assessment",
        "academy",
        2,
        "annex-III-3-b",
        0.5,
        "Pass or fail a course assessment",
        "Learner failed wrongly",
        "Assessment bias against non-native speakers",
        "Learners",
    ),
)

# Group controls: slug, label, requirement IRIs (prefixed names) it implements.
CONTROLS: dict[str, tuple[str, tuple[str, ...]]] = {
    "ai-roles": ("RACI for every AI system", ("nist:GOVERN-2.1", "iso:A.3.2")),
    "human-oversight": (
        "Human oversight standard",
        ("euaia:art-14", "nist:MAP-3.5", "nist:GOVERN-3.2", "iso:A.9.2"),
    ),
    "deployment-approval": ("Approval before deployment", ("iso:A.6.2.5", "nist:GOVERN-1.6")),
    "drift-monitoring": (
        "Performance and drift monitoring",
        ("nist:MANAGE-4.1", "nist:MEASURE-2.4", "iso:A.6.2.6"),
    ),
    "risk-management": (
        "Model risk management",
        ("euaia:art-9", "nist:GOVERN-1.4", "nist:MANAGE-1.3", "iso:6.1.2"),
    ),
    "data-governance": ("Training data governance", ("euaia:art-10", "iso:A.7.4")),
    "event-logging": ("Automatic event logging", ("euaia:art-12", "iso:A.6.2.8")),
    "instructions-for-use": ("Instructions for use", ("euaia:art-13", "iso:A.8.2")),
    "accuracy-robustness": (
        "Accuracy, robustness and cybersecurity testing",
        ("euaia:art-15", "nist:MEASURE-2.5", "iso:A.6.2.4"),
    ),
    "deployer-obligations": ("Deployer checklist", ("euaia:art-26", "iso:A.9.4")),
    "fundamental-rights": (
        "Fundamental rights impact assessment",
        ("euaia:art-27", "iso:A.5.4", "iso:6.1.4"),
    ),
    "incident-reporting": (
        "Serious incident reporting",
        ("euaia:art-73", "nist:MANAGE-4.3", "iso:A.8.4"),
    ),
}
PROVIDER_CONTROLS = (
    "risk-management",
    "data-governance",
    "event-logging",
    "instructions-for-use",
    "accuracy-robustness",
)

STAGES: tuple[tuple[str, float], ...] = (
    ("Deployed", 0.55),
    ("InDevelopment", 0.15),
    ("Validation", 0.10),
    ("Design", 0.10),
    ("Retired", 0.10),
)
ROLES: tuple[tuple[tuple[str, ...], float], ...] = (
    (("ProviderRole", "DeployerRole"), 0.70),  # built and used in-house
    (("DeployerRole",), 0.20),  # bought from a vendor
    (("ProviderRole",), 0.10),  # built for other group entities
)


@dataclass(frozen=True)
class Gap:
    """One kind of missing fact: its share of all systems, and who can have it."""

    slug: str
    share: float
    eligible: str  # a predicate name of `SystemPlan` (see stkg.generate)
    missing: str


# Most constrained first: gaps are assigned in this order, one gap per system at most.
GAPS: tuple[Gap, ...] = (
    Gap("no-deployer-control", 0.01, "eu_deployer_deployed", "no control implements Art. 26"),
    Gap(
        "monitoring-undocumented",
        0.01,
        "eu_provider_deployed",
        "monitoring not documented in a post-market monitoring plan",
    ),
    Gap(
        "incident-not-reported", 0.01, "eu_provider_deployed", "incident response reports to nobody"
    ),
    Gap("no-risk-assessment", 0.01, "eu_provider_active", "no risk assessment (Art. 9)"),
    Gap("no-data-governance-control", 0.01, "eu_provider_active", "no control implements Art. 10"),
    Gap(
        "no-technical-documentation",
        0.01,
        "eu_provider_active",
        "documented in no document (Art. 11)",
    ),
    Gap("no-logging-control", 0.01, "eu_provider_active", "no control implements Art. 12"),
    Gap("no-instructions-control", 0.01, "eu_provider_active", "no control implements Art. 13"),
    Gap("no-accuracy-control", 0.01, "eu_provider_active", "no control implements Art. 15"),
    Gap("no-impact-assessment", 0.03, "needs_impact_assessment", "no impact assessment"),
    Gap("no-incident-response", 0.02, "needs_incident_response", "no incident response process"),
    Gap("no-human-review", 0.03, "has_review", "no human review"),
    Gap("review-no-evidence", 0.02, "has_review", "the review names no evidence"),
    Gap("reviewer-is-developer", 0.02, "has_review", "the developer reviews the output"),
    Gap("no-lifecycle-stage", 0.02, "before_deployment", "no lifecycle stage"),
    Gap("no-monitoring", 0.04, "deployed", "deployed without monitoring"),
    Gap("monitoring-no-evidence", 0.02, "deployed", "monitoring leaves no evidence"),
    Gap("monitoring-no-frequency", 0.03, "deployed", "monitoring without a frequency"),
    Gap("no-deployment-approval", 0.03, "deployed", "deployed without an approval process"),
    Gap("no-governance", 0.02, "no_eu_controls", "governed by no policy or control"),
    Gap("no-impact-level", 0.03, "not_high_impact", "no impact level"),
    Gap("no-user", 0.02, "any", "no user"),
    Gap("no-decision", 0.02, "any", "no decision"),
    Gap("no-consequence", 0.04, "any", "no consequence of error"),
    Gap("no-escalation", 0.05, "any", "no escalation path"),
    Gap("escalation-no-trigger", 0.02, "any", "escalation path without a trigger"),
    Gap("escalation-to-mailbox", 0.01, "any", "escalates to a shared mailbox"),
    Gap("process-no-performer", 0.02, "any", "escalation path nobody performs"),
    Gap("no-owner", 0.02, "any", "no accountable owner"),
    Gap("team-owner", 0.04, "any", "owned by a team, not a named person"),
    Gap("decision-no-maker", 0.03, "any", "nobody takes the decision"),
    Gap("no-raci", 0.05, "any", "no RACI assignment"),
    Gap("no-risk-recorded", 0.06, "any", "no risk recorded"),
)
