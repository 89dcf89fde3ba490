"""Shapes-graph terms as SPARQL text, and pyoxigraph terms back as rdflib terms.

The compiler reads shapes with rdflib and writes SPARQL; the engine reads pyoxigraph rows
and writes rdflib report graphs. Terms cross in their exact N-Triples form, so a literal
keeps its lexical form and datatype, and SHACL's term equality survives the trip.
"""

from __future__ import annotations

import re

import pyoxigraph as ox
from rdflib import RDF, XSD, BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import SH
from rdflib.term import Node


class Unsupported(Exception):
    """A shape uses a feature the compiler does not translate (pySHACL validates it)."""


def to_ox(term: Node) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    if isinstance(term, Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        datatype = term.datatype or XSD.string
        return ox.Literal(str(term), datatype=ox.NamedNode(str(datatype)))
    raise Unsupported(f"not an RDF term: {term!r}")


def to_rdflib(term: ox.NamedNode | ox.BlankNode | ox.Literal) -> Node:
    """The rdflib term; a plain xsd:string literal stays plain, as rdflib parses it."""
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if term.language:
        return Literal(term.value, lang=term.language)
    if term.datatype.value == str(XSD.string):
        return Literal(term.value)
    return Literal(term.value, datatype=URIRef(term.datatype.value))


def sparql_term(term: Node) -> str:
    """A constant in a query. Blank nodes cannot be: in SPARQL they are variables."""
    if isinstance(term, BNode):
        raise Unsupported("a blank node as a constraint parameter or target node")
    return str(to_ox(term))


def items(shapes: Graph, node: Node) -> list[Node]:
    return list(Collection(shapes, node)) if node != RDF.nil else []


def sparql_path(shapes: Graph, path: Node, depth: int = 0) -> str:
    """A SHACL property path as a SPARQL property path."""
    if depth > 20:
        raise Unsupported("a cyclic property path")
    if isinstance(path, URIRef):
        return sparql_term(path)
    if (path, RDF.first, None) in shapes:
        steps = items(shapes, path)
        if len(steps) < 2:
            raise Unsupported("a sequence path with fewer than two steps")
        return "(" + "/".join(sparql_path(shapes, s, depth + 1) for s in steps) + ")"
    for predicate, template in (
        (SH.inversePath, "^({})"),
        (SH.zeroOrMorePath, "({})*"),
        (SH.oneOrMorePath, "({})+"),
        (SH.zeroOrOnePath, "({})?"),
    ):
        inner = shapes.value(path, predicate)
        if inner is not None:
            return template.format(sparql_path(shapes, inner, depth + 1))
    alternatives = shapes.value(path, SH.alternativePath)
    if alternatives is not None:
        options = items(shapes, alternatives)
        if len(options) < 2:
            raise Unsupported("an alternative path with fewer than two options")
        return "(" + "|".join(sparql_path(shapes, o, depth + 1) for o in options) + ")"
    raise Unsupported("a malformed property path")


def path_nodes(shapes: Graph, path: Node) -> list[tuple[Node, Node, Node]]:
    """The triples that describe a blank-node path, to copy into a report graph."""
    found, todo, seen = [], [path], set()
    while todo:
        node = todo.pop()
        if not isinstance(node, BNode) or node in seen:
            continue
        seen.add(node)
        for p, o in shapes.predicate_objects(node):
            found.append((node, p, o))
            todo.append(o)
    return found


def prefixes_of(shapes: Graph, holder: Node) -> dict[str, str]:
    """The sh:declare prefixes reachable through the sh:prefixes of a SPARQL-based node."""
    declared: dict[str, str] = {}
    for source in shapes.objects(holder, SH.prefixes):
        for declaration in shapes.objects(source, SH.declare):
            prefix = shapes.value(declaration, SH.prefix)
            namespace = shapes.value(declaration, SH.namespace)
            if prefix is None or namespace is None:
                continue
            if declared.get(str(prefix), str(namespace)) != str(namespace):
                raise Unsupported(f"prefix {prefix} declared twice with different namespaces")
            declared[str(prefix)] = str(namespace)
    return declared


_PROLOGUE = re.compile(r"^\s*(?:(?:PREFIX\s+[^:\s]*:\s*<[^>]*>|BASE\s+<[^>]*>)\s*)*", re.I)


def split_prologue(query: str) -> tuple[str, str]:
    """(PREFIX/BASE declarations, the rest) so a query can become a sub-select."""
    match = _PROLOGUE.match(query)
    end = match.end() if match else 0
    return query[:end], query[end:]


def prologue(prefixes: dict[str, str]) -> str:
    return "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in sorted(prefixes.items()))


def merge_prefixes(target: dict[str, str], more: dict[str, str]) -> None:
    for prefix, namespace in more.items():
        if target.get(prefix, namespace) != namespace:
            raise Unsupported(f"prefix {prefix} means different namespaces in one shape")
        target[prefix] = namespace
