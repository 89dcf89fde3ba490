"""One validation run, indexed the ways a gap report asks: results by system and by
requirement, the systems behind each gap type (shape), framework and requirement, and gap
type titles. `stkg report` (`stkg.report`) and the explorer's `/gaps` and every page that
counts gaps (`stkg.web.gaps.gap_index`) build their reports from this one model, so the two
cannot disagree about which system has which gaps.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from rdflib import Graph

from stkg.labels import compact, describe, local_name, title
from stkg.store import Store
from stkg.validate import SEVERITIES, ValidationReport, ValidationResult

SEVERITY_RANK = {s: i for i, s in enumerate(SEVERITIES)}


def severity_counts(results: Iterable[ValidationResult]) -> dict[str, int]:
    """Results by severity, every severity present (0 where none)."""
    counts = Counter(r.severity for r in results)
    return {s: counts.get(s, 0) for s in SEVERITIES}


def priority(results: list[ValidationResult]) -> tuple[int, ...]:
    """Worst first: the most severe result, then the number of violations, warnings and
    infos, each more first (a system with ten violations before one with two)."""
    counts = Counter(r.severity for r in results)
    worst = min((SEVERITY_RANK.get(r.severity, len(SEVERITIES)) for r in results), default=9)
    return (worst, *(-counts.get(s, 0) for s in SEVERITIES), -len(results))


@dataclass
class GapIndex:
    """One validation run, indexed the ways the gap reports ask."""

    report: ValidationReport
    by_system: dict[str, list[ValidationResult]] = field(default_factory=dict)
    by_requirement: dict[str, list[ValidationResult]] = field(default_factory=dict)
    systems_by_shape: dict[str, set[str]] = field(default_factory=dict)
    systems_by_framework: dict[str, set[str]] = field(default_factory=dict)
    systems_by_requirement: dict[str, set[str]] = field(default_factory=dict)
    titles: dict[str, str] = field(default_factory=dict)  # gap type titles by shape
    error: str | None = None  # why validation could not run; the pages then show no gaps
    _worst_first: list[str] | None = None  # systems, worst first, computed on first use

    def __getstate__(self) -> dict[str, Any]:
        """Saved with the store (stkg.web.state): the results, not the report's graph,
        which the pages never read and which is rebuilt from the results when needed."""
        kept = dict(self.__dict__)
        report = self.report
        kept["report"] = ValidationReport(
            report.conforms, report.results, Graph(), report.labels, report.engine
        )
        return kept

    @classmethod
    def build(cls, report: ValidationReport, store: Store | None = None) -> GapIndex:
        """Index `report`; with `store`, gap type titles are the shapes' labels, read once
        here (else the shapes' local names)."""
        index = cls(report)
        by_system: dict[str, list[ValidationResult]] = defaultdict(list)
        by_requirement: dict[str, list[ValidationResult]] = defaultdict(list)
        shapes, frameworks, requirements = defaultdict(set), defaultdict(set), defaultdict(set)
        for result in report.results:
            shapes.setdefault(result.source_shape, set())
            for req in result.requirements:
                by_requirement[req.iri].append(result)
            for system in result.systems:
                by_system[system].append(result)
                shapes[result.source_shape].add(system)
                for req in result.requirements:
                    requirements[req.iri].add(system)
                    if req.framework:
                        frameworks[req.framework].add(system)
        index.by_system = dict(by_system)
        index.by_requirement = dict(by_requirement)
        index.systems_by_shape = {s: v for s, v in shapes.items() if v}
        index.systems_by_framework = dict(frameworks)
        index.systems_by_requirement = dict(requirements)
        known = describe(store, shapes) if store is not None else {}
        index.titles = {
            s: title(known[s].label if s in known and known[s].labelled else local_name(s))
            for s in shapes
        }
        return index

    def label(self, iri: str) -> str:
        return self.report.labels.get(iri) or compact(iri)

    def title(self, shape: str) -> str:
        """A gap type's readable title: its shape's label ("Escalation path")."""
        return self.titles.get(shape) or title(local_name(shape))

    def worst_first(self) -> list[str]:
        """Every system with gaps, worst first then by name: the unfiltered `/gaps` order,
        sorted once per validation run (a page then slices it)."""
        if self._worst_first is None:
            by_name = sorted(self.by_system, key=lambda k: (self.label(k).lower(), k))
            self._worst_first = sorted(by_name, key=lambda k: priority(self.by_system[k]))
        return self._worst_first
