"""The alignment module links only to terms that exist, in the right way.

Every AIRO and W3C DPV IRI used in ontology/alignments.ttl must exist in the pinned copies under
reference/ (every surveyed vocabulary that aligns to others had broken targets), DPV
concepts are matched with SKOS and never subclassed, and the OWL variant of DPV is never used.
"""

from __future__ import annotations

import pytest
from rdflib import RDFS, Graph, URIRef

from conftest import REFERENCE, REPO
from stkg.namespace import STKG_NS

ALIGNMENTS = REPO / "ontology" / "alignments.ttl"
ONTOLOGY = REPO / "ontology" / "stkg.ttl"

AIRO = "https://w3id.org/airo#"
DPV_FAMILY = "https://w3id.org/dpv"  # core, tech, risk, ai, legal/eu/aiact, ... and owl
DPV_OWL = "https://w3id.org/dpv/owl#"
PINNED = {
    "airo": REFERENCE / "airo" / "airo.ttl",
    "dpv": REFERENCE / "w3c-dpv" / "dpv.ttl",
    "tech": REFERENCE / "w3c-dpv" / "tech.ttl",
    "risk": REFERENCE / "w3c-dpv" / "risk.ttl",
    "ai": REFERENCE / "w3c-dpv" / "ai.ttl",
    "eu-aiact": REFERENCE / "w3c-dpv" / "eu-aiact.ttl",
}


def is_dpv(iri: URIRef) -> bool:
    return str(iri).startswith(DPV_FAMILY) or str(iri).startswith("http://w3id.org/dpv")


def is_checked(iri: URIRef) -> bool:
    """AIRO and every DPV namespace are checked against the pinned copies."""
    return str(iri).startswith(AIRO) or is_dpv(iri)


@pytest.fixture(scope="module")
def alignments() -> Graph:
    return Graph().parse(ALIGNMENTS, format="turtle")


@pytest.fixture(scope="module")
def reference() -> Graph:
    """The pinned AIRO and DPV copies in one graph, parsed once per module (dpv.ttl is 700 KB)."""
    graph = Graph()
    for path in PINNED.values():
        graph.parse(path, format="turtle")
    return graph


def external_iris(graph: Graph) -> set[URIRef]:
    return {
        term
        for s, _, o in graph
        for term in (s, o)
        if isinstance(term, URIRef) and is_checked(term)
    }


def test_alignment_module_uses_airo_and_dpv(alignments):
    # Guards the existence test below against passing on an empty module.
    iris = external_iris(alignments)
    assert any(str(i).startswith(AIRO) for i in iris)
    assert any(is_dpv(i) for i in iris)


def test_every_airo_and_dpv_iri_exists_in_the_pinned_copies(alignments, reference):
    absent = sorted(
        str(iri) for iri in external_iris(alignments) if (iri, None, None) not in reference
    )
    assert not absent, (
        "alignments.ttl uses AIRO/DPV IRIs that are not declared in the pinned copies "
        f"under {REFERENCE}: {absent}"
    )


def test_no_alignment_targets_the_dpv_owl_variant_or_http_dpv(alignments):
    wrong = sorted(
        str(term)
        for triple in alignments
        for term in triple
        if isinstance(term, URIRef)
        and (str(term).startswith(DPV_OWL) or str(term).startswith("http://w3id.org/dpv"))
    )
    assert not wrong, f"use the canonical https://w3id.org/dpv#… SKOS IRIs, not: {wrong}"


def test_no_stkg_class_is_a_subclass_of_a_dpv_concept(alignments):
    wrong = sorted(
        f"{s} rdfs:subClassOf {o}"
        for s, o in alignments.subject_objects(RDFS.subClassOf)
        if isinstance(o, URIRef) and is_dpv(o)
    )
    assert not wrong, f"DPV is SKOS: use skos:*Match to its concepts, not: {wrong}"


def test_dpv_subproperty_targets_are_properties(alignments, reference):
    """rdfs:subPropertyOf is allowed to DPV *properties* only."""
    wrong = sorted(
        str(o)
        for o in alignments.objects(None, RDFS.subPropertyOf)
        if isinstance(o, URIRef)
        and is_dpv(o)
        and (o, None, URIRef("http://www.w3.org/1999/02/22-rdf-syntax-ns#Property"))
        not in reference
    )
    assert not wrong, f"rdfs:subPropertyOf targets that are not DPV properties: {wrong}"


def test_airo_has_human_involvement_is_never_a_superproperty(alignments):
    assert not list(
        alignments.subjects(RDFS.subPropertyOf, URIRef(AIRO + "hasHumanInvolvement"))
    ), "airo:hasHumanInvolvement has domain airo:Stakeholder; never use it as a superproperty"


def test_every_stkg_subject_in_the_alignments_is_declared_in_the_ontology(alignments):
    ontology = Graph().parse(ONTOLOGY, format="turtle")
    undeclared = sorted(
        str(s).removeprefix(STKG_NS)
        for s in set(alignments.subjects())
        if isinstance(s, URIRef) and str(s).startswith(STKG_NS) and (s, None, None) not in ontology
    )
    assert not undeclared, (
        f"alignments.ttl aligns stkg: terms not declared in stkg.ttl: {undeclared}"
    )


def test_no_system_level_property_inherits_an_airo_domain(alignments, reference):
    """Loaded with AIRO, an AIRO superproperty with a domain would retype every system.

    airo:hasAIUser, airo:isDevelopedBy, airo:hasLifecyclePhase, ... have domain airo:AISystem (or
    AISystem-or-AIComponent); a social-technical system is neither, so these are closeMatch only.
    """
    ontology = Graph().parse(ONTOLOGY, format="turtle")
    system = URIRef(STKG_NS + "SocialTechnicalSystem")
    wrong = sorted(
        f"{s} rdfs:subPropertyOf {o}"
        for s, o in alignments.subject_objects(RDFS.subPropertyOf)
        if str(o).startswith(AIRO)
        and (s, RDFS.domain, system) in ontology
        and reference.value(o, RDFS.domain) is not None
    )
    assert not wrong, f"system-level properties under AIRO properties with a domain: {wrong}"
