"""Compile SHACL shapes to SPARQL SELECT queries whose rows are validation results.

Each targeted shape becomes one `Check` per constraint: a query binding ?this (the focus
node) and, where SHACL reports one, ?value (and ?path for sh:closed and SHACL-SPARQL). The
translation is compositional: `fails(shape, x, dom)` is a pattern that binds ?x to the nodes
of the domain pattern `dom` that do not conform to `shape`, so sh:node, sh:not, sh:and, sh:or,
sh:xone and qualified value shapes nest (`stkg.shacl.components` translates each component).
Negation is MINUS, never FILTER NOT EXISTS: pyoxigraph evaluates MINUS once (a hash join) but
NOT EXISTS once per row. In a full run a MINUS right side does not repeat the targets (it is
evaluated once over the data); in a focused run it repeats the exact domain, so the cost
follows the focus nodes (incremental validation).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from rdflib import OWL, RDF, RDFS, Graph, Literal, URIRef
from rdflib.namespace import SH
from rdflib.term import Node

from stkg.shacl.components import Components, Violation
from stkg.shacl.terms import (
    Unsupported,
    merge_prefixes,
    prefixes_of,
    prologue,
    sparql_path,
    sparql_term,
    split_prologue,
)

Focus = Callable[[str], str]  # a variable name -> a group pattern that binds it to focus nodes
Resolver = Callable[[str], "list[Node] | None"]  # a SPARQL target query -> its focus nodes
FOCUS = "?__focus__"  # where a pattern template puts the focus variable

TARGETS = (SH.targetNode, SH.targetClass, SH.targetSubjectsOf, SH.targetObjectsOf, SH.target)
CLASSES = (RDFS.Class, OWL.Class)
# Shape parameters that are not constraints, or that the constraint they belong to reads.
IGNORED = {
    RDF.type, SH.path, SH.message, SH.severity, SH.name, SH.description, SH.order, SH.group,
    SH.defaultValue, SH.deactivated, SH.flags, SH.qualifiedMinCount, SH.qualifiedMaxCount,
    SH.qualifiedValueShapesDisjoint, SH.ignoredProperties, SH.prefixes, SH.declare,
    *TARGETS,
}  # fmt: skip


@dataclass(frozen=True)
class Check:
    """One compiled constraint of one shape: its query and what its results carry."""

    shape: Node
    component: URIRef
    query: str
    path: Node | None  # sh:resultPath, unless the query binds ?path
    severity: Node
    messages: tuple[Node, ...]
    constraint: Node | None = None  # the sh:sparql node of a SHACL-SPARQL constraint
    extra_messages: tuple[Node, ...] = ()
    templated: bool = False  # messages take {?var} values from each row (SHACL-SPARQL)


@dataclass
class Plan:
    """The compiled checks, the shapes they cover and the shapes left to pySHACL."""

    checks: list[Check] = field(default_factory=list)
    compiled: list[Node] = field(default_factory=list)
    fallback: dict[Node, str] = field(default_factory=dict)
    members: dict[Node, set[Node]] = field(default_factory=dict)  # shape -> shapes it reports


def targeted_shapes(shapes: Graph) -> list[Node]:
    """The shapes with targets, as pySHACL finds them (explicit, implicit class, sh:target)."""
    found = {s for p in TARGETS for s in shapes.subjects(p, None)}
    classes = set(CLASSES) | set(shapes.transitive_subjects(RDFS.subClassOf, RDFS.Class))
    for kind in (SH.NodeShape, SH.PropertyShape):
        found |= {s for s in shapes.subjects(RDF.type, kind) if _types(shapes, s) & classes}
    return sorted(found, key=str)


def _types(shapes: Graph, node: Node) -> set[Node]:
    return set(shapes.objects(node, RDF.type))


def compile_shapes(
    shapes: Graph,
    only: list[Node] | None = None,
    focus: dict[Node, Focus] | None = None,
    resolve: Resolver | None = None,
) -> Plan:
    """Compile every targeted shape (or `only` these); `focus` replaces a shape's targets
    with a given pattern (incremental validation). `resolve` runs a SPARQL target query and
    returns its focus nodes, so that each target is evaluated once, not once per check.
    Shapes that do not compile fall back."""
    plan = Plan()
    for shape in only if only is not None else targeted_shapes(shapes):
        compiler = Compiler(shapes, bounded=focus is not None, resolve=resolve)
        try:
            given = (focus or {}).get(shape)
            checks = compiler.shape_checks(shape, given or compiler.focus(shape))
        except Unsupported as why:
            plan.fallback[shape] = str(why)
            continue
        plan.checks += checks
        plan.compiled.append(shape)
        plan.members[shape] = {c.shape for c in checks} | {shape}
    return plan


class Compiler(Components):
    """Walks shapes: targets, nested property shapes, and `fails`/`conforms` patterns."""

    def __init__(
        self, shapes: Graph, bounded: bool = False, resolve: Resolver | None = None
    ) -> None:
        self.g = shapes
        self.resolve = resolve
        self.bounded = bounded  # repeat the exact domain on every right side (focused runs)
        self.n = 0
        self.prefixes: dict[str, str] = {}
        self.stack: list[Node] = []

    def var(self) -> str:
        self.n += 1
        return f"?_{self.n}"

    # --- targets ------------------------------------------------------------------------

    def target_parts(self, shape: Node) -> tuple[list[Focus], list[str]]:
        """Plain target patterns, and SPARQL-target queries (each selecting ?this)."""
        g, plain, selects = self.g, [], []
        nodes = sorted(sparql_term(n) for n in g.objects(shape, SH.targetNode))
        if nodes:
            plain.append(_at(f"VALUES {FOCUS} {{ {' '.join(nodes)} }}"))
        classes = list(g.objects(shape, SH.targetClass))
        implicit = set(CLASSES) | set(g.transitive_subjects(RDFS.subClassOf, RDFS.Class))
        if _types(g, shape) & implicit:
            classes.append(shape)
        for c in classes:
            plain.append(_at(self.instances(FOCUS, sparql_term(c), self.var())))
        for p in g.objects(shape, SH.targetSubjectsOf):
            plain.append(_at(f"{FOCUS} {sparql_term(p)} {self.var()} ."))
        for p in g.objects(shape, SH.targetObjectsOf):
            plain.append(_at(f"{self.var()} {sparql_term(p)} {FOCUS} ."))
        for target in g.objects(shape, SH.target):
            select = g.value(target, SH.select)
            if select is None or (target, RDF.type, SH.SPARQLTargetType) in g:
                raise Unsupported("a custom target type")
            if (target, SH.deactivated, Literal(True)) in g:
                continue
            head, body = split_prologue(str(select))
            if head.strip():
                raise Unsupported("a SPARQL target with its own PREFIX declarations")
            merge_prefixes(self.prefixes, prefixes_of(g, target))
            selects.append(body)
        return plain, selects

    def focus(self, shape: Node) -> Focus:
        plain, selects = self.target_parts(shape)
        if self.resolve is not None:  # evaluated once: its nodes are the pattern
            for select in list(selects):
                nodes = self.resolve(prologue(self.prefixes) + select)
                if nodes is not None:
                    selects.remove(select)
                    listed = " ".join(sparql_term(n) for n in nodes)
                    plain.append(_at(f"VALUES {FOCUS} {{ {listed} }}"))

        def pattern(v: str) -> str:
            parts = [f"{{ {p(v)} }}" for p in plain]
            parts += [f"{{ SELECT (?this AS {v}) WHERE {{ {{ {s} }} }} }}" if v != "?this"
                      else f"{{ {s} }}" for s in selects]  # fmt: skip
            union = " UNION ".join(parts) or "FILTER(false)"
            return f"{{ SELECT DISTINCT {v} WHERE {{ {union} }} }}"

        return pattern

    # --- shapes -------------------------------------------------------------------------

    def shape_checks(self, shape: Node, focus: Focus, keys: tuple[str, ...] = ()) -> list[Check]:
        """The checks of a targeted shape and of the property shapes nested in it. `keys`
        are variables of the focus pattern that tell apart the ways a nested shape reaches
        one focus node: pySHACL reports a result once per way."""
        g = self.g
        if self.deactivated(shape):
            return []
        severity = g.value(shape, SH.severity) or SH.Violation
        messages = tuple(g.objects(shape, SH.message))
        path = g.value(shape, SH.path)
        dom = focus("?this")
        checks = []
        for v in self.violations(shape, "?this", dom, value="?value", nested=False):
            select = ["?this"]
            if v.select_all:
                select = ["*"]
            else:
                if v.value:
                    select.append("?value" if v.value == "?value" else f"({v.value} AS ?value)")
                if v.path_var:
                    select.append(f"({v.path_var} AS ?path)")
                select += [*v.keys, *keys]
            head = f"{prologue(self.prefixes)}SELECT DISTINCT {' '.join(select)}"
            query = f"{head} WHERE {{ {v.pattern} }}"
            checks.append(Check(shape, v.component, query, path, severity, messages,
                                v.constraint, v.extra_messages, v.select_all))  # fmt: skip
        for nested in g.objects(shape, SH.property):
            if path is None:
                checks += self.shape_checks(nested, focus, keys)
            else:
                t = self.var()
                checks += self.shape_checks(nested, self.values_focus(focus, path, t), (*keys, t))
        return checks

    def values_focus(self, focus: Focus, path: Node, t: str) -> Focus:
        steps, w = sparql_path(self.g, path), self.var()
        return lambda v: (
            f"{{ SELECT DISTINCT {t} ({w} AS {v}) WHERE {{ {focus(t)} {t} {steps} {w} . }} }}"
        )

    def deactivated(self, shape: Node) -> bool:
        flag = self.g.value(shape, SH.deactivated)
        return isinstance(flag, Literal) and flag.toPython() is True

    def fails(self, shape: Node, x: str, dom: str) -> str:
        """A pattern binding only `x`: the nodes of `dom` that do not conform to `shape`."""
        if shape in self.stack:
            raise Unsupported("recursive shapes")
        if self.deactivated(shape):
            return f"VALUES {x} {{ }}"
        self.stack.append(shape)
        try:
            parts = [f"{{ {v.pattern} }}" for v in self.violations(shape, x, dom, nested=True)]
        finally:
            self.stack.pop()
        if not parts:
            return f"VALUES {x} {{ }}"
        return f"{{ SELECT DISTINCT {x} WHERE {{ {' UNION '.join(parts)} }} }}"

    def conforms(self, shape: Node, x: str, dom: str) -> str:
        return f"{{ {dom} }} MINUS {{ {self.fails(shape, x, dom)} }}"

    def violations(
        self, shape: Node, x: str, dom: str, *, value: str | None = None, nested: bool
    ) -> list[Violation]:
        g = self.g
        if self.deactivated(shape):
            return []
        path_node = g.value(shape, SH.path)
        path = sparql_path(g, path_node) if path_node is not None else None
        if path is None:
            v, vdom = x, dom
        else:
            v = value or self.var()
            vdom = f"{dom} {x} {path} {v} ."
        custom = _custom_parameters(g)
        found: list[Violation] = []
        for p, o in sorted(g.predicate_objects(shape), key=lambda po: (str(po[0]), str(po[1]))):
            if p in IGNORED or (not str(p).startswith(str(SH)) and p not in custom):
                continue
            if p in custom:
                raise Unsupported(f"the custom constraint component parameter <{p}>")
            found += self.component(shape, p, o, x, dom, v, vdom, path, nested)
        return found


def _at(template: str) -> Focus:
    return lambda v: template.replace(FOCUS, v)


def _custom_parameters(g: Graph) -> set[Node]:
    return {p for parameter in g.objects(None, SH.parameter) for p in g.objects(parameter, SH.path)}
