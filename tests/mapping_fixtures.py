"""Tiny frameworks and mapping sets, as Turtle, for the mapping, SSSOM and `stkg map` tests.

Three frameworks, `fw-a` (A1..A4), `fw-b` (B1..B3) and `fw-c` (C1..C3), under the shared IRI
scheme. A project built from them carries the real ontology, so inverses and SKOS properties
come from ontology/stkg.ttl as they do in the product.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from conftest import REPO
from stkg.project import Project

PREFIXES = """\
@prefix stkg: <https://w3id.org/stkg#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix dct: <http://purl.org/dc/terms/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix fa: <https://w3id.org/stkg/framework/fw-a/> .
@prefix fb: <https://w3id.org/stkg/framework/fw-b/> .
@prefix fc: <https://w3id.org/stkg/framework/fw-c/> .
@prefix set: <https://w3id.org/stkg/mapping-set/> .
@prefix m: <https://w3id.org/stkg/mapping/> .
"""

FW = "https://w3id.org/stkg/framework/"


def _framework(slug: str, prefix: str, codes: list[str]) -> str:
    lines = [f'<{FW}{slug}> a stkg:Framework ; skos:prefLabel "Framework {slug}"@en .']
    for code in codes:
        lines.append(
            f"{prefix}:{code} a stkg:Requirement ; skos:inScheme <{FW}{slug}> ; "
            f'skos:notation "{code}" ; skos:prefLabel "Requirement {code}"@en .'
        )
    return "\n".join(lines) + "\n"


FRAMEWORKS = PREFIXES + "\n".join(
    [
        _framework("fw-a", "fa", ["A1", "A2", "A3", "A4"]),
        _framework("fw-b", "fb", ["B1", "B2", "B3"]),
        _framework("fw-c", "fc", ["C1", "C2", "C3"]),
    ]
)


def mapping(
    iri: str, source: str, target: str, relationship: str | None = None, extra: str = ""
) -> str:
    """One mapping in Turtle; without a relationship it is a concept crosswalk link."""
    kind = "stkg:Mapping" if relationship else "stkg:ConceptCrosswalkLink"
    rel = f" ; stkg:relationship stkg:{relationship}" if relationship else ""
    return (
        f"{iri} a {kind} ; stkg:mappingSource {source} ; stkg:mappingTarget {target}{rel}"
        f"{' ; ' + extra if extra else ''} ; stkg:inMappingSet set:test .\n"
    )


TEST_SET = """\
set:test a stkg:MappingSet ; dct:title "Test crosswalk"@en ;
    dct:source <https://example.org/crosswalk.pdf> ; dct:creator "stkg tests"@en ;
    dct:date "2026-11-27"^^xsd:date ;
    dct:license <https://creativecommons.org/licenses/by/4.0/> .
"""


def mappings_ttl(*rows: str) -> str:
    return PREFIXES + TEST_SET + "".join(rows)


def make_project(root: Path, mappings: str, frameworks: str = FRAMEWORKS) -> Project:
    """A project folder: the real ontology, the test frameworks and the given mappings."""
    (root / "ontology").mkdir(parents=True)
    shutil.copy(REPO / "ontology" / "stkg.ttl", root / "ontology" / "stkg.ttl")
    (root / "data").mkdir()
    (root / "data" / "frameworks.ttl").write_text(frameworks, encoding="utf-8")
    (root / "data" / "mappings.ttl").write_text(mappings, encoding="utf-8")
    return Project(root)
