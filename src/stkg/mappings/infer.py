"""Inferring mappings by composing chains of asserted ones (`stkg map infer`).

Each pair of requirements in different frameworks that no asserted mapping links, but a chain
of up to `max_hops` asserted mappings does, gets one `stkg:ChainedMapping` in the graph
`INFERRED_GRAPH`: its relationship is the composition of the chain (none when indeterminate),
and `stkg:mappingPath` keeps the chain as an ordered RDF list of the mappings it went through.
Asserted mappings count in both directions (a reversed mapping with its inverse relationship);
rejected mappings, and with `approved_only` every mapping not approved, are left out.
"""

from __future__ import annotations

import datetime
import hashlib
from collections import defaultdict
from dataclasses import dataclass

import pyoxigraph as ox

from stkg.mappings.model import (
    FRAMEWORK_BASE,
    INFERRED_GRAPH,
    INFERRED_SET,
    MAPPING_BASE,
    Catalogue,
    Link,
    Relation,
    compose_all,
    fetch_catalogue,
    fetch_links,
)
from stkg.namespace import STKG_NS
from stkg.store import Store

RDF_NS = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
DCT_NS = "http://purl.org/dc/terms/"
XSD_DATE = "http://www.w3.org/2001/XMLSchema#date"
MAX_HOPS_LIMIT = 4

# Which of several chains between the same two requirements is kept: the most informative.
_RANK = {
    Relation.EQUAL: 4,
    Relation.SUBSET: 3,
    Relation.SUPERSET: 3,
    Relation.INTERSECTS: 2,
    Relation.NONE: 2,
    Relation.INDETERMINATE: 1,
}


@dataclass(frozen=True)
class Step:
    """One mapping used in a chain, possibly against its asserted direction."""

    link: Link
    reversed: bool

    @property
    def start(self) -> str:
        return self.link.target if self.reversed else self.link.source  # type: ignore[return-value]

    @property
    def end(self) -> str:
        return self.link.source if self.reversed else self.link.target  # type: ignore[return-value]

    @property
    def relation(self) -> Relation:
        assert self.link.relation is not None
        return self.link.relation.inverse if self.reversed else self.link.relation


@dataclass(frozen=True)
class InferredLink:
    source: str
    target: str
    relation: Relation
    path: tuple[Step, ...]
    alternatives: frozenset[Relation]  # what other chains between the same pair give

    @property
    def iri(self) -> str:
        return f"{MAPPING_BASE}inferred/{_slug(self.source)}--{_slug(self.target)}"


def usable_links(links: list[Link], *, approved_only: bool = False) -> list[Link]:
    """Links that take part in composition: well formed, not rejected."""
    approved = STKG_NS + "Approved"
    return [
        link
        for link in links
        if link.source
        and link.target
        and link.source != link.target
        and link.relation is not None
        and not link.rejected
        and (link.status == approved or not approved_only)
    ]


def infer(links: list[Link], catalogue: Catalogue, *, max_hops: int = 2) -> list[InferredLink]:
    """Compose chains of 2..max_hops links between requirements of different frameworks."""
    if not 2 <= max_hops <= MAX_HOPS_LIMIT:
        raise ValueError(f"max_hops must be from 2 to {MAX_HOPS_LIMIT}")
    steps: dict[str, list[Step]] = defaultdict(list)
    direct: set[tuple[str, str]] = set()
    for link in links:
        assert link.source and link.target
        steps[link.source].append(Step(link, reversed=False))
        steps[link.target].append(Step(link, reversed=True))
        direct |= {(link.source, link.target), (link.target, link.source)}
    for outgoing in steps.values():
        outgoing.sort(key=lambda s: (s.end, s.link.mapping, s.reversed))

    chains: dict[tuple[str, str], list[tuple[Relation, tuple[Step, ...]]]] = defaultdict(list)
    for start in sorted(steps):
        _walk(start, [], {start}, steps, max_hops, catalogue, direct, chains)

    inferred = []
    for (source, target), found in sorted(chains.items()):
        best = min(found, key=lambda c: (-_RANK[c[0]], len(c[1]), [s.link.mapping for s in c[1]]))
        others = frozenset(
            r for r, _ in found if r is not best[0] and r is not Relation.INDETERMINATE
        )
        inferred.append(InferredLink(source, target, best[0], best[1], others))
    return inferred


def _walk(
    start: str,
    path: list[Step],
    visited: set[str],
    steps: dict[str, list[Step]],
    max_hops: int,
    catalogue: Catalogue,
    direct: set[tuple[str, str]],
    chains: dict[tuple[str, str], list[tuple[Relation, tuple[Step, ...]]]],
) -> None:
    here = path[-1].end if path else start
    if len(path) >= 2 and start < here and (start, here) not in direct:
        start_scheme, end_scheme = catalogue.scheme_of.get(start), catalogue.scheme_of.get(here)
        if start_scheme and end_scheme and start_scheme != end_scheme:
            chains[(start, here)].append((compose_all(s.relation for s in path), tuple(path)))
    if len(path) == max_hops:
        return
    for step in steps.get(here, ()):
        if step.end not in visited:
            path.append(step)
            visited.add(step.end)
            _walk(start, path, visited, steps, max_hops, catalogue, direct, chains)
            visited.discard(step.end)
            path.pop()


def infer_store(
    store: Store, *, max_hops: int = 2, approved_only: bool = False
) -> list[InferredLink]:
    """Compose the store's mappings and replace `INFERRED_GRAPH` with the result."""
    catalogue = fetch_catalogue(store)
    links = usable_links(fetch_links(store), approved_only=approved_only)
    inferred = infer(links, catalogue, max_hops=max_hops)
    store.drop_graph(INFERRED_GRAPH)
    triples = inferred_triples(inferred, catalogue)
    body = " .\n".join(f"{t.subject} {t.predicate} {t.object}" for t in triples)
    store.update(f"INSERT DATA {{ GRAPH <{INFERRED_GRAPH}> {{\n{body} .\n}} }}")
    return inferred


def inferred_triples(
    inferred: list[InferredLink], catalogue: Catalogue, date: datetime.date | None = None
) -> list[ox.Triple]:
    """The RDF of inferred links: each a stkg:ChainedMapping with its path as an RDF list."""
    stkg = _Namer(STKG_NS)
    rdf = _Namer(RDF_NS)
    dct = _Namer(DCT_NS)
    mapping_set = ox.NamedNode(INFERRED_SET)
    day = (date or datetime.date.today()).isoformat()
    triples = [
        ox.Triple(mapping_set, rdf("type"), stkg("MappingSet")),
        ox.Triple(
            mapping_set, dct("title"), ox.Literal("Mappings inferred by composition", language="en")
        ),
        ox.Triple(mapping_set, dct("creator"), ox.Literal("stkg map infer")),
        ox.Triple(mapping_set, dct("date"), ox.Literal(day, datatype=ox.NamedNode(XSD_DATE))),
    ]
    for link in inferred:
        node = ox.NamedNode(link.iri)
        source, target = ox.NamedNode(link.source), ox.NamedNode(link.target)
        triples += [
            ox.Triple(node, rdf("type"), stkg("ChainedMapping")),
            ox.Triple(node, stkg("mappingSource"), source),
            ox.Triple(node, stkg("mappingTarget"), target),
            ox.Triple(node, stkg("inMappingSet"), mapping_set),
            ox.Triple(node, stkg("justification"), ox.Literal(explain(link, catalogue))),
        ]
        if link.relation.iri is not None:
            triples.append(ox.Triple(node, stkg("relationship"), ox.NamedNode(link.relation.iri)))
        if link.relation.skos is not None:
            triples.append(ox.Triple(source, ox.NamedNode(link.relation.skos), target))
        cells = [ox.BlankNode() for _ in link.path]
        triples.append(ox.Triple(node, stkg("mappingPath"), cells[0]))
        for i, (cell, step) in enumerate(zip(cells, link.path, strict=True)):
            rest = cells[i + 1] if i + 1 < len(cells) else rdf("nil")
            triples += [
                ox.Triple(cell, rdf("first"), ox.NamedNode(step.link.mapping)),
                ox.Triple(cell, rdf("rest"), rest),
            ]
    return triples


def explain(link: InferredLink, catalogue: Catalogue) -> str:
    """The reasoning path in words, e.g. 'GOVERN 1.1 equal A.5.2; A.5.2 subset of Art. 9'."""
    name = catalogue.name
    parts = [
        f"{name(s.start)} {s.relation.label} {name(s.end)}"
        + (" (reverse of the asserted mapping)" if s.reversed else "")
        for s in link.path
    ]
    return f"{'; '.join(parts)}; so {name(link.source)} {link.relation.label} {name(link.target)}"


class _Namer:
    def __init__(self, namespace: str) -> None:
        self.namespace = namespace

    def __call__(self, local: str) -> ox.NamedNode:
        return ox.NamedNode(self.namespace + local)


def _slug(iri: str) -> str:
    """A readable, stable IRI segment for a requirement."""
    if iri.startswith(FRAMEWORK_BASE):
        return iri[len(FRAMEWORK_BASE) :].replace("/", ".")
    return hashlib.sha1(iri.encode()).hexdigest()[:12]
