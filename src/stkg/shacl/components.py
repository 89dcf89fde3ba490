"""The SHACL constraint components as SPARQL: one method per component, each returning
the `Violation` patterns of one constraint of one shape.

Conventions (see `stkg.shacl.compile`): `x` is the focus variable bound by the pattern
`dom`; `v` the value variable bound by `vdom` (for a node shape, `v` is `x`); `path` the
SPARQL property path of a property shape. A left side of MINUS is always the exact domain;
a right side repeats it only in a focused run (`b`), and nested shapes get the domain `nd`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rdflib import RDF, RDFS, XSD, Graph, Literal, URIRef
from rdflib.namespace import SH
from rdflib.term import Node

from stkg.shacl.terms import (
    Unsupported,
    items,
    merge_prefixes,
    prefixes_of,
    sparql_term,
    split_prologue,
)

CASTABLE = {XSD[t] for t in ("boolean", "integer", "decimal", "float", "double", "dateTime",
                             "date", "time")}  # fmt: skip
# Oxigraph stores these as xsd:integer, so the store cannot tell them apart: pySHACL checks.
INTEGER_SUBTYPES = {XSD[t] for t in ("int", "long", "short", "byte", "nonNegativeInteger",
    "positiveInteger", "negativeInteger", "nonPositiveInteger", "unsignedLong", "unsignedInt",
    "unsignedShort", "unsignedByte")}  # fmt: skip
NODE_KINDS = {
    SH.IRI: "isIRI({v})", SH.BlankNode: "isBlank({v})", SH.Literal: "isLiteral({v})",
    SH.BlankNodeOrIRI: "!isLiteral({v})", SH.BlankNodeOrLiteral: "!isIRI({v})",
    SH.IRIOrLiteral: "!isBlank({v})",
}  # fmt: skip
RANGES = {SH.minExclusive: ">", SH.minInclusive: ">=", SH.maxExclusive: "<",
          SH.maxInclusive: "<="}  # fmt: skip
PAIRS = {SH.lessThan: "<", SH.lessThanOrEquals: "<="}
TYPE = f"<{RDF.type}>"


@dataclass(frozen=True)
class Violation:
    component: URIRef
    pattern: str
    value: str | None = None  # the variable reported as sh:value
    keys: tuple[str, ...] = ()  # more variables that make results distinct
    path_var: str | None = None
    select_all: bool = False  # SHACL-SPARQL: report every variable the query binds
    constraint: Node | None = None
    extra_messages: tuple[Node, ...] = ()


class Components:
    """Translations of the constraint components; `Compiler` supplies the shape walking."""

    g: Graph
    bounded: bool
    prefixes: dict[str, str]

    def var(self) -> str:
        raise NotImplementedError

    def fails(self, shape: Node, x: str, dom: str) -> str:
        raise NotImplementedError

    def conforms(self, shape: Node, x: str, dom: str) -> str:
        raise NotImplementedError

    def deactivated(self, shape: Node) -> bool:
        raise NotImplementedError

    @staticmethod
    def instances(v: str, cls: str, t: str, bound: bool = False) -> str:
        """Instances of a class and its subclasses; from the node when it is bound."""
        if bound:
            return f"{v} {TYPE} {t} . {t} <{RDFS.subClassOf}>* {cls} ."
        return f"{t} <{RDFS.subClassOf}>* {cls} . {v} {TYPE} {t} ."

    def b(self, pattern: str) -> str:
        """A right side's domain: the exact one in a focused run (so its cost follows the
        focus nodes), none in a full run (the rest of the right side binds its variables,
        and a right side free of the targets is evaluated once, not once per nesting)."""
        return pattern if self.bounded else ""

    def component(  # one branch per SHACL constraint component
        self, shape: Node, p: Node, o: Node, x: str, dom: str, v: str, vdom: str,
        path: str | None, nested: bool,
    ) -> list[Violation]:  # fmt: skip
        g, t = self.g, self.var()
        # the domain of the value nodes for nested shapes: exact, or every object of the path
        nd = vdom if self.bounded or path is None else f"{self.var()} {path} {v} ."

        def values(expression: str, component: URIRef) -> Violation:
            return Violation(component, f"{vdom} FILTER(!COALESCE({expression}, false))", v)

        if p == SH["class"]:
            typed = self.instances(v, sparql_term(o), t, self.bounded)
            bad = f"{{ {vdom} }} MINUS {{ {self.b(vdom)} {typed} }}"
            return [Violation(SH.ClassConstraintComponent, bad, v)]
        if p == SH.datatype:
            if o in INTEGER_SUBTYPES:
                raise Unsupported(f"sh:datatype {o} (the store keeps such literals as integers)")
            return [values(_datatype(v, o), SH.DatatypeConstraintComponent)]
        if p == SH.nodeKind:
            if o not in NODE_KINDS:
                raise Unsupported(f"sh:nodeKind {o}")
            return [values(NODE_KINDS[o].format(v=v), SH.NodeKindConstraintComponent)]
        if p in RANGES:
            return [values(f"{v} {RANGES[p]} {sparql_term(o)}", _cc(p))]
        if p in (SH.minLength, SH.maxLength):
            op = ">=" if p == SH.minLength else "<="
            return [values(f"!isBlank({v}) && STRLEN(STR({v})) {op} {int(o)}", _cc(p))]
        if p == SH.pattern:
            flags = g.value(shape, SH.flags)
            extra = f", {sparql_term(Literal(str(flags)))}" if flags is not None else ""
            regex = f"!isBlank({v}) && REGEX(STR({v}), {sparql_term(Literal(str(o)))}{extra})"
            return [values(regex, SH.PatternConstraintComponent)]
        if p == SH.languageIn:
            tags = [f"langMatches(LANG({v}), {sparql_term(Literal(str(t)))})" for t in items(g, o)]
            return [values(" || ".join(tags) or "false", SH.LanguageInConstraintComponent)]
        if p == SH["in"]:
            members = " ".join(sparql_term(m) for m in items(g, o))
            bad = f"{{ {vdom} }} MINUS {{ VALUES {v} {{ {members} }} }}" if members else vdom
            return [Violation(SH.InConstraintComponent, bad, v)]
        if p == SH.hasValue:
            if path is None:
                bad = f"{dom} FILTER(!sameTerm({x}, {sparql_term(o)}))"
            else:
                bad = f"{{ {dom} }} MINUS {{ {self.b(dom)} {x} {path} {sparql_term(o)} . }}"
            return [Violation(SH.HasValueConstraintComponent, bad)]
        if p in (SH.minCount, SH.maxCount):
            return self.count(p, int(o), x, dom, v, path)
        if p == SH.uniqueLang:
            if o != Literal("true", datatype=XSD.boolean):  # the term, not its value: "1"
                return []
            lang = self.var()
            inner = f'{self.b(dom)} {x} {path} {v} . BIND(LANG({v}) AS {lang}) FILTER({lang} != "")'
            bad = (f"{dom} {{ SELECT {x} {lang} WHERE {{ {inner} }} GROUP BY {x} {lang} "
                   f"HAVING (COUNT(DISTINCT {v}) > 1) }}")  # fmt: skip
            return [Violation(SH.UniqueLangConstraintComponent, bad, keys=(lang,))]
        if p in (SH.equals, SH.disjoint, *PAIRS):
            return self.pair(p, o, x, dom, v, vdom, path)
        if p == SH.node:
            return [Violation(SH.NodeConstraintComponent, f"{vdom} {self.fails(o, v, nd)}", v)]
        if p == SH["not"]:
            bad = f"{{ {vdom} }} MINUS {{ {self.fails(o, v, nd)} }}"
            return [Violation(SH.NotConstraintComponent, bad, v)]
        if p == SH["and"]:
            parts = [f"{{ {vdom} {self.fails(s, v, nd)} }}" for s in items(g, o)]
            return [Violation(SH.AndConstraintComponent, " UNION ".join(parts), v)] if parts else []
        if p == SH["or"]:
            fails = " ".join(self.fails(s, v, nd) for s in items(g, o))
            return [Violation(SH.OrConstraintComponent, f"{vdom} {fails}", v)]
        if p == SH.xone:
            k = self.var()
            parts = [f"{{ {self.conforms(s, v, nd)} BIND({i} AS {k}) }}"
                     for i, s in enumerate(items(g, o))]  # fmt: skip
            ok = (f"{{ SELECT {v} WHERE {{ {' UNION '.join(parts)} }} GROUP BY {v} "
                  f"HAVING (COUNT(DISTINCT {k}) = 1) }}")  # fmt: skip
            return [Violation(SH.XoneConstraintComponent, f"{{ {vdom} }} MINUS {ok}", v)]
        if p == SH.property:
            if not nested:
                return []  # a targeted shape's property shapes report their own results
            return [Violation(SH.PropertyConstraintComponent, f"{vdom} {self.fails(o, v, nd)}")]
        if p == SH.qualifiedValueShape:
            return self.qualified(shape, o, x, dom, v, nd, path)
        if p == SH.closed:
            if not (isinstance(o, Literal) and o.toPython() is True):
                return []
            if path is not None:
                raise Unsupported("sh:closed on a property shape")
            return [self.closed(shape, x, dom)]
        if p == SH.sparql:
            if nested:
                raise Unsupported("a SHACL-SPARQL constraint in a nested shape")
            return self.sparql(shape, o, dom, path)
        raise Unsupported(f"the constraint parameter sh:{str(p).removeprefix(str(SH))}")

    def count(self, p: Node, n: int, x: str, dom: str, v: str, path: str | None) -> list[Violation]:
        if path is None:
            raise Unsupported("sh:minCount or sh:maxCount on a node shape")
        component = (
            SH.MinCountConstraintComponent if p == SH.minCount else SH.MaxCountConstraintComponent
        )
        if p == SH.minCount:
            if n <= 0:
                return []
            having = "" if n == 1 else f"GROUP BY {x} HAVING (COUNT(DISTINCT {v}) >= {n})"
            has = f"{self.b(dom)} {x} {path} {v} ."
            bad = f"{{ {dom} }} MINUS {{ SELECT {x} WHERE {{ {has} }} {having} }}"
        else:
            bad = (f"{dom} {{ SELECT {x} WHERE {{ {self.b(dom)} {x} {path} {v} . }} GROUP BY {x} "
                   f"HAVING (COUNT(DISTINCT {v}) > {n}) }}")  # fmt: skip
        return [Violation(component, bad)]

    def pair(
        self, p: Node, o: Node, x: str, dom: str, v: str, vdom: str, path: str | None
    ) -> list[Violation]:
        q, w = sparql_term(o), self.var()
        if p == SH.equals:
            component = SH.EqualsConstraintComponent
            missing = f"{{ {vdom} }} MINUS {{ {self.b(vdom)} {x} {q} {v} . }}"
            if path is None:
                extra = f"{dom} {x} {q} {w} . FILTER(!sameTerm({w}, {x}))"
            else:
                extra = f"{{ {dom} {x} {q} {w} . }} MINUS {{ {self.b(dom)} {x} {path} {w} . }}"
            return [Violation(component, missing, v), Violation(component, extra, w)]
        if p == SH.disjoint:
            return [Violation(SH.DisjointConstraintComponent, f"{vdom} {x} {q} {v} .", v)]
        test = f"{vdom} {x} {q} {w} . FILTER(!COALESCE({v} {PAIRS[p]} {w}, false))"
        return [Violation(_cc(p), test, v, keys=(w,))]

    def qualified(
        self, shape: Node, q: Node, x: str, dom: str, v: str, nd: str, path: str | None
    ) -> list[Violation]:
        g = self.g
        if path is None:
            raise Unsupported("sh:qualifiedValueShape on a node shape")
        good = f"{{ {self.b(dom)} {x} {path} {v} . }} MINUS {{ {self.fails(q, v, nd)} }}"
        flag = g.value(shape, SH.qualifiedValueShapesDisjoint)
        if isinstance(flag, Literal) and flag.toPython() is True:
            for sibling in _siblings(g, shape, q):
                good = f"{{ {good} }} MINUS {{ {self.conforms(sibling, v, nd)} }}"
        found = []
        low, high = g.value(shape, SH.qualifiedMinCount), g.value(shape, SH.qualifiedMaxCount)
        if low is not None and int(low) > 0:
            having = (
                "" if int(low) == 1 else f"GROUP BY {x} HAVING (COUNT(DISTINCT {v}) >= {int(low)})"
            )
            bad = f"{{ {dom} }} MINUS {{ SELECT {x} WHERE {{ {good} }} {having} }}"
            found.append(Violation(SH.QualifiedMinCountConstraintComponent, bad))
        if high is not None:
            bad = (f"{dom} {{ SELECT {x} WHERE {{ {good} }} GROUP BY {x} "
                   f"HAVING (COUNT(DISTINCT {v}) > {int(high)}) }}")  # fmt: skip
            found.append(Violation(SH.QualifiedMaxCountConstraintComponent, bad))
        return found

    def closed(self, shape: Node, x: str, dom: str) -> Violation:
        g, p, o = self.g, self.var(), self.var()
        allowed = [q for s in g.objects(shape, SH.property) for q in g.objects(s, SH.path)
                   if isinstance(q, URIRef)]  # fmt: skip
        ignored = g.value(shape, SH.ignoredProperties)
        allowed += items(g, ignored) if ignored is not None else []
        bad = f"{dom} {x} {p} {o} ."
        if allowed:
            listed = " ".join(sorted({sparql_term(a) for a in allowed}))
            bad = f"{{ {bad} }} MINUS {{ VALUES {p} {{ {listed} }} }}"
        return Violation(SH.ClosedConstraintComponent, bad, o, path_var=p)

    def sparql(self, shape: Node, constraint: Node, dom: str, path: str | None) -> list[Violation]:
        g = self.g
        if self.deactivated(constraint):
            return []
        select = g.value(constraint, SH.select)
        if select is None:
            raise Unsupported("a SHACL-SPARQL constraint without sh:select")
        text = str(select)
        if "$shapesGraph" in text or re.search(r"[?$]failure\b", text):
            raise Unsupported("a SHACL-SPARQL constraint using $shapesGraph or ?failure")
        if (
            re.search(r"\b(MINUS|VALUES|SERVICE)\b", text, re.I)
            or len(re.findall(r"\bSELECT\b", text, re.I)) > 1
        ):
            raise Unsupported("a SHACL-SPARQL constraint pySHACL rejects (MINUS, VALUES, SERVICE, "
                              "or a nested SELECT)")  # fmt: skip
        if re.search(r"\b(OPTIONAL|UNION|BIND|GRAPH|EXISTS)\b", text, re.I) or text.count("{") > 1:
            raise Unsupported(
                "a SHACL-SPARQL constraint whose pre-bound $this a join may not "
                "reproduce (OPTIONAL, UNION, BIND, GRAPH, EXISTS or nested groups)"
            )
        where = text[text.find("{") :]
        if not re.search(r"\$this\s+(?:[<?$:a-zA-Z^(])|[>\w)]\s+\$this\s*[.;}]", where):
            raise Unsupported("a SHACL-SPARQL constraint that uses $this outside triple patterns")
        if "$PATH" in text:
            if path is None:
                raise Unsupported("$PATH in a node shape's SHACL-SPARQL constraint")
            text = text.replace("$PATH", path)
        if "$currentShape" in text:
            text = text.replace("$currentShape", sparql_term(shape))
        head, body = split_prologue(text)
        if head.strip():
            raise Unsupported("a SHACL-SPARQL constraint with its own PREFIX declarations")
        projection = body[: body.find("{")]
        if not re.search(r"[?$]this\b|\*", projection):
            raise Unsupported("a SHACL-SPARQL constraint that does not select $this")
        merge_prefixes(self.prefixes, prefixes_of(g, constraint))
        messages = tuple(g.objects(constraint, SH.message))
        return [Violation(SH.SPARQLConstraintComponent, f"{dom} {{ {body} }}", select_all=True,
                          constraint=constraint, extra_messages=messages)]  # fmt: skip


def _cc(parameter: URIRef) -> URIRef:
    name = str(parameter).removeprefix(str(SH))
    return SH[name[0].upper() + name[1:] + "ConstraintComponent"]


def _datatype(v: str, datatype: Node) -> str:
    if datatype == RDFS.Literal:
        return f"isLiteral({v})"
    if datatype == RDF.langString:
        return f'isLiteral({v}) && LANG({v}) != ""'
    test = f"isLiteral({v}) && sameTerm(DATATYPE({v}), {sparql_term(datatype)})"
    if datatype in CASTABLE:  # an ill-typed literal ("abc"^^xsd:integer) does not cast
        test += f" && isLiteral({sparql_term(datatype)}({v}))"
    return test


def _siblings(g: Graph, shape: Node, own: Node) -> list[Node]:
    found = []
    for parent in g.subjects(SH.property, shape):
        for sibling in g.objects(parent, SH.property):
            found += [q for q in g.objects(sibling, SH.qualifiedValueShape) if q != own]
    return sorted(set(found), key=str)
