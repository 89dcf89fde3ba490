"""Consistency checks over the mapping graph (`stkg map check`).

Errors: mappings without a source or target; sources or targets that are not declared
requirements (dangling IRIs); relationships that are not one of the five STRM individuals
or lack a declared inverse; strengths outside 1–10; contradictions (two mappings of the same
pair, read in one direction through inverses, with different relationships, e.g. equal
beside no relationship); cycles of subset/equal links that would make distinct
requirements equal (A ⊂ B ⊂ A). Warnings: requirements that no mapping reaches, per
framework. The five STRM relationships exclude one another by definition, so any two
different ones for the same ordered pair contradict each other.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from stkg.mappings.model import (
    STRM,
    Catalogue,
    Link,
    Relation,
    fetch_catalogue,
    fetch_links,
    short_name,
)
from stkg.store import Store

UNREACHED_SHOWN = 10

_INVERSES_QUERY = """
PREFIX stkg: <https://w3id.org/stkg#>
SELECT ?relationship ?inverse WHERE {
  ?relationship a stkg:SetRelationship .
  OPTIONAL { ?relationship stkg:inverseRelationship ?inverse }
}
"""

# SKOS mapping links asserted directly between concepts, as catalogues do (each NIST AI 600-1
# action is a skos:broadMatch of its AI RMF subcategory): they reach both ends as a mapping
# does. A rejected stkg:Mapping's own SKOS triple is not counted.
_SKOS_LINKS_QUERY = """
PREFIX stkg: <https://w3id.org/stkg#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT DISTINCT ?a ?b WHERE {
  ?a skos:broadMatch|skos:narrowMatch|skos:closeMatch|skos:exactMatch|skos:relatedMatch ?b .
  FILTER NOT EXISTS {
    ?m stkg:mappingSource ?a ; stkg:mappingTarget ?b ; stkg:reviewStatus stkg:Rejected .
  }
}
"""


@dataclass(frozen=True)
class Finding:
    severity: str  # "error" or "warning"
    kind: str  # dangling, malformed, missing-inverse, contradiction, cycle, unreached
    message: str
    subjects: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, object]:
        return {
            "severity": self.severity,
            "kind": self.kind,
            "message": self.message,
            "subjects": list(self.subjects),
        }


def check_store(store: Store) -> list[Finding]:
    """Run every check over the mappings and requirements in the store."""
    inverses: dict[str, set[str]] = {}
    for row in store.query(_INVERSES_QUERY).dicts():
        declared = inverses.setdefault(row["relationship"].value, set())
        if "inverse" in row:
            declared.add(row["inverse"].value)
    skos = {(r["a"].value, r["b"].value) for r in store.query(_SKOS_LINKS_QUERY).dicts()}
    return check(fetch_links(store), fetch_catalogue(store), inverses, skos)


def check(
    links: list[Link],
    catalogue: Catalogue,
    inverses: dict[str, set[str]],
    skos_links: set[tuple[str, str]] = frozenset(),  # type: ignore[assignment]
) -> list[Finding]:
    """All findings, errors first, in a stable order."""
    live = [link for link in links if not link.rejected]
    findings = [
        *_malformed(live, catalogue),
        *_relationships(live, inverses),
        *_contradictions(live, catalogue),
        *_cycles(live, catalogue),
        *_unreached(live, catalogue, skos_links),
    ]
    return sorted(findings, key=lambda f: (f.severity != "error", f.kind, f.message))


def _malformed(links: list[Link], catalogue: Catalogue) -> list[Finding]:
    found = []
    for link in links:
        for role, iri in (("source", link.source), ("target", link.target)):
            if iri is None:
                found.append(
                    Finding(
                        "error",
                        "malformed",
                        f"<{link.mapping}> has no mapping {role}",
                        (link.mapping,),
                    )
                )
            elif iri not in catalogue.requirements:
                found.append(
                    Finding(
                        "error",
                        "dangling",
                        f"<{link.mapping}>: mapping {role} <{iri}> is not a declared requirement",
                        (link.mapping, iri),
                    )
                )
        if link.strength is not None and not _strength_ok(link.strength):
            found.append(
                Finding(
                    "error",
                    "malformed",
                    f"<{link.mapping}>: strength {link.strength!r} is not an integer 1–10",
                    (link.mapping,),
                )
            )
    return found


def _strength_ok(value: str) -> bool:
    return value.strip().isdigit() and 1 <= int(value) <= 10


def _relationships(links: list[Link], inverses: dict[str, set[str]]) -> list[Finding]:
    found = []
    for iri in sorted({link.relationship_iri for link in links if link.relationship_iri}):
        users = tuple(link.mapping for link in links if link.relationship_iri == iri)
        if Relation.from_iri(iri) is None:
            found.append(
                Finding(
                    "error",
                    "malformed",
                    f"<{iri}> (used by {len(users)} mappings) is not one of the five "
                    "NIST IR 8477 set relationships",
                    (iri,),
                )
            )
        declared = inverses.get(iri, set())
        if len(declared) != 1:
            found.append(
                Finding(
                    "error",
                    "missing-inverse",
                    f"<{iri}> has {len(declared)} declared stkg:inverseRelationship "
                    "values (expected 1)",
                    (iri,),
                )
            )
        elif iri not in inverses.get(next(iter(declared)), set()):
            found.append(
                Finding(
                    "error",
                    "missing-inverse",
                    f"<{iri}>'s inverse does not have it as its inverse",
                    (iri,),
                )
            )
    return found


def _contradictions(links: list[Link], catalogue: Catalogue) -> list[Finding]:
    """Per unordered pair, the typed relationships read from the smaller IRI to the larger."""
    by_pair: dict[tuple[str, str], dict[Relation, list[str]]] = defaultdict(
        lambda: defaultdict(list)
    )
    for link in links:
        if not (link.source and link.target and link.relation in STRM):
            continue
        assert link.relation is not None
        if link.source <= link.target:
            key, relation = (link.source, link.target), link.relation
        else:
            key, relation = (link.target, link.source), link.relation.inverse
        by_pair[key][relation].append(link.mapping)
    found = []
    name = catalogue.name
    for (a, b), relations in sorted(by_pair.items()):
        if len(relations) < 2 or set(relations) == {Relation.SUBSET, Relation.SUPERSET}:
            continue  # the subset/superset pair is a two-element cycle, reported below
        said = "; ".join(
            f"{r.label} ({', '.join(f'<{m}>' for m in sorted(ms))})"
            for r, ms in sorted(relations.items(), key=lambda kv: kv[0].value)
        )
        mappings = tuple(sorted(m for ms in relations.values() for m in ms))
        found.append(
            Finding(
                "error",
                "contradiction",
                f"{name(a)} → {name(b)} is said to be: {said}",
                (a, b, *mappings),
            )
        )
    return found


def _cycles(links: list[Link], catalogue: Catalogue) -> list[Finding]:
    """Strongly connected groups of the ⊆ graph that hold a strict (subset) link."""
    edges: dict[str, set[str]] = defaultdict(set)
    strict: list[tuple[str, str, str]] = []
    for link in links:
        if not (link.source and link.target) or link.source == link.target:
            continue
        s, t = link.source, link.target
        if link.relation is Relation.EQUAL:
            edges[s].add(t)
            edges[t].add(s)
        elif link.relation is Relation.SUBSET:
            edges[s].add(t)
            strict.append((s, t, link.mapping))
        elif link.relation is Relation.SUPERSET:
            edges[t].add(s)
            strict.append((t, s, link.mapping))
    component = _components(edges)
    groups: dict[int, set[str]] = defaultdict(set)
    for s, t, mapping in strict:
        if component.get(s) is not None and component.get(s) == component.get(t):
            groups[component[s]].add(mapping)
    found = []
    for index, mappings in groups.items():
        members = sorted(n for n, c in component.items() if c == index)
        names = ", ".join(catalogue.name(m) for m in members)
        found.append(
            Finding(
                "error",
                "cycle",
                f"subset/equal mappings form a cycle that would make {names} equal "
                f"(strict links: {', '.join(f'<{m}>' for m in sorted(mappings))})",
                (*members, *sorted(mappings)),
            )
        )
    return found


def _components(edges: dict[str, set[str]]) -> dict[str, int]:
    """Tarjan's strongly connected components, iterative (mapping graphs can be deep)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    component: dict[str, int] = {}
    counter = 0
    nodes = sorted(set(edges) | {t for ts in edges.values() for t in ts})
    for root in nodes:
        if root in index:
            continue
        work = [(root, iter(sorted(edges.get(root, ()))))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                members = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    members.append(member)
                    if member == node:
                        break
                if len(members) > 1:
                    for member in members:
                        component[member] = index[node]
    return component


def _unreached(
    links: list[Link], catalogue: Catalogue, skos_links: set[tuple[str, str]]
) -> list[Finding]:
    reached = {end for pair in skos_links for end in pair}
    for link in links:
        if link.relation is not Relation.NONE:
            reached |= {link.source, link.target}
    found = []
    for framework in sorted(catalogue.frameworks):
        members = catalogue.members(framework)
        missing = [m for m in members if m not in reached]
        if not missing:
            continue
        shown = ", ".join(catalogue.name(m) for m in missing[:UNREACHED_SHOWN])
        more = (
            f" and {len(missing) - UNREACHED_SHOWN} more" if len(missing) > UNREACHED_SHOWN else ""
        )
        found.append(
            Finding(
                "warning",
                "unreached",
                f"{short_name(framework)}: {len(missing)} of {len(members)} requirements "
                f"are reached by no mapping: {shown}{more}",
                (framework, *missing),
            )
        )
    return found
