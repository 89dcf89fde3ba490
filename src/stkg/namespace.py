"""The stkg vocabulary as a typo-safe rdflib namespace.

``STKG.hasOwner`` is ``URIRef("https://w3id.org/stkg#hasOwner")``; an unknown name such as
``STKG.hasOwnr`` raises ``AttributeError`` instead of silently minting a new IRI, the way rdflib's
own ``SH`` and ``OWL`` namespaces behave. The attributes mirror the terms declared in
``ontology/stkg.ttl``, grouped like its sections; ``tests/test_namespace.py`` keeps the two equal.
"""

from rdflib.namespace import DefinedNamespace, Namespace
from rdflib.term import URIRef

__all__ = ["STKG", "STKG_NS"]

STKG_NS = "https://w3id.org/stkg#"


class STKG(DefinedNamespace):
    """Terms of the stkg ontology (https://w3id.org/stkg)."""

    _NS = Namespace(STKG_NS)
    _fail = True

    # --- The social-technical system ---
    SocialTechnicalSystem: URIRef  # class: social-technical system
    # --- People: stakeholders, agents and stakeholder groups ---
    Stakeholder: URIRef  # class: stakeholder
    Agent: URIRef  # class: agent (under Stakeholder)
    Person: URIRef  # class: person (under Agent)
    Team: URIRef  # class: team (under Agent)
    Organisation: URIRef  # class: organisation (under Agent)
    Committee: URIRef  # class: committee (under AccountabilityStructure, Team)
    StakeholderGroup: URIRef  # class: stakeholder group (under Stakeholder)
    memberOf: URIRef  # Agent -> Agent: member of
    hasOwner: URIRef  # SocialTechnicalSystem -> Agent: has owner
    hasDeveloper: URIRef  # SocialTechnicalSystem -> Agent: has developer
    hasUser: URIRef  # SocialTechnicalSystem -> Stakeholder: has user
    hasDecisionMaker: URIRef  # SocialTechnicalSystem -> Agent: has decision maker
    affects: URIRef  # SocialTechnicalSystem -> Stakeholder: affects
    # --- Technology: technical components ---
    TechnicalComponent: URIRef  # class: technical component
    AISystem: URIRef  # class: AI system (under TechnicalComponent)
    AIModel: URIRef  # class: AI model (under TechnicalComponent)
    Dataset: URIRef  # class: dataset (under TechnicalComponent)
    Software: URIRef  # class: software (under TechnicalComponent)
    Infrastructure: URIRef  # class: infrastructure (under TechnicalComponent)
    hasComponent: URIRef  # SocialTechnicalSystem -> TechnicalComponent: has component
    usesModel: URIRef  # AISystem -> AIModel: uses model
    trainedOn: URIRef  # AIModel -> Dataset: trained on
    runsOn: URIRef  # TechnicalComponent -> Infrastructure: runs on
    # --- Processes ---
    Process: URIRef  # class: process
    Workflow: URIRef  # class: workflow (under Process)
    ApprovalProcess: URIRef  # class: approval process (under Process)
    HumanReview: URIRef  # class: human review (under Process)
    MonitoringProcess: URIRef  # class: monitoring process (under Process)
    EscalationPath: URIRef  # class: escalation path (under Process)
    IncidentResponseProcess: URIRef  # class: incident response process (under Process)
    hasProcess: URIRef  # SocialTechnicalSystem -> Process: has process
    performedBy: URIRef  # Process -> Agent: performed by
    escalatesTo: URIRef  # Process -> Agent: escalates to
    trigger: URIRef  # Process -> text: trigger
    requiresEvidence: URIRef  # Process -> Evidence: requires evidence
    frequency: URIRef  # Process -> text: frequency
    documentedIn: URIRef  # any -> Document: documented in
    # --- Policies and governance ---
    GovernanceMeasure: URIRef  # class: governance measure
    Policy: URIRef  # class: policy (under GovernanceMeasure)
    Rule: URIRef  # class: rule (under GovernanceMeasure)
    Standard: URIRef  # class: standard (under GovernanceMeasure)
    Control: URIRef  # class: control (under GovernanceMeasure)
    AccountabilityStructure: URIRef  # class: accountability structure (under GovernanceMeasure)
    ResponsibilityAssignment: URIRef  # class: RACI assignment (under AccountabilityStructure)
    DecisionRight: URIRef  # class: decision right (under AccountabilityStructure)
    RaciRole: URIRef  # class: RACI role
    Responsible: URIRef  # RaciRole value: responsible
    Accountable: URIRef  # RaciRole value: accountable
    Consulted: URIRef  # RaciRole value: consulted
    Informed: URIRef  # RaciRole value: informed
    governedBy: URIRef  # SocialTechnicalSystem -> GovernanceMeasure: governed by
    implements: URIRef  # Control -> Requirement: implements
    mitigates: URIRef  # Control -> Risk: mitigates
    assignedTo: URIRef  # any -> Agent: assigned to
    assignedFor: URIRef  # ResponsibilityAssignment -> any: assigned for
    raciRole: URIRef  # ResponsibilityAssignment -> RaciRole: RACI role
    concernsDecision: URIRef  # DecisionRight -> Decision: concerns decision
    # --- Context of use ---
    ContextOfUse: URIRef  # class: context of use
    BusinessContext: URIRef  # class: business context (under ContextOfUse)
    LegalContext: URIRef  # class: legal context (under ContextOfUse)
    SocialContext: URIRef  # class: social context (under ContextOfUse)
    OperationalContext: URIRef  # class: operational context (under ContextOfUse)
    hasContextOfUse: URIRef  # SocialTechnicalSystem -> ContextOfUse: has context of use
    jurisdiction: URIRef  # ContextOfUse -> text: jurisdiction
    sector: URIRef  # ContextOfUse -> text: sector
    intendedPurpose: URIRef  # ContextOfUse -> text: intended purpose
    deploymentEnvironment: URIRef  # ContextOfUse -> text: deployment environment
    annexIIIArea: URIRef  # ContextOfUse -> any: EU AI Act Annex III area
    EUAIActRole: URIRef  # class: EU AI Act operator role
    ProviderRole: URIRef  # EUAIActRole value: provider
    DeployerRole: URIRef  # EUAIActRole value: deployer
    ImporterRole: URIRef  # EUAIActRole value: importer
    DistributorRole: URIRef  # EUAIActRole value: distributor
    euAIActRole: URIRef  # SocialTechnicalSystem -> EUAIActRole: EU AI Act role
    prohibitedPractice: URIRef  # ContextOfUse -> Requirement: Art. 5(1) practice
    annexIPoint: URIRef  # SocialTechnicalSystem -> xsd:positiveInteger: EU AI Act Annex I point
    thirdPartyConformityAssessment: URIRef  # SocialTechnicalSystem -> xsd:boolean
    performsProfiling: URIRef  # SocialTechnicalSystem -> xsd:boolean: performs profiling
    article63Exception: URIRef  # ContextOfUse -> Assessment: Art. 6(3) exception
    Article63Ground: URIRef  # class: Art. 6(3) ground
    NarrowProceduralTask: URIRef  # Article63Ground value: Art. 6(3)(a)
    ImprovesHumanActivity: URIRef  # Article63Ground value: Art. 6(3)(b)
    DetectsDecisionPatterns: URIRef  # Article63Ground value: Art. 6(3)(c)
    PreparatoryTask: URIRef  # Article63Ground value: Art. 6(3)(d)
    article63Ground: URIRef  # Assessment -> Article63Ground: Art. 6(3) ground
    TransparencyTrigger: URIRef  # class: transparency trigger (Art. 50)
    InteractsWithNaturalPersons: URIRef  # TransparencyTrigger value: Art. 50(1)
    GeneratesSyntheticContent: URIRef  # TransparencyTrigger value: Art. 50(2)
    EmotionRecognitionOrBiometricCategorisation: URIRef  # TransparencyTrigger value: Art. 50(3)
    GeneratesDeepFakes: URIRef  # TransparencyTrigger value: Art. 50(4)
    transparencyTrigger: URIRef  # SocialTechnicalSystem -> TransparencyTrigger
    ruledOutTier: URIRef  # Assessment -> RiskTier: ruled out tier
    # --- Decision, impact and lifecycle ---
    Decision: URIRef  # class: decision
    supportsDecision: URIRef  # SocialTechnicalSystem -> Decision: supports decision
    decisionMaker: URIRef  # Decision -> Agent: decision maker
    AutomationLevel: URIRef  # class: automation level
    FullyAutomated: URIRef  # AutomationLevel value: fully automated
    HumanOnTheLoop: URIRef  # AutomationLevel value: human on the loop
    HumanInTheLoop: URIRef  # AutomationLevel value: human in the loop
    Advisory: URIRef  # AutomationLevel value: advisory
    automationLevel: URIRef  # Decision -> AutomationLevel: automation level
    ImpactLevel: URIRef  # class: impact level
    HighImpact: URIRef  # ImpactLevel value: high impact
    MediumImpact: URIRef  # ImpactLevel value: medium impact
    LowImpact: URIRef  # ImpactLevel value: low impact
    impactLevel: URIRef  # SocialTechnicalSystem -> ImpactLevel: impact level
    Consequence: URIRef  # class: consequence
    consequenceOfError: URIRef  # SocialTechnicalSystem -> Consequence: consequence of error
    severity: URIRef  # Consequence -> ImpactLevel: severity
    LifecycleStage: URIRef  # class: lifecycle stage
    Design: URIRef  # LifecycleStage value: design
    InDevelopment: URIRef  # LifecycleStage value: in development
    Validation: URIRef  # LifecycleStage value: validation
    Deployed: URIRef  # LifecycleStage value: deployed
    Retired: URIRef  # LifecycleStage value: retired
    lifecycleStage: URIRef  # SocialTechnicalSystem -> LifecycleStage: lifecycle stage
    # --- Risks, evidence, assessments and documents ---
    Risk: URIRef  # class: risk
    hasRisk: URIRef  # SocialTechnicalSystem -> Risk: has risk
    Evidence: URIRef  # class: evidence
    Assessment: URIRef  # class: assessment
    ImpactAssessment: URIRef  # class: impact assessment (under Assessment)
    RiskAssessment: URIRef  # class: risk assessment (under Assessment)
    ConformityAssessment: URIRef  # class: conformity assessment (under Assessment)
    hasAssessment: URIRef  # SocialTechnicalSystem -> Assessment: has assessment
    Document: URIRef  # class: document
    # --- Framework side: frameworks, requirements and NIST IR 8477 mappings ---
    Framework: URIRef  # class: framework (a skos:ConceptScheme)
    Requirement: URIRef  # class: requirement (a skos:Concept)
    operationalises: URIRef  # any -> Requirement: operationalises
    officialText: URIRef  # annotation (under skos:definition): official text
    requirementKind: URIRef  # any -> text: requirement kind
    guidance: URIRef  # any -> text: guidance
    suggestedAction: URIRef  # any -> text: suggested action
    documentationQuestion: URIRef  # any -> text: documentation question
    aiActor: URIRef  # any -> text: AI actor
    topic: URIRef  # any -> text: topic
    RiskCategory: URIRef  # class: risk category (a skos:Concept)
    addressesRisk: URIRef  # any -> RiskCategory: addresses risk
    RiskTier: URIRef  # class: risk tier (a skos:Concept)
    euAIActTier: URIRef  # SocialTechnicalSystem -> RiskTier or Unclassified (derived)
    Unclassified: URIRef  # classification outcome: facts missing
    Classification: URIRef  # class: classification (one derivation of a tier)
    ClassificationRule: URIRef  # class: classification rule
    classifiedSystem: URIRef  # Classification -> SocialTechnicalSystem: classified system
    tier: URIRef  # Classification -> RiskTier or Unclassified: tier
    byRule: URIRef  # Classification -> ClassificationRule: by rule
    basedOnFact: URIRef  # Classification -> rdf:Statement: based on fact
    legalBasis: URIRef  # any -> Requirement: legal basis
    VerificationStatus: URIRef  # class: verification status
    Corroborated: URIRef  # VerificationStatus value: corroborated
    WordingDiffers: URIRef  # VerificationStatus value: wording differs
    SingleSource: URIRef  # VerificationStatus value: single source
    verificationStatus: URIRef  # any -> VerificationStatus: verification status
    Mapping: URIRef  # class: mapping
    ConceptCrosswalkLink: URIRef  # class: concept crosswalk link (under Mapping)
    ChainedMapping: URIRef  # class: chained mapping (under Mapping)
    MappingSet: URIRef  # class: mapping set
    SetRelationship: URIRef  # class: set relationship
    Equal: URIRef  # SetRelationship value: equal
    SubsetOf: URIRef  # SetRelationship value: subset of
    SupersetOf: URIRef  # SetRelationship value: superset of
    IntersectsWith: URIRef  # SetRelationship value: intersects with
    NoRelationship: URIRef  # SetRelationship value: no relationship
    MappingRationale: URIRef  # class: mapping rationale
    Syntactic: URIRef  # MappingRationale value: syntactic
    Semantic: URIRef  # MappingRationale value: semantic
    Functional: URIRef  # MappingRationale value: functional
    ReviewStatus: URIRef  # class: review status
    Proposed: URIRef  # ReviewStatus value: proposed
    Reviewed: URIRef  # ReviewStatus value: reviewed
    Approved: URIRef  # ReviewStatus value: approved
    Rejected: URIRef  # ReviewStatus value: rejected
    mappingSource: URIRef  # Mapping -> Requirement: mapping source
    mappingTarget: URIRef  # Mapping -> Requirement: mapping target
    relationship: URIRef  # Mapping -> SetRelationship: relationship
    inverseRelationship: URIRef  # SetRelationship -> SetRelationship: inverse relationship
    skosMappingProperty: URIRef  # annotation: SKOS mapping property
    rationale: URIRef  # Mapping -> MappingRationale: rationale
    strength: URIRef  # Mapping -> xsd:integer: strength
    inMappingSet: URIRef  # Mapping -> MappingSet: in mapping set
    reviewStatus: URIRef  # Mapping -> ReviewStatus: review status
    justification: URIRef  # Mapping -> text: justification
    mappingPath: URIRef  # ChainedMapping -> rdf:List of Mapping: mapping path
    ApplicabilityDecision: URIRef  # class: applicability decision
    decidesApplicabilityOf: URIRef  # ApplicabilityDecision -> Requirement
    applicable: URIRef  # ApplicabilityDecision -> xsd:boolean: applicable
    applicabilityJustification: URIRef  # ApplicabilityDecision -> text
    hasEvidence: URIRef  # any -> Evidence: has evidence
    # --- Import provenance ---
    sha256: URIRef  # any -> xsd:string: SHA-256 of a source file
    rowCount: URIRef  # any -> xsd:integer: rows an import read
    tripleCount: URIRef  # any -> xsd:integer: triples an import wrote
