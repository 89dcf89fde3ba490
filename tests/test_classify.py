"""EU AI Act classification: each rule both ways, missing facts never make a system
high-risk, the Art. 6(3) exception with and without profiling, the portfolio's documented
tiers, explanations, and the W3C DPV classes asserted."""

from __future__ import annotations

import gc
import re
import tomllib

import pyoxigraph as ox
import pytest
from rdflib import Graph, URIRef

from conftest import REFERENCE, REPO
from stkg.classify import (
    CLASSIFICATION_GRAPH,
    TIER_BASE,
    UNCLASSIFIED,
    classification_triples,
    classify,
    load_rules,
    store_classification,
    stored_classifications,
    tiers_by_system,
)
from stkg.errors import SourceError
from stkg.execution import LocalExecutor
from stkg.project import GRAPH_BASE
from stkg.queries import named_queries
from stkg.store import OxigraphStore, QueryRequest
from test_ontology import stkg_iris_in_query

EX = "https://w3id.org/stkg/example/acme/"
T = "https://w3id.org/stkg/example/test/"
STKG = "https://w3id.org/stkg#"
RULE = "https://w3id.org/stkg/rule/eu-ai-act/"
EUAIA = "https://w3id.org/stkg/framework/eu-ai-act/"
DPV = "https://w3id.org/dpv/legal/eu/aiact#"
RULES = load_rules(REPO / "rules")
README = (REPO / "data" / "examples" / "README.md").read_text(encoding="utf-8")
TIER_ROW = re.compile(r"^\| `ex:(\w+)` \| ((?:`[a-z-]+`(?:, )?)+) \| ((?:`[a-z-]+`(?:, )?)+) \|")
SERIOUS = {TIER_BASE + t for t in ("prohibited", "high-risk-annex-i", "high-risk-annex-iii")}

PREFIXES = """\
@prefix stkg: <https://w3id.org/stkg#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix euaia: <https://w3id.org/stkg/framework/eu-ai-act/> .
@prefix tier: <https://w3id.org/stkg/framework/eu-ai-act/tier/> .
@prefix : <https://w3id.org/stkg/example/test/> .
"""
SYSTEM = ':S a stkg:SocialTechnicalSystem ; rdfs:label "System S" .\n'
AREA = (
    ":S stkg:hasContextOfUse :C .\n"
    ":C a stkg:ContextOfUse ; stkg:annexIIIArea euaia:annex-III-4-a .\n"
)
EXCEPTION = (
    ":C stkg:article63Exception :A63 .\n"
    ':A63 a stkg:Assessment ; rdfs:label "Art. 6(3) assessment" ; '
    "stkg:article63Ground stkg:PreparatoryTask ; stkg:documentedIn :Doc .\n"
    ":Doc a stkg:Document .\n"
)
RULED_OUT_TRANSPARENCY = (
    ":S stkg:hasAssessment :Scope .\n"
    ":Scope a stkg:Assessment ; stkg:ruledOutTier tier:transparency ."
)
SCOPING_ALL = (
    ":S stkg:hasAssessment :Scope . :Scope a stkg:Assessment ; stkg:ruledOutTier tier:prohibited ,"
    " tier:high-risk-annex-i , tier:high-risk-annex-iii , tier:transparency .\n"
)


@pytest.fixture(scope="module")
def background() -> list[ox.Quad]:
    """The ontology and the EU AI Act catalogue: what the rules read besides the facts."""
    quads = []
    for path in (REPO / "ontology" / "stkg.ttl", REPO / "data" / "frameworks" / "eu-ai-act.ttl"):
        graph = ox.NamedNode(GRAPH_BASE + path.relative_to(REPO).as_posix())
        quads += [ox.Quad(t.subject, t.predicate, t.object, graph) for t in ox.parse(path=path)]
    return quads


def store_with(background: list[ox.Quad], turtle: str) -> OxigraphStore:
    store = OxigraphStore()
    store.add_quads(background)
    graph = ox.NamedNode(GRAPH_BASE + "data/test.ttl")
    store.add_quads(
        ox.Quad(t.subject, t.predicate, t.object, graph)
        for t in ox.parse(PREFIXES + turtle, format=ox.RdfFormat.TURTLE)
    )
    return store


def derivations(background, turtle: str, system: str = T + "S"):
    return [c for c in classify(store_with(background, turtle), RULES) if c.system == system]


# --- each rule, with a snippet that fires it and one that does not ---------------------------

RULE_CASES = {
    "prohibited": (
        ":S stkg:hasContextOfUse :C .\n"
        ":C a stkg:ContextOfUse ; stkg:prohibitedPractice euaia:art-5-1-f .",
        ':S stkg:hasContextOfUse :C . :C a stkg:ContextOfUse ; stkg:sector "workplace" .',
    ),
    "high-risk-annex-i": (
        ":S stkg:annexIPoint 11 ; stkg:thirdPartyConformityAssessment true .",
        ":S stkg:annexIPoint 11 ; stkg:thirdPartyConformityAssessment false .",
    ),
    "high-risk-annex-iii": (AREA, AREA + EXCEPTION + ":S stkg:performsProfiling false ."),
    "high-risk-annex-iii-profiling": (
        AREA + EXCEPTION + ":S stkg:performsProfiling true .",
        AREA + EXCEPTION + ":S stkg:performsProfiling false .",
    ),
    "high-risk-annex-iii-exception-not-established": (
        AREA + ":C stkg:article63Exception :A63 . :A63 a stkg:Assessment ; "
        "stkg:article63Ground stkg:PreparatoryTask . :S stkg:performsProfiling false .",
        AREA + EXCEPTION + ":S stkg:performsProfiling false .",
    ),
    "transparency": (
        ":S stkg:transparencyTrigger stkg:InteractsWithNaturalPersons .",
        RULED_OUT_TRANSPARENCY,
    ),
    "minimal": (
        SCOPING_ALL,
        ":S stkg:hasAssessment :Scope . :Scope a stkg:Assessment ; stkg:ruledOutTier "
        "tier:prohibited , tier:high-risk-annex-i , tier:high-risk-annex-iii .",
    ),
    "unclassified": ("", AREA),
}


def test_every_rule_has_a_case():
    assert {r.iri.removeprefix(RULE) for r in RULES} == set(RULE_CASES)


@pytest.mark.parametrize("name", sorted(RULE_CASES))
def test_rule_fires_on_its_facts(background, name):
    found = derivations(background, SYSTEM + RULE_CASES[name][0])
    assert RULE + name in {c.rule for c in found}, found


@pytest.mark.parametrize("name", sorted(RULE_CASES))
def test_rule_does_not_fire_without_them(background, name):
    found = derivations(background, SYSTEM + RULE_CASES[name][1])
    assert RULE + name not in {c.rule for c in found}, found


# --- missing facts ------------------------------------------------------------------------

PARTIAL_FACTS = [
    "",
    ":S stkg:euAIActRole stkg:ProviderRole , stkg:DeployerRole .",
    ":S stkg:impactLevel stkg:HighImpact ; stkg:lifecycleStage stkg:Deployed .",
    ":S stkg:annexIPoint 11 .",
    ":S stkg:thirdPartyConformityAssessment true .",
    ":S stkg:performsProfiling true .",
    ':S stkg:hasContextOfUse :C . :C a stkg:ContextOfUse ; stkg:sector "credit scoring" ; '
    'stkg:jurisdiction "EU" .',
    RULED_OUT_TRANSPARENCY,
]


@pytest.mark.parametrize("facts", PARTIAL_FACTS)
def test_missing_facts_make_a_system_unclassified_never_high_risk(background, facts):
    found = derivations(background, SYSTEM + facts)
    assert [c.tier for c in found] == [UNCLASSIFIED]
    assert not SERIOUS & {c.tier for c in found}


def test_a_system_with_no_facts_is_unclassified_and_told_what_is_missing(background):
    (only,) = derivations(background, SYSTEM)
    assert only.tier == UNCLASSIFIED and only.rule == RULE + "unclassified"
    for missing in ("Art. 5", "Annex I product", "Annex III", "Art. 50"):
        assert missing in only.explanation


def test_unclassified_exactly_when_no_other_tier(background):
    cases = [SYSTEM + pos for pos, _ in RULE_CASES.values()] + [SYSTEM + p for p in PARTIAL_FACTS]
    for turtle in cases:
        tiers = {c.tier for c in derivations(background, turtle)}
        assert tiers, turtle
        assert (UNCLASSIFIED in tiers) == (tiers == {UNCLASSIFIED}), turtle


# --- the Art. 6(3) exception -----------------------------------------------------------------


def test_an_established_exception_takes_the_system_out_of_high_risk(background):
    found = derivations(background, SYSTEM + AREA + EXCEPTION + ":S stkg:performsProfiling false .")
    assert not SERIOUS & {c.tier for c in found}
    with_scoping = derivations(
        background, SYSTEM + AREA + EXCEPTION + ":S stkg:performsProfiling false .\n" + SCOPING_ALL
    )
    assert [c.tier for c in with_scoping] == [TIER_BASE + "minimal"]


def test_profiling_keeps_an_annex_iii_system_high_risk_despite_the_exception(background):
    (found,) = derivations(
        background, SYSTEM + AREA + EXCEPTION + ":S stkg:performsProfiling true ."
    )
    assert found.tier == TIER_BASE + "high-risk-annex-iii"
    assert found.rule == RULE + "high-risk-annex-iii-profiling"
    assert "profiling" in found.explanation and "last subparagraph" in found.explanation
    assert (T + "S", STKG + "performsProfiling", "true") in {
        (f.subject, f.predicate, f.object) for f in found.facts
    }


def test_an_exception_without_a_record_of_no_profiling_is_not_applied(background):
    (found,) = derivations(background, SYSTEM + AREA + EXCEPTION)
    assert found.rule == RULE + "high-risk-annex-iii-exception-not-established"
    assert "not recorded as performing no profiling" in found.explanation
    assert "names no ground" not in found.explanation


# --- the portfolio --------------------------------------------------------------------------


def documented_tiers() -> dict[str, tuple[set[str], set[str]]]:
    rows = {}
    for line in README.splitlines():
        if match := TIER_ROW.match(line):
            tiers = set(re.findall(r"`([a-z-]+)`", match[2]))
            rules = set(re.findall(r"`([a-z-]+)`", match[3]))
            rows[EX + match[1]] = (tiers, rules)
    return rows


@pytest.fixture(scope="module")
def portfolio(store):
    return classify(store, RULES)


def test_the_readme_states_a_tier_for_every_system(portfolio):
    assert set(documented_tiers()) == {c.system for c in portfolio}
    assert len(documented_tiers()) >= 12


def test_the_portfolio_has_its_documented_tiers_by_its_documented_rules(portfolio):
    def name(tier: str) -> str:
        return "unclassified" if tier == UNCLASSIFIED else tier.removeprefix(TIER_BASE)

    derived = {
        s: ({name(t) for t in ts}, {c.rule.removeprefix(RULE) for c in portfolio if c.system == s})
        for s, ts in tiers_by_system(portfolio).items()
    }
    assert derived == documented_tiers()


def test_the_loan_system_is_explained_by_its_annex_iii_fact(portfolio):
    (loan,) = [c for c in portfolio if c.system == EX + "LoanApproval"]
    assert loan.rule == RULE + "high-risk-annex-iii"
    assert [(f.subject, f.predicate, f.object) for f in loan.facts] == [
        (EX + "LoanContext", STKG + "annexIIIArea", EUAIA + "annex-III-5-b")
    ]
    assert loan.legal_basis == (EUAIA + "art-6", EUAIA + "annex-III-5-b")
    assert "Consumer lending in the EU" in loan.explanation and "III.5(b)" in loan.explanation


def test_rules_are_described_with_a_label_and_a_legal_basis_in_the_catalogue(store):
    triples = classification_triples(store, RULES)
    graph = {(t.subject.value, t.predicate.value, t.object.value) for t in triples}
    label = "http://www.w3.org/2000/01/rdf-schema#label"
    articles = {r["a"].value for r in store.query(
        "SELECT ?a WHERE { ?a <http://www.w3.org/2004/02/skos/core#inScheme> "
        "<https://w3id.org/stkg/framework/eu-ai-act> }").dicts()}  # fmt: skip
    for rule in RULES:
        assert any(s == rule.iri and p == label for s, p, _ in graph), rule.iri
        assert set(rule.basis) <= articles, rule.iri
    assert (RULE + "high-risk-annex-iii", STKG + "legalBasis", EUAIA + "art-6") in graph


def test_dpv_classes_asserted_exist_in_the_pinned_dpv(background, store):
    dpv = Graph().parse(REFERENCE / "w3c-dpv" / "eu-aiact.ttl")
    known = {str(s) for s in dpv.subjects() if isinstance(s, URIRef)}
    extra = SYSTEM + ':S stkg:hasContextOfUse :C . :C a stkg:ContextOfUse ; ' \
        "stkg:prohibitedPractice euaia:art-5-1-f .\n:S stkg:annexIPoint 11 ; " \
        "stkg:thirdPartyConformityAssessment true ."  # fmt: skip
    asserted = set()
    for source in (store, store_with(background, extra)):
        asserted |= {
            (t.subject.value, t.object.value)
            for t in classification_triples(source, RULES)
            if t.object.value.startswith(DPV)
        }
    assert {c for _, c in asserted} <= known
    assert {
        (EX + "LoanApproval", DPV + "HighRiskAISystem-AnnexIII-5-b"),
        (EX + "TriageAssistant", DPV + "HighRiskAISystem-AnnexI-11"),
        (T + "S", DPV + "ProhibitedAISystem-A5-1-f"),
    } <= asserted


# --- storing ----------------------------------------------------------------------------------


def test_stored_classification_is_its_own_graph_and_survives_a_project_reload(project):
    store = project.open_store()
    count = store_classification(store, RULES)
    assert store.graphs()[CLASSIFICATION_GRAPH] == count > 0
    assert not CLASSIFICATION_GRAPH.startswith(GRAPH_BASE)
    assert store_classification(store, RULES) == count  # replaced, not added to
    project.load_into(store)
    assert CLASSIFICATION_GRAPH in store.graphs()
    assert stored_classifications(store) == classify(store, RULES)
    loan = stored_classifications(store, EX + "LoanApproval")
    assert [c.rule for c in loan] == [RULE + "high-risk-annex-iii"]


HAND_RULE = """#+ label: a hand-written rule
#+ tier: transparency
PREFIX stkg: <https://w3id.org/stkg#>
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX tier: <https://w3id.org/stkg/framework/eu-ai-act/tier/>
CONSTRUCT {
  ?c a stkg:Classification ; stkg:classifiedSystem ?s ; stkg:tier tier:transparency ;
    stkg:byRule <https://w3id.org/stkg/rule/shared> ; stkg:basedOnFact _:fact .
  _:fact rdf:subject ?s ; rdf:predicate rdf:value ; rdf:object "%s" .
} WHERE {
  ?s a stkg:SocialTechnicalSystem .
  BIND(IRI(CONCAT(STR(?s), "/derivation")) AS ?c)
}
"""


def test_classify_reads_what_store_classification_writes_for_any_rule(background, tmp_path):
    # blank-node facts, literal objects, no explanation, two rules deriving the same node
    (tmp_path / "one.rq").write_text(HAND_RULE % "one")
    (tmp_path / "two.rq").write_text(HAND_RULE % "two")
    rules = load_rules(tmp_path)
    store = store_with(background, SYSTEM)
    found = classify(store, rules)
    store_classification(store, rules)
    assert found == stored_classifications(store)
    assert gc.isenabled()  # the collector paused while deriving is running again
    assert [(c.system, c.explanation) for c in found] == [(T + "S", "")]
    assert [f.object for f in found[0].facts] == ["one", "two"]


def test_classify_leaves_the_store_unchanged(background):
    store = store_with(background, SYSTEM + AREA)
    before = len(store)
    classify(store, RULES)
    assert len(store) == before and CLASSIFICATION_GRAPH not in store.graphs()


def test_the_named_query_lists_the_stored_tiers(project):
    store = project.open_store()
    store_classification(store, RULES)
    query = named_queries(project)["eu-ai-act-classification"]
    values = {"tier": TIER_BASE + "transparency"}
    result = LocalExecutor(store).query(QueryRequest(query.sparql, query.bindings(values))).result
    expected = {s for s, (tiers, _) in documented_tiers().items() if "transparency" in tiers}
    assert {row["system"].value for row in result.dicts()} == expected
    assert all("Art. 50" in row["explanation"].value for row in result.dicts())


# --- the rule files -------------------------------------------------------------------------


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.path.name)
def test_rule_file_names_its_own_iri_tier_and_declared_terms(rule):
    name = rule.iri.removeprefix(RULE)
    assert f"rule:{name} AS ?rule" in rule.sparql
    tier = (
        "stkg:Unclassified"
        if rule.tier == UNCLASSIFIED
        else "tier:" + rule.tier.removeprefix(TIER_BASE)
    )
    assert f"stkg:tier {tier}" in rule.sparql
    declared = {str(s) for s in Graph().parse(REPO / "ontology" / "stkg.ttl").subjects()}
    assert {str(i) for i in stkg_iris_in_query(rule.sparql)} <= declared


def test_a_bad_rule_header_is_an_error_naming_the_file(tmp_path):
    (tmp_path / "bad.rq").write_text("#+ label: x\n#+ tier: high-risk\nCONSTRUCT {} WHERE {}\n")
    with pytest.raises(SourceError, match=r"bad\.rq"):
        load_rules(tmp_path)
    (tmp_path / "bad.rq").write_text("#+ labl: x\n#+ tier: minimal\nCONSTRUCT {} WHERE {}\n")
    with pytest.raises(SourceError, match="unknown header key 'labl'"):
        load_rules(tmp_path)


def test_the_wheel_ships_the_rules():
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    included = config["tool"]["hatch"]["build"]["targets"]["wheel"]["force-include"]
    assert included.get("rules") == "stkg/_project/rules"
