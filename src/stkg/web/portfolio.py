"""The portfolio index: one row per system with what the `/systems` table filters, sorts and
counts by, built by one query per version of the store.

Oxigraph answers a sorted, grouped page query over a hundred thousand systems in seconds
(every page re-reads the whole portfolio to sort it), so the explorer keeps the few facts the
table needs — labels, impact levels, lifecycle stages, EU AI Act tiers — in memory (about
40 MB at 100,000 systems) and pages, filters, sorts and counts there: a page is a scan of a
list, tens of milliseconds. Each sort order is computed once and kept. The index is rebuilt
after an update through the endpoint, like the validation results (`stkg.web.cache`).
Typing honours user-defined subclasses of `stkg:SocialTechnicalSystem`.
"""

from __future__ import annotations

import threading
from collections import Counter, OrderedDict
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import pyoxigraph as ox

from stkg.web.classification import TIERS, derived_tiers
from stkg.web.state import state
from stkg.web.terms import PREFIX_LINES, STKG, iri_term, store, term_key

SYSTEMS = """
  { SELECT DISTINCT ?system WHERE {
      ?class rdfs:subClassOf* stkg:SocialTechnicalSystem . ?system a ?class } }"""
# facet name -> the property whose values it counts
FACETS = {
    "impact": STKG + "impactLevel",
    "stage": STKG + "lifecycleStage",
    "tier": STKG + "euAIActTier",
}
ORDERS = {  # facet values in their natural order; a value not listed sorts after them
    "impact": tuple(STKG + n for n in ("HighImpact", "MediumImpact", "LowImpact")),
    "stage": tuple(
        STKG + n for n in ("Design", "InDevelopment", "Validation", "Deployed", "Retired")
    ),
    "tier": TIERS,
}
SORTS = ("label", "impact", "stage", "tier", "system")
NONE = "none"  # facet value: the fact is not recorded
KEEP = 32  # filtered selections remembered per index (each at most one list of the rows)
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
SKOS_PREF_LABEL = "http://www.w3.org/2004/02/skos/core#prefLabel"


@dataclass(slots=True)
class SystemRow:
    system: str  # a `term_key`: the IRI, or `_:id` for a blank node typed as a system
    label: str  # its rdfs:label (the least, if several), else the IRI
    text: str  # every rdfs:label and skos:prefLabel, lower-cased, for the search box
    impact: tuple[str, ...]  # `term_key`s: IRIs, or literals where an IRI was expected
    stage: tuple[str, ...]
    tier: tuple[str, ...]

    def rank(self, facet: str) -> int:
        """The position of the row's first value in the facet's natural order."""
        return min(map(partial(position, facet), getattr(self, facet)), default=len(ORDERS[facet]))


def position(facet: str, value: str) -> int:
    """A value's place in the facet's natural order (after them all when not listed)."""
    order = ORDERS[facet]
    return order.index(value) if value in order else len(order)


@dataclass
class PortfolioIndex:
    rows: list[SystemRow]
    _orders: dict[tuple[str, str], list[SystemRow]] = field(default_factory=dict)
    _unfiltered: dict[str, Counter[str]] = field(default_factory=dict)
    _selections: OrderedDict[Hashable, list[SystemRow]] = field(default_factory=OrderedDict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __getstate__(self) -> dict[str, Any]:  # saved with the store: the rows only
        return {"rows": self.rows}

    def __setstate__(self, saved: dict[str, Any]) -> None:
        self.__init__(saved["rows"])  # type: ignore[misc]

    def remember(self, key: Hashable, compute: Callable[[], list[SystemRow]]) -> list[SystemRow]:
        """`compute()`, kept for the last `KEEP` keys: a page asks for the same selection
        for several facets, and paging through a filtered table asks for it again. Valid as
        long as this index: both are built per version of the store."""
        with self._lock:
            if key in self._selections:
                self._selections.move_to_end(key)
                return self._selections[key]
        rows = compute()
        with self._lock:
            self._selections[key] = rows
            while len(self._selections) > KEEP:
                self._selections.popitem(last=False)
        return rows

    def ordered(self, sort: str, direction: str) -> list[SystemRow]:
        """Every row, sorted by `sort` (ascending or descending), then by label and IRI."""
        key = (sort, direction)
        with self._lock:
            if key not in self._orders:
                self._orders[key] = _sorted(self.rows, sort, direction == "desc")
            return self._orders[key]

    def counts(self, facet: str, rows: list[SystemRow] | None = None) -> Counter[str]:
        """Rows per value of a facet (`NONE` counts rows without one); all rows by default."""
        if rows is None:
            with self._lock:
                if facet not in self._unfiltered:
                    self._unfiltered[facet] = _count(self.rows, facet)
                return self._unfiltered[facet]
        return _count(rows, facet)


def _count(rows: Iterable[SystemRow], facet: str) -> Counter[str]:
    counts: Counter[str] = Counter()
    for row in rows:
        counts.update(getattr(row, facet) or (NONE,))
    return counts


def _sorted(rows: list[SystemRow], sort: str, descending: bool) -> list[SystemRow]:
    by_label = sorted(rows, key=lambda r: (r.label.lower(), r.system))
    primary: Callable[[SystemRow], object] = {
        "label": lambda r: r.label.lower(),
        "system": lambda r: r.system,
        "impact": lambda r: r.rank("impact"),
        "stage": lambda r: r.rank("stage"),
        "tier": lambda r: r.rank("tier"),
    }[sort]
    return sorted(by_label, key=primary, reverse=descending)  # stable: ties stay by label


def portfolio_index() -> PortfolioIndex:
    """The app's portfolio index, with the derived EU AI Act tiers."""
    return state().caches.get("portfolio", _build, pending=lambda: PortfolioIndex([]))


def _build() -> PortfolioIndex:
    props = " ".join(iri_term(p) for p in (RDFS_LABEL, SKOS_PREF_LABEL, *FACETS.values()))
    text = (
        PREFIX_LINES
        + "SELECT ?system ?p ?o WHERE {"
        + SYSTEMS
        + f"\n  OPTIONAL {{ VALUES ?p {{ {props} }} ?system ?p ?o }} }}"
    )
    found: dict[str, dict[str, list[str]]] = {}
    for system, p, o in store().query(text).rows:
        facts = found.setdefault(term_key(system), {})
        if p is None:
            continue
        if p.value in (RDFS_LABEL, SKOS_PREF_LABEL):
            if isinstance(o, ox.Literal):  # a label that is an IRI is no label to show
                facts.setdefault(p.value, []).append(o.value)
        else:  # a facet value keeps its kind: the text "Deployed" is not stkg:Deployed
            facts.setdefault(p.value, []).append(term_key(o))
    derived = derived_tiers()
    rows = []
    for system, facts in found.items():
        if system in derived:  # the derived tiers beside any asserted in the data
            facts[FACETS["tier"]] = [*facts.get(FACETS["tier"], ()), *derived[system]]
        labels = sorted(facts.get(RDFS_LABEL, ()))
        texts = [*labels, *facts.get(SKOS_PREF_LABEL, ())]
        rows.append(
            SystemRow(
                system=system,
                label=labels[0] if labels else system,
                text="\n".join(t.lower() for t in texts),
                **{name: tuple(sorted(set(facts.get(p, ())))) for name, p in FACETS.items()},
            )
        )
    return PortfolioIndex(rows)
