"""The Python vocabulary `stkg.namespace.STKG` matches the terms declared in ontology/stkg.ttl."""

from pathlib import Path

import pytest
from rdflib import Graph, URIRef

from stkg.namespace import STKG, STKG_NS

REPO = Path(__file__).resolve().parents[1]
ONTOLOGY = REPO / "ontology" / "stkg.ttl"


def declared_terms() -> set[URIRef]:
    """Every stkg: IRI that is the subject of a triple in the core ontology."""
    graph = Graph().parse(ONTOLOGY, format="turtle")
    return {s for s in graph.subjects() if isinstance(s, URIRef) and str(s).startswith(STKG_NS)}


def test_namespace_has_exactly_the_ontology_terms():
    in_python = set(dir(STKG))
    in_ontology = declared_terms()
    missing = sorted(str(t).removeprefix(STKG_NS) for t in in_ontology - in_python)
    extra = sorted(str(t).removeprefix(STKG_NS) for t in in_python - in_ontology)
    assert not missing and not extra, (
        f"stkg.namespace.STKG and ontology/stkg.ttl differ.\n"
        f"  declared in the ontology but missing from STKG: {missing}\n"
        f"  in STKG but not declared in the ontology: {extra}"
    )


def test_known_term_is_the_full_iri():
    assert STKG.hasOwner == URIRef("https://w3id.org/stkg#hasOwner")
    assert STKG["SocialTechnicalSystem"] == URIRef(STKG_NS + "SocialTechnicalSystem")
    assert str(STKG) == STKG_NS


@pytest.mark.parametrize("name", ["hasOwnr", "SocialTechnicalSytem", "hasowner"])
def test_unknown_name_raises_attribute_error(name):
    with pytest.raises(AttributeError):
        getattr(STKG, name)
