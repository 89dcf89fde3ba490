"""Builders of the framework catalogues and crosswalks in data/ (see scripts/build_catalogues.py).

Each framework has its own module with a `build(reference) -> Turtle`; `build_all` returns every
generated file's text by its path in the project, in a fixed order, so regeneration is
byte-identical and `--check` can compare file by file.
"""

from __future__ import annotations

from pathlib import Path

from catalogues import crosswalks, eu_ai_act, iso_42001, nist_ai_600_1, nist_ai_rmf
from catalogues.turtle import IRI, Lit, Resource, Turtle


def notations(ttl: Turtle) -> dict[str, IRI]:
    """skos:notation → IRI for every resource of a generated catalogue."""
    index = {}
    for block in ttl.blocks:
        if isinstance(block, Resource):
            for predicate, values in block.properties:
                if predicate == "skos:notation":
                    index[values[0].value if isinstance(values[0], Lit) else values[0]] = (
                        block.subject
                    )
    return index


def subjects(ttl: Turtle) -> set[str]:
    return {str(b.subject) for b in ttl.blocks if isinstance(b, Resource)}


def build_all(reference: Path) -> dict[str, str]:
    frameworks = {
        "nist-ai-rmf": nist_ai_rmf.build(reference),
        "nist-ai-600-1": nist_ai_600_1.build(reference),
        "iso-iec-42001": iso_42001.build(reference),
        "eu-ai-act": eu_ai_act.build(reference),
    }
    known = set().union(*(subjects(ttl) for ttl in frameworks.values()))
    by_scheme = {
        str(next(b.subject for b in ttl.blocks if isinstance(b, Resource))): notations(ttl)
        for ttl in frameworks.values()
    }
    files = {f"data/frameworks/{name}.ttl": ttl for name, ttl in frameworks.items()}
    files["data/crosswalks/nist-airc-ai-rmf-to-iso-42001.ttl"] = crosswalks.build_airc(
        reference, known
    )
    files["data/crosswalks/nist-trustworthiness-crosswalk.ttl"] = crosswalks.build_trustworthiness(
        reference, known
    )
    files["data/crosswalks/stkg-eu-ai-act-high-risk.ttl"] = crosswalks.build_stkg(by_scheme)
    return {path: ttl.render() for path, ttl in files.items()}
