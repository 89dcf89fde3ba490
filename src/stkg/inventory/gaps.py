"""The governance gaps an import brings: the validation results of the imported systems,
counted for the summary `stkg import` prints, not explained.

A full `stkg.validate.validate` explains every result: the requirements of its shape, the
systems of its focus node and the labels of both, in batched queries. At 10,000 imported
systems (48,166 results) that explanation cost as much as finding the results, and at
100,000 most of the 307 s of the summary. The summary needs only each result's severity,
named shape and systems, so this runs the same compiled checks (`stkg.shacl`) and answers
"which systems" with one query for the systems in the store, and one for the few focus nodes
that are not systems themselves. Shapes the compiler hands to pySHACL need the full run:
then this is `validate` itself.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import pyoxigraph as ox
from rdflib import BNode, Graph, URIRef
from rdflib.namespace import SH
from rdflib.term import Node

from stkg import collector
from stkg.namespace import STKG_NS
from stkg.shacl import engine as compiled
from stkg.shacl.compile import Check, compile_shapes
from stkg.shacl.scope import DataScope
from stkg.shacl.scope import scope as data_scope
from stkg.shacl.terms import to_rdflib
from stkg.store import Store
from stkg.validate import SEVERITIES, validate
from stkg.validate_graphs import data_graph_names, left_out, store_shapes

SYSTEM_CLASSES = (
    f"?c <http://www.w3.org/2000/01/rdf-schema#subClassOf>* <{STKG_NS}SocialTechnicalSystem>"
)
BATCH = 2000  # focus nodes per query


@dataclass(frozen=True)
class Gap:
    """One validation result as the summary counts it (the fields of a ValidationResult
    it reads; the same text forms)."""

    focus_node: str
    severity: str  # "Violation", "Warning", "Info", or a custom severity's IRI
    source_shape: str  # the named shape
    path: str | None
    value: str | None
    systems: tuple[str, ...]  # the systems the focus node is, or belongs to

    def key(self) -> tuple[str, str, str | None, str | None]:
        return (self.focus_node, self.source_shape, self.path, self.value)


def gaps(store: Store, imported: set[str]) -> list[Gap]:
    """The results of a validation of the whole store that concern the `imported` systems,
    in the order of severity a report lists them in. Without the cycle collector: the rows
    and results are hundreds of thousands of small objects in no cycle (its passes over them
    were 0.6 s of 3.4 at 10,000 systems)."""
    with collector.paused():
        return _gaps(store, imported)


def _gaps(store: Store, imported: set[str]) -> list[Gap]:
    names = data_graph_names(store)
    shapes = store_shapes(store)
    scope = data_scope(store, names, [g for g in store.graph_names() if left_out(g)], shapes)
    every = _every_system(store, scope)
    if imported.isdisjoint(every.named):  # no result can concern them (before a first import)
        return []
    targets = compiled.TargetCache(store, scope)
    plan = compile_shapes(shapes, resolve=None if scope.union else targets)
    found = None if plan.fallback else compiled.answers(store, plan, scope)[0]
    if found is None or plan.fallback:  # a shape for pySHACL: the full validation
        return _of_report(store, imported)
    results = _distinct(found)
    systems = _systems(store, scope, every, {focus for _, focus, _, _ in results})
    named: dict[Node, str] = {}
    fixed: dict[int, tuple[str, str]] = {}  # a check's severity and named shape, by id
    gaps = []
    for check, focus, path, value in results:
        belongs = systems.get(focus, ())
        if imported.isdisjoint(belongs):
            continue
        if id(check) not in fixed:
            if check.shape not in named:
                named[check.shape] = _text(_named_shape(shapes, check.shape))
            fixed[id(check)] = (_severity(check.severity), named[check.shape])
        severity, shape = fixed[id(check)]
        gaps.append(
            Gap(
                _text(focus),
                severity,
                shape,
                str(path) if isinstance(path, URIRef) else None,
                None if value is None else _text(value),
                belongs,
            )
        )
    gaps.sort(key=_order)
    return gaps


Term = ox.NamedNode | ox.BlankNode | ox.Literal


def _distinct(
    found: list[tuple[Check, compiled.Row]],
) -> list[tuple[Check, Term, Node | None, Term | None]]:
    """The results a report lists (`stkg.shacl.engine.distinct`), read from the rows as the
    store gave them: turning every row into rdflib terms took about 20 s at 100,000
    systems. A row's terms compare as their rdflib twins do, and its messages follow from
    its check and terms, so the same rows are kept."""
    seen: dict[int, set[tuple]] = {}  # by check (hashing a check hashes its query)
    kept = []
    for check, row in found:
        focus, value, path, terms = compiled.parts(check, row)
        path = check.path if path is None else to_rdflib(path)
        key = (focus, path, value, tuple(sorted((k, t.value) for k, t in terms.items())))
        known = seen.setdefault(id(check), set())
        if key not in known:
            known.add(key)
            kept.append((check, focus, path, value))
    return kept


def _of_report(store: Store, imported: set[str]) -> list[Gap]:
    return [
        Gap(r.focus_node, r.severity, r.source_shape, r.path, r.value, r.systems)
        for r in validate(store).results
        if not imported.isdisjoint(r.systems)
    ]


def _order(gap: Gap) -> tuple:
    """As a report sorts its results, as far as the summary shows it (which severity comes
    first in its counts)."""
    severity = SEVERITIES.index(gap.severity) if gap.severity in SEVERITIES else -1
    return (gap.systems or ("~",), severity)


def _graphs(scope: DataScope) -> list[str] | None:
    return None if scope.union or scope.names is None else list(scope.names)


@dataclass(frozen=True)
class _Systems:
    named: set[str]  # the IRIs of the systems in the store
    texts: set[str]  # the systems as results name them, blank nodes too ("_:b0")


def _every_system(store: Store, scope: DataScope) -> _Systems:
    answer = store.query(
        f"SELECT DISTINCT ?s WHERE {{ {SYSTEM_CLASSES} . ?s a ?c }}", default_graphs=_graphs(scope)
    )
    found = [row[0] for row in answer.rows if row[0] is not None]
    return _Systems({s.value for s in found if isinstance(s, ox.NamedNode)}, set(map(_text, found)))


def _systems(
    store: Store, scope: DataScope, every: _Systems, focus: set[Term]
) -> dict[Term, tuple[str, ...]]:
    """The systems each focus node is (itself only) or belongs to (the systems linking to
    it), as a validation report says. Which subjects are systems is known (`every`): asking
    the store again in the query that finds the links evaluated the subclass path once per
    link."""
    found: dict[Term, tuple[str, ...]] = {}
    others = []
    for node in focus:
        if isinstance(node, ox.BlankNode):
            found[node] = ()
        elif node.value in every.named:
            found[node] = (node.value,)
        else:
            others.append(node)
    linked: dict[str, set[str]] = {}
    for chunk in _chunks(sorted(others, key=str)):
        values = " ".join(str(n) for n in chunk)
        answer = store.query(
            f"SELECT DISTINCT ?f ?s WHERE {{ VALUES ?f {{ {values} }} ?s ?p ?f }}",
            default_graphs=_graphs(scope),
        )
        for f, s in answer.rows:
            if f is not None and s is not None and (text := _text(s)) in every.texts:
                linked.setdefault(f.value, set()).add(text)
    for node in others:
        found[node] = tuple(sorted(linked.get(node.value, ())))
    return found


def _chunks(nodes: list[Node]) -> Iterable[list[Node]]:
    for start in range(0, len(nodes), BATCH):
        yield nodes[start : start + BATCH]


def _named_shape(shapes: Graph, shape: Node) -> Node:
    """The IRI-named shape a result comes from: anonymous property shapes belong to one."""
    seen = set()
    while isinstance(shape, BNode) and shape not in seen:
        seen.add(shape)
        parent = next(shapes.subjects(SH.property, shape), None)
        if parent is None:
            break
        shape = parent
    return shape


def _severity(term: Node) -> str:
    name = str(term).removeprefix(str(SH))
    return name if name in SEVERITIES else str(term)


def _text(term: Node | Term) -> str:
    if isinstance(term, BNode | ox.BlankNode):
        return f"_:{term}" if isinstance(term, BNode) else f"_:{term.value}"
    return term.value if isinstance(term, ox.NamedNode | ox.Literal) else str(term)
