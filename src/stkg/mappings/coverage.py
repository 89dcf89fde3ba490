"""Coverage of one framework's requirements from another (`stkg map coverage`).

The answer is computed by the project's named query `queries/mapping-coverage.rq`, with the
two frameworks bound, so the CLI and a researcher's SPARQL give the same result. Levels:
full (equal, or the source requirement is a superset of the target requirement: doing the
source does all of the target), partial (subset of, or intersects with), indeterminate (only
untyped crosswalk links or indeterminate chains), none.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from stkg.mappings.model import Catalogue, fetch_catalogue, natural_sorted, resolve_framework
from stkg.project import bundled_project_dir
from stkg.store import Store

LEVELS = ("full", "partial", "indeterminate", "none")
QUERY_NAME = "mapping-coverage"


def coverage_query() -> str:
    """The SPARQL that computes coverage: the named query shipped with stkg."""
    path: Path = bundled_project_dir() / "queries" / f"{QUERY_NAME}.rq"
    return path.read_text(encoding="utf-8")


@dataclass(frozen=True)
class CoverageRow:
    requirement: str
    notation: str
    level: str
    sources: tuple[str, ...]  # codes of the source requirements that reach it
    title: str | None = None  # skos:prefLabel, English or untagged


@dataclass
class Coverage:
    source: str
    target: str
    rows: list[CoverageRow] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(LEVELS, 0)
        for row in self.rows:
            counts[row.level] += 1
        return counts

    def as_dict(self) -> dict[str, object]:
        return {
            "source": self.source,
            "target": self.target,
            "counts": self.counts(),
            "requirements": [
                {
                    "requirement": r.requirement,
                    "notation": r.notation,
                    "title": r.title,
                    "level": r.level,
                    "sources": list(r.sources),
                }
                for r in self.rows
            ],
        }


def coverage(
    store: Store, source: str, target: str, catalogue: Catalogue | None = None
) -> Coverage:
    """Which requirements of `target` are reached from `source` (IRIs or short names)."""
    catalogue = catalogue or fetch_catalogue(store)
    source_iri = resolve_framework(source, catalogue)
    target_iri = resolve_framework(target, catalogue)
    result = store.query(
        coverage_query(),
        bindings={
            "sourceFramework": ox.NamedNode(source_iri),
            "targetFramework": ox.NamedNode(target_iri),
        },
    )
    titles = _titles(store, target_iri)
    rows = {}
    for row in result.dicts():
        iri = row["requirement"].value
        sources = row["sources"].value.split(" | ") if "sources" in row else []
        rows[iri] = CoverageRow(
            requirement=iri,
            notation=row["notation"].value if "notation" in row else iri,
            level=row["level"].value,
            sources=tuple(natural_sorted(s for s in sources if s)),
            title=titles.get(iri),
        )
    ordered = natural_sorted(rows, key=lambda iri: rows[iri].notation)
    return Coverage(source_iri, target_iri, [rows[iri] for iri in ordered])


_TITLES_QUERY = """
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT ?requirement ?title ?framework WHERE {
  ?requirement skos:inScheme|skos:topConceptOf ?framework ; skos:prefLabel ?title .
  FILTER(LANGMATCHES(LANG(?title), "en") || LANG(?title) = "")
}
"""


def _titles(store: Store, framework: str) -> dict[str, str]:
    """The titles of a framework's requirements, so a table says more than "3.1 none"."""
    found: dict[str, str] = {}
    rows = store.query(_TITLES_QUERY, bindings={"framework": ox.NamedNode(framework)}).dicts()
    for row in rows:
        found.setdefault(row["requirement"].value, row["title"].value)
    return found
