"""The shared IRI scheme (team brief): one function per kind of resource."""

from __future__ import annotations

from catalogues.turtle import IRI

BASE = "https://w3id.org/stkg/"
FRAMEWORK = BASE + "framework/"
NIST_AI_RMF = FRAMEWORK + "nist-ai-rmf"
NIST_AI_600_1 = FRAMEWORK + "nist-ai-600-1"
ISO_42001 = FRAMEWORK + "iso-iec-42001"
EU_AI_ACT = FRAMEWORK + "eu-ai-act"
ELI_AI_ACT = "http://data.europa.eu/eli/reg/2024/1689/oj"
DPV_AIACT = "https://w3id.org/dpv/legal/eu/aiact#"
NEXUS = "https://w3id.org/ai-atlas-nexus/"

PREFIXES = {
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "dct": "http://purl.org/dc/terms/",
    "stkg": "https://w3id.org/stkg#",
    "fw": FRAMEWORK,
}


def prefixes(**extra: str) -> dict[str, str]:
    return {**PREFIXES, **extra}


def slug(text: str) -> str:
    """Lower-case words joined by hyphens: 'CBRN Information or Capabilities' -> 'cbrn-...'."""
    out = "".join(c.lower() if c.isalnum() else " " for c in text)
    return "-".join(out.split())


def airmf(code: str) -> IRI:
    """'GOVERN' / 'GOVERN 1' / 'GOVERN 1.1' -> …/nist-ai-rmf/GOVERN-1.1"""
    return IRI(f"{NIST_AI_RMF}/{code.replace(' ', '-')}")


def gai_action(action_id: str) -> IRI:
    return IRI(f"{NIST_AI_600_1}/{action_id}")


def gai_risk(name: str) -> IRI:
    return IRI(f"{NIST_AI_600_1}/risk/{slug(name)}")


def iso(ref: str) -> IRI:
    return IRI(f"{ISO_42001}/{ref}")


def eu(local: str) -> IRI:
    """…/eu-ai-act/art-14, …/eu-ai-act/chapter-III-section-2, …/eu-ai-act/annex-III-5-b"""
    return IRI(f"{EU_AI_ACT}/{local}")


def mapping_set(set_slug: str) -> IRI:
    return IRI(f"{BASE}mapping-set/{set_slug}")


def mapping(set_slug: str, source: str, target: str) -> IRI:
    """…/mapping/<set>/<source local name>--<target local name>"""
    return IRI(f"{BASE}mapping/{set_slug}/{local_name(source)}--{local_name(target)}")


def local_name(iri: str) -> str:
    """The part of a framework IRI after its scheme: 'GOVERN-1.1', 'A.6.2.6', 'art-14'."""
    rest = iri.removeprefix(FRAMEWORK)
    return rest.split("/", 1)[1].replace("/", "-") if "/" in rest else rest
