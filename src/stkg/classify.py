"""EU AI Act classification: a risk tier derived from recorded facts by rules, and explained.

The rules are SPARQL CONSTRUCT queries in the project's `rules/eu-ai-act/` folder, one file per
rule, each with a `#+` header (label, description, tier, legal basis). They run on the store
as they are, so the derivation is as fast as the engine and as readable as the query: each
rule writes `?system stkg:euAIActTier ?tier` and one `stkg:Classification` per derivation,
with the rule, the recorded statements it rests on (`stkg:basedOnFact`, as rdf:Statement
nodes), the legal basis and a sentence. Missing facts never make a system prohibited,
high-risk or minimal: the `unclassified` rule says which facts are missing instead.

Rules read only recorded facts, never the classification graph, so they can run in any order
and the result does not depend on an earlier run.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
import yaml

from stkg import collector
from stkg.errors import SourceError
from stkg.namespace import STKG_NS
from stkg.project import Project, bundled_project_dir
from stkg.store import Store
from stkg.yaml_text import load_yaml

# Outside https://w3id.org/stkg/graph/, which a project reload prunes to the project's files.
CLASSIFICATION_GRAPH = "https://w3id.org/stkg/inferred/classification"
RULES_FOLDER = "rules"
RULE_BASE = "https://w3id.org/stkg/rule/"
EU_AI_ACT = "https://w3id.org/stkg/framework/eu-ai-act/"
TIER_BASE = EU_AI_ACT + "tier/"
UNCLASSIFIED = STKG_NS + "Unclassified"
TIERS = ("prohibited", "high-risk-annex-i", "high-risk-annex-iii", "transparency", "minimal")
HEADER_KEYS = {"label", "description", "tier", "basis"}

_RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
_RDFS = "http://www.w3.org/2000/01/rdf-schema#"
_TYPE = ox.NamedNode(_RDF + "type")
_CLASSIFICATION = ox.NamedNode(STKG_NS + "Classification")
_FACT = STKG_NS + "basedOnFact"
_LEGAL_BASIS = STKG_NS + "legalBasis"


@dataclass(frozen=True)
class Rule:
    """One classification rule: a CONSTRUCT query and what it stands for."""

    iri: str
    label: str
    description: str
    tier: str  # the tier IRI, or stkg:Unclassified
    basis: tuple[str, ...]  # provisions of law (catalogue IRIs) the rule applies
    sparql: str
    path: Path


@dataclass(frozen=True)
class Fact:
    """A recorded statement a classification rests on."""

    subject: str
    predicate: str
    object: str  # an IRI, or a literal's lexical form


@dataclass(frozen=True)
class Classification:
    """One derivation of a tier for a system, with its explanation."""

    system: str
    tier: str  # a tier concept IRI, or stkg:Unclassified
    rule: str
    facts: tuple[Fact, ...]
    explanation: str
    legal_basis: tuple[str, ...] = ()
    iri: str = ""


# --- Rules ----------------------------------------------------------------------------------


def rules_folder(project: Project | None = None) -> Path:
    """The project's `rules/` folder, or the bundled one when the project has no rules."""
    if project is not None and any((project.root / RULES_FOLDER).rglob("*.rq")):
        return project.root / RULES_FOLDER
    return bundled_project_dir() / RULES_FOLDER


def load_rules(folder: Path | None = None) -> list[Rule]:
    """Every `*.rq` rule under `folder` (default: the bundled rules), sorted by IRI. A rule's
    IRI is `https://w3id.org/stkg/rule/` + its path in the folder without `.rq`."""
    base = folder if folder is not None else rules_folder()
    rules = [_parse_rule(path, base) for path in sorted(base.rglob("*.rq"))]
    return sorted(rules, key=lambda r: r.iri)


def _parse_rule(path: Path, base: Path) -> Rule:
    text = path.read_text(encoding="utf-8")
    header = [line[2:].removeprefix(" ") for line in text.splitlines() if line.startswith("#+")]
    try:
        meta = load_yaml("\n".join(header)) or {}
    except yaml.YAMLError as error:
        raise SourceError(f"the #+ header is not YAML: {error}", str(path)) from None
    if not isinstance(meta, dict):
        raise SourceError("the #+ header must be a mapping", str(path))
    unknown = sorted(set(meta) - HEADER_KEYS)
    if unknown:
        raise SourceError(f"unknown header key {unknown[0]!r}", str(path))
    tier = str(meta.get("tier", ""))
    if tier not in (*TIERS, "unclassified"):
        raise SourceError(f"tier must be one of {', '.join(TIERS)} or unclassified", str(path))
    if not meta.get("label"):
        raise SourceError("the #+ header needs a label", str(path))
    basis = meta.get("basis") or []
    if not isinstance(basis, list):
        raise SourceError("basis must be a list", str(path))
    return Rule(
        iri=RULE_BASE + path.relative_to(base).with_suffix("").as_posix(),
        label=str(meta["label"]),
        description=" ".join(str(meta.get("description", "")).split()),
        tier=UNCLASSIFIED if tier == "unclassified" else TIER_BASE + tier,
        basis=tuple(b if ":" in str(b) else EU_AI_ACT + str(b) for b in basis),
        sparql=text,
        path=path,
    )


# --- Running the rules ----------------------------------------------------------------------


def classification_triples(store: Store, rules: Sequence[Rule] | None = None) -> list[ox.Triple]:
    """What the rules derive from the store, plus a description of every rule (label, legal
    basis, description), so the graph explains itself; sorted, for stable output."""
    triples: set[ox.Triple] = set()
    for rule, derived in _derivations(store, rules):
        triples.update(derived)
        triples.update(_describe(rule))
    return sorted(triples, key=str)


def _derivations(
    store: Store, rules: Sequence[Rule] | None
) -> Iterator[tuple[Rule, list[ox.Triple]]]:
    """Each rule with the triples its CONSTRUCT query derives, one rule at a time so that
    only one rule's result is held at once."""
    for rule in load_rules() if rules is None else rules:
        try:
            derived = store.query(rule.sparql).triples
        except SourceError as error:
            raise SourceError(error.message, str(rule.path), error.line, error.column) from None
        yield rule, derived


def _describe(rule: Rule) -> Iterable[ox.Triple]:
    node = ox.NamedNode(rule.iri)
    yield ox.Triple(node, ox.NamedNode(_RDF + "type"), ox.NamedNode(STKG_NS + "ClassificationRule"))
    yield ox.Triple(node, ox.NamedNode(_RDFS + "label"), ox.Literal(rule.label, language="en"))
    if rule.description:
        yield ox.Triple(
            node, ox.NamedNode(_RDFS + "comment"), ox.Literal(rule.description, language="en")
        )
    for basis in rule.basis:
        yield ox.Triple(node, ox.NamedNode(STKG_NS + "legalBasis"), ox.NamedNode(basis))


def classify(store: Store, rules: Sequence[Rule] | None = None) -> list[Classification]:
    """Run the rules over the store (leaving it unchanged) and return every derivation,
    sorted by system, tier and rule: the same as `stored_classifications` after
    `store_classification`, read straight from the derived triples (no second store, no
    sorting of triples), because this is the step that must scale to 100,000 systems."""
    index = _TripleIndex()
    with collector.paused():
        for _rule, derived in _derivations(store, rules):
            index.add(derived)
        return index.classifications()


def store_classification(store: Store, rules: Sequence[Rule] | None = None) -> int:
    """Replace the classification graph with a fresh derivation; returns its triple count.
    Each rule's triples are written as they come (the store removes duplicates)."""
    store.drop_graph(CLASSIFICATION_GRAPH)
    graph = ox.NamedNode(CLASSIFICATION_GRAPH)
    with collector.paused():
        for rule, derived in _derivations(store, rules):
            triples = [*derived, *_describe(rule)]
            store.add_quads(ox.Quad(t.subject, t.predicate, t.object, graph) for t in triples)
    count = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{CLASSIFICATION_GRAPH}> {{ ?s ?p ?o }} }}"
    return int(store.query(count).rows[0][0].value)


_KEPT = {  # the predicates `stored_classifications` reads
    ox.NamedNode(iri): iri
    for iri in (
        *(STKG_NS + name for name in ("classifiedSystem", "tier", "byRule")),
        *(STKG_NS + name for name in ("basedOnFact", "legalBasis")),
        *(_RDF + name for name in ("subject", "predicate", "object")),
        _RDFS + "comment",
    )
}


class _TripleIndex:
    """The derived triples that describe classifications, by subject, keeping only the
    predicates `stored_classifications` reads, so classifying needs no scratch store."""

    def __init__(self) -> None:
        self.by_subject: dict[ox.Term, dict[str, set[ox.Term]]] = {}
        self.classifications_found: set[ox.Term] = set()

    def add(self, triples: Iterable[ox.Triple]) -> None:
        # The hot loop at scale (about nine triples per derivation): plain dict lookups.
        kept, by_subject, found = _KEPT, self.by_subject, self.classifications_found
        for subject, predicate, obj in triples:
            name = kept.get(predicate)
            if name is not None:
                values = by_subject.get(subject)
                if values is None:
                    values = by_subject[subject] = {}
                objects = values.get(name)
                if objects is None:
                    values[name] = {obj}
                else:
                    objects.add(obj)
            elif predicate == _TYPE and obj == _CLASSIFICATION:
                found.add(subject)

    def classifications(self) -> list[Classification]:
        found = []
        for node in self.classifications_found:
            values = self.by_subject.get(node, {})
            comments = [c.value for c in values.get(_RDFS + "comment", ())]
            explanation = min(comments) if comments else ""
            facts = tuple(
                sorted(
                    {f for fact in values.get(_FACT, ()) for f in self._facts(fact)}, key=_fact_key
                )
            )
            basis = tuple(sorted({b.value for b in values.get(_LEGAL_BASIS, ())}, key=_basis_key))
            found += [
                Classification(
                    system=system.value,
                    tier=tier.value,
                    rule=rule.value,
                    facts=facts,
                    explanation=explanation,
                    legal_basis=basis,
                    iri=node.value,
                )
                for system in values.get(STKG_NS + "classifiedSystem", ())
                for tier in values.get(STKG_NS + "tier", ())
                for rule in values.get(STKG_NS + "byRule", ())
            ]
        return sorted(found, key=lambda c: (c.system, tier_rank(c.tier), c.rule, c.iri))

    def _facts(self, node: ox.Term) -> Iterator[Fact]:
        values = self.by_subject.get(node, {})
        for s in values.get(_RDF + "subject", ()):
            for p in values.get(_RDF + "predicate", ()):
                for o in values.get(_RDF + "object", ()):
                    yield Fact(s.value, p.value, o.value)


# --- Reading classifications ----------------------------------------------------------------

_CLASSIFICATIONS = """
PREFIX stkg: <https://w3id.org/stkg#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?c ?system ?tier ?rule (MIN(STR(?comment)) AS ?why) WHERE {
  GRAPH <%(graph)s> {
    ?c a stkg:Classification ; stkg:classifiedSystem ?system ; stkg:tier ?tier ;
       stkg:byRule ?rule .
    OPTIONAL { ?c rdfs:comment ?comment }
  }
} GROUP BY ?c ?system ?tier ?rule
"""

_FACTS = """
PREFIX stkg: <https://w3id.org/stkg#>
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
SELECT ?c ?s ?p ?o WHERE {
  GRAPH <%(graph)s> {
    ?c stkg:basedOnFact ?fact . ?fact rdf:subject ?s ; rdf:predicate ?p ; rdf:object ?o .
  }
}
"""

_BASIS = """
PREFIX stkg: <https://w3id.org/stkg#>
SELECT ?c ?basis WHERE {
  GRAPH <%(graph)s> { ?c a stkg:Classification ; stkg:legalBasis ?basis . }
}
"""


def stored_classifications(store: Store, system: str | None = None) -> list[Classification]:
    """The classifications in the store's classification graph (empty if there is none),
    for every system or one."""
    if not store.query(f"ASK {{ GRAPH <{CLASSIFICATION_GRAPH}> {{ ?s ?p ?o }} }}").boolean:
        return []
    values = {"graph": CLASSIFICATION_GRAPH}
    bindings = {"system": ox.NamedNode(system)} if system else None
    facts: dict[str, list[Fact]] = {}
    for row in store.query(_FACTS % values).dicts():
        facts.setdefault(row["c"].value, []).append(
            Fact(row["s"].value, row["p"].value, row["o"].value)
        )
    basis: dict[str, list[str]] = {}
    for row in store.query(_BASIS % values).dicts():
        basis.setdefault(row["c"].value, []).append(row["basis"].value)
    found = [
        Classification(
            system=row["system"].value,
            tier=row["tier"].value,
            rule=row["rule"].value,
            facts=tuple(sorted(set(facts.get(row["c"].value, [])), key=_fact_key)),
            explanation=row["why"].value if "why" in row else "",
            legal_basis=tuple(sorted(set(basis.get(row["c"].value, [])), key=_basis_key)),
            iri=row["c"].value,
        )
        for row in store.query(_CLASSIFICATIONS % values, bindings=bindings).dicts()
    ]
    return sorted(found, key=lambda c: (c.system, tier_rank(c.tier), c.rule, c.iri))


def _basis_key(iri: str) -> tuple[bool, str]:
    """Articles before the Annex III or Art. 5(1) point that a derivation adds."""
    return ("/annex-" in iri or "/art-5-1-" in iri, iri)


def _fact_key(fact: Fact) -> tuple[str, str, str]:
    return (fact.subject, fact.predicate, fact.object)


def tier_rank(tier: str) -> int:
    """Most serious first: prohibited, high-risk (Annex I, Annex III), transparency, minimal,
    unclassified."""
    name = tier.removeprefix(TIER_BASE)
    return TIERS.index(name) if name in TIERS else len(TIERS)


def tiers_by_system(classifications: Iterable[Classification]) -> dict[str, list[str]]:
    """Each system's distinct tiers, most serious first."""
    tiers: dict[str, set[str]] = {}
    for c in classifications:
        tiers.setdefault(c.system, set()).add(c.tier)
    return {s: sorted(t, key=tier_rank) for s, t in sorted(tiers.items())}
