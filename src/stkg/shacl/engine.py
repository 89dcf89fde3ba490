"""Run compiled checks on a store and write the standard sh:ValidationReport.

`run` issues one SELECT per check and turns every row into a `Result`; `report_graph` writes
the results as pySHACL does (focus node, path, value, source shape, constraint component,
severity, messages), so reports from both engines compare triple for triple. `focus_plan`
compiles the shapes for given focus nodes only: incremental validation.
"""

from __future__ import annotations

import os
import re
import warnings
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TypeVar

import pyoxigraph as ox
from rdflib import RDF, BNode, Graph, Literal
from rdflib.namespace import SH
from rdflib.term import Node

from stkg.errors import StkgError
from stkg.results import QueryResult
from stkg.shacl.compile import Check, Compiler, Plan, compile_shapes, targeted_shapes
from stkg.shacl.scope import DataScope
from stkg.shacl.terms import Unsupported, path_nodes, prologue, sparql_term, to_ox, to_rdflib
from stkg.store import Store
from stkg.validate_graphs import exact_literals

Graphs = Sequence[str] | DataScope | None  # the data graphs, or a scope that picks per query
T = TypeVar("T")


def _graphs(graphs: Graphs, query: str) -> Sequence[str] | None:
    return graphs.graphs(query) if isinstance(graphs, DataScope) else graphs


class TargetCache:
    """Evaluates each distinct SPARQL target once per run (shapes often share one)."""

    def __init__(self, store: Store, default_graphs: Graphs = None) -> None:
        self.store, self.graphs = store, default_graphs
        self.found: dict[str, list[Node] | None] = {}

    def __call__(self, query: str) -> list[Node] | None:
        if query not in self.found:
            try:
                answer = self.store.query(query, default_graphs=_graphs(self.graphs, query))
            except StkgError:
                self.found[query] = None  # compiled into the checks, which then fall back
                return None
            nodes = {
                to_rdflib(row[answer.variables.index("this")])
                for row in answer.rows
                if "this" in answer.variables and row[answer.variables.index("this")]
            }
            named = None if any(isinstance(n, BNode) for n in nodes) else sorted(nodes, key=str)
            self.found[query] = named
        return self.found[query]


def canonical_literals(literals: Iterable[Literal]) -> dict[ox.Literal, Literal]:
    """How Oxigraph will store each literal (it canonicalises values: "4.0"^^xsd:decimal
    becomes "4"), mapped back to the literal as written."""
    written = sorted(set(literals), key=str)
    scratch = ox.Store()
    predicate = ox.NamedNode("urn:stkg:literal")
    scratch.extend(
        ox.Quad(ox.BlankNode(f"l{i}"), predicate, to_ox(lit)) for i, lit in enumerate(written)
    )
    return {q.object: written[int(q.subject.value[1:])] for q in scratch}


@dataclass(frozen=True)
class Result:
    check: Check
    focus: Node
    value: Node | None
    path: Node | None
    messages: tuple[Node, ...]
    extra: tuple = ()  # the row's other values: pySHACL reports one result per such row


@dataclass
class Run:
    """What a run did: the results, and the counts that show what it cost."""

    results: list[Result] = field(default_factory=list)
    queries: int = 0
    focus_nodes: int = 0  # (shape, focus node) pairs a focused run evaluated


Row = dict[str, ox.NamedNode | ox.BlankNode | ox.Literal]  # a result row, unbound left out
THREADS = min(4, os.cpu_count() or 1)  # queries at once: Oxigraph evaluates without the GIL


def answers(
    store: Store, plan: Plan, default_graphs: Graphs = None
) -> tuple[list[tuple[Check, Row]], int]:
    """Every check's rows as the store answers them, in the order of the plan, grouped by
    the shape that reports them; a check the store cannot run moves its shape to the
    fallback. Also returns the number of queries answered. The queries run on a few
    threads: pyoxigraph releases the GIL while it evaluates, and at 10,000 systems two
    threads took the project's 54 compiled queries from 2.9-3.3 s to 1.6 s on two cores."""

    def ask(check: Check) -> QueryResult | StkgError:
        try:
            return store.query(check.query, default_graphs=_graphs(default_graphs, check.query))
        except StkgError as error:
            return error

    with ThreadPoolExecutor(THREADS) as pool:
        asked = list(zip(plan.checks, pool.map(ask, plan.checks), strict=True))
    failed: dict[Node, str] = {}
    by_shape: dict[Node, list[tuple[Check, Row]]] = {}
    queries = 0
    for check, answer in asked:
        root = next((s for s, m in plan.members.items() if check.shape in m), check.shape)
        if root in failed:
            continue
        if isinstance(answer, StkgError):
            failed[root] = f"the compiled query failed: {answer}"
            continue
        queries += 1
        by_shape.setdefault(root, []).extend((check, row) for row in answer.dicts())
    for root, why in failed.items():
        plan.compiled.remove(root)
        plan.fallback[root] = why
        by_shape.pop(root, None)
    return [found for rows in by_shape.values() for found in rows], queries


def run(
    store: Store,
    plan: Plan,
    default_graphs: Graphs = None,
    restore: dict[ox.Literal, Literal] | None = None,
) -> Run:
    """Run every check (`answers`) and turn its rows into results.
    `restore` maps literals as the store canonicalised them ("4"^^xsd:decimal) back to
    how the data wrote them ("4.0"), when the data came from rdflib."""
    done = Run()
    restore = restore or {}
    found, done.queries = answers(store, plan, default_graphs)
    with exact_literals(), warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Parsing weird boolean", UserWarning)
        done.results = [
            _result(check, {k: restore.get(t) or to_rdflib(t) for k, t in row.items()})
            for check, row in found
        ]
    return done


def parts(check: Check, row: dict[str, T]) -> tuple[T, T | None, T | None, dict[str, T]]:
    """A row's focus node, value, ?path and other values, as its result reports them."""
    terms = dict(row)
    focus = terms.pop("this")
    value = terms.pop("value", None)
    path = terms.pop("path", None)
    if check.templated and value is None and check.path is None:
        value = focus  # pySHACL: a node shape's SHACL-SPARQL result has the focus as value
    return focus, value, path, terms


def _result(check: Check, terms: dict[str, Node]) -> Result:
    focus, value, path, terms = parts(check, terms)
    if check.templated:
        bound = {**terms, "this": focus}
        bound.update({k: v for k, v in (("path", path), ("value", value)) if v is not None})
        messages = _templated(check, bound)
    else:
        messages = check.messages or (Literal(_generic(check)),)
    extra = tuple(sorted((k, str(v)) for k, v in terms.items()))
    return Result(check, focus, value, path if path is not None else check.path, messages, extra)


def _templated(check: Check, bound: dict[str, Node]) -> tuple[Node, ...]:
    """Messages as pySHACL writes them for SHACL-SPARQL results: {?var} replaced by the
    row's value, the shape's messages first, each a plain literal."""

    def fill(message: Node) -> Literal:
        text = str(message)
        for name, term in bound.items():
            text = re.sub(r"\{[?$]" + re.escape(name) + r"\}", lambda _m, t=term: str(t), text)
        return Literal(text)

    messages = [fill(m) for m in check.messages]
    messages += [fill(m) for m in check.extra_messages if m not in check.messages]
    return tuple(messages) or (Literal(_generic(check)),)


def _generic(check: Check) -> str:
    name = str(check.component).removeprefix(str(SH)).removesuffix("ConstraintComponent")
    return f"{name} constraint not satisfied"


def distinct(results: Iterable[Result]) -> list[Result]:
    """The results a report lists: one per check, focus node, path, value and messages."""
    seen, found = set(), []
    for r in results:
        key = (r.check, r.focus, r.path, r.value, r.messages, r.extra)
        if key not in seen:
            seen.add(key)
            found.append(r)
    return found


def report_graph(results: Iterable[Result], shapes: Graph) -> Graph:
    """The sh:ValidationReport of the results, with blank-node paths described."""
    graph = Graph()
    report = BNode()
    graph.add((report, RDF.type, SH.ValidationReport))
    seen, conforms = set(), True
    for r in results:
        key = (r.check, r.focus, r.path, r.value, r.messages, r.extra)
        if key in seen:
            continue
        seen.add(key)
        conforms = False
        node = BNode()
        graph.add((report, SH.result, node))
        for p, o in (
            (RDF.type, SH.ValidationResult),
            (SH.focusNode, r.focus),
            (SH.resultSeverity, r.check.severity),
            (SH.sourceShape, r.check.shape),
            (SH.sourceConstraintComponent, r.check.component),
            (SH.resultPath, r.path),
            (SH.value, r.value),
            (SH.sourceConstraint, r.check.constraint),
        ):
            if o is not None:
                graph.add((node, p, o))
        for message in r.messages:
            graph.add((node, SH.resultMessage, message))
        if isinstance(r.path, BNode):
            for triple in path_nodes(shapes, r.path):
                graph.add(triple)
    graph.add((report, SH.conforms, Literal(conforms)))
    return graph


# --- focused (incremental) validation ------------------------------------------------------


def focus_plan(
    store: Store,
    shapes: Graph,
    nodes: Iterable[Node],
    default_graphs: Sequence[str] | None = None,
) -> tuple[Plan, int, int]:
    """Compile the shapes for `nodes` only: each shape gets, as focus nodes, the given nodes
    it targets (found with queries bound to those nodes). Returns the plan, the number of
    (shape, focus node) pairs, and the queries it took."""
    candidates = sorted({n for n in nodes if not isinstance(n, BNode)}, key=str)
    cache: dict[tuple[str, Node], bool] = {}
    focus, pairs, queries, fallback = {}, 0, 0, {}
    for shape in targeted_shapes(shapes):
        compiler = Compiler(shapes)
        try:
            members, used = _members(store, compiler, shape, candidates, default_graphs, cache)
        except Unsupported as why:
            fallback[shape] = str(why)
            continue
        queries += used
        if members:
            values = " ".join(sparql_term(m) for m in members)
            focus[shape] = _values(values)
            pairs += len(members)
    plan = compile_shapes(shapes, only=list(focus), focus=focus)
    plan.fallback.update(fallback)
    return plan, pairs, queries


def _values(values: str) -> Callable[[str], str]:
    return lambda v: f"VALUES {v} {{ {values} }}"


def _members(
    store: Store,
    compiler: Compiler,
    shape: Node,
    candidates: list[Node],
    default_graphs: Sequence[str] | None,
    cache: dict[tuple[str, Node], bool],
) -> tuple[list[Node], int]:
    plain, selects = compiler.target_parts(shape)
    if not candidates:
        return [], 0
    found, queries = set(), 0
    if plain:
        values = " ".join(sparql_term(c) for c in candidates)
        union = " UNION ".join(f"{{ {p('?this')} }}" for p in plain)
        answer = store.query(
            f"SELECT DISTINCT ?this WHERE {{ VALUES ?this {{ {values} }} {union} }}",
            default_graphs=default_graphs,
        )
        queries += 1
        found |= {to_rdflib(row[0]) for row in answer.rows}
    for select in selects:
        text = prologue(compiler.prefixes) + select
        for node in candidates:
            if node in found:
                continue
            if (text, node) not in cache:  # shapes often share a target: ask once
                answer = store.query(
                    text, bindings={"this": to_ox(node)}, default_graphs=default_graphs
                )
                queries += 1
                cache[text, node] = bool(answer.rows)
            if cache[text, node]:
                found.add(node)
    return sorted(found, key=str), queries


def neighbourhood(
    store: Store, nodes: Iterable[Node], default_graphs: Sequence[str] | None = None
) -> set[Node]:
    """The nodes whose results can change when `nodes` change: the nodes, what they link
    to within two links (a system's processes, and who performs them), and what links to
    them directly (its responsibility assignments)."""
    start = {n for n in nodes if not isinstance(n, BNode)}
    if not start:
        return set()
    values = " ".join(sparql_term(n) for n in sorted(start, key=str))
    answer = store.query(
        f"SELECT DISTINCT ?n WHERE {{ VALUES ?s {{ {values} }} "
        f"{{ ?s ?p ?n }} UNION {{ ?s ?p ?m . ?m ?q ?n FILTER(!isLiteral(?m)) }} "
        f"UNION {{ ?n ?p ?s }} FILTER(!isLiteral(?n) && ?p != <{RDF.type}>) }}",
        default_graphs=default_graphs,
    )
    return start | {to_rdflib(row[0]) for row in answer.rows}


def _key(term: Node | None) -> str:
    return "_:" if isinstance(term, BNode) else str(term)


def result_keys(graph: Graph) -> list[tuple]:
    """The compared fields of each result of a report graph, sorted; blank nodes (copied
    paths, anonymous shapes) are anonymous, since each engine reads the shapes itself."""
    keys = []
    results = [r for n in graph.subjects(RDF.type, SH.ValidationReport)
               for r in graph.objects(n, SH.result)]  # fmt: skip
    for r in results:
        keys.append(tuple(_key(graph.value(r, p)) for p in (
            SH.focusNode, SH.resultPath, SH.value, SH.sourceShape, SH.resultSeverity,
            SH.sourceConstraintComponent)))  # fmt: skip
    return sorted(keys)
