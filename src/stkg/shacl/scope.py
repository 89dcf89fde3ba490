"""Which default graph the compiled queries read: the store's union of all graphs, or the
list of data graphs.

Validation reads every graph but the shapes and earlier results. Naming those data graphs as
the default graph is exact but costs Oxigraph one index scan per graph for every triple
pattern (about 5× slower with the project's 17 graphs). The union of all graphs gives the
same answers when the left-out graphs cannot match: `scope` proves that once per run, and
`DataScope.graphs` falls back to the named list for any query it cannot prove it for.

The proof: (1) no subject of a left-out triple occurs in the data graphs, and no class one is
typed with occurs there other than as a data node's class; (2) a query never names a left-out
predicate (other than rdf:type), class or subject; (3) the SPARQL written in the shapes
(targets, constraints) has no variable predicate and no rdf:type pattern whose subject and
class are both otherwise unconstrained, and no shape names rdf:type as a path, target
predicate or parameter (the compiled patterns reach types only from a focus node or a named
class). Then a left-out triple can only be an rdf:type triple whose subject no data pattern
reaches and whose class no pattern names, so it joins with nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from rdflib import RDF, Graph, URIRef, Variable
from rdflib.namespace import SH
from rdflib.paths import AlternativePath, InvPath, MulPath, Path, SequencePath

from stkg.errors import StkgError
from stkg.shacl.terms import Unsupported, prefixes_of
from stkg.store import Store

_PREFIX = re.compile(r"PREFIX\s+([\w.-]*):\s*<([^>]*)>", re.I)


@dataclass(frozen=True)
class DataScope:
    names: Sequence[str] | None  # the data graphs; None: the store holds nothing else
    union: bool = False  # proven: the union answers as the data graphs do
    excluded: frozenset[str] = frozenset()  # IRIs a union-read query must not name

    def graphs(self, query: str) -> Sequence[str] | None:
        """The default graphs to pass with `query`: None (the union) when proven safe."""
        if self.names is None or (self.union and not names_any(query, self.excluded)):
            return None
        return self.names


def names_any(query: str, iris: frozenset[str]) -> bool:
    """Whether the query text names one of `iris`, written in full or with a prefix."""
    if not iris:
        return False
    if any(f"<{iri}>" in query for iri in iris):
        return True
    for prefix, namespace in _PREFIX.findall(query):
        for iri in iris:
            if iri.startswith(namespace) and re.search(
                rf"(?<![\w:]){re.escape(prefix)}:{re.escape(iri[len(namespace) :])}(?![\w.-])",
                query,
            ):
                return True
    return False


def scope(store: Store, names: Sequence[str], left_out: Sequence[str], shapes: Graph) -> DataScope:
    """The scope of a store run: the union when the proof above holds for these shapes."""
    if not store.capabilities.union_default_graph:
        return DataScope(names)
    if not left_out:
        return DataScope(None)
    if (None, None, RDF.type) in shapes:  # e.g. sh:targetSubjectsOf rdf:type reaches shapes
        return DataScope(names)
    if not all(_sparql_safe(text, ns) for text, ns in _shape_sparql(shapes)):
        return DataScope(names)
    try:
        excluded = _excluded_terms(store, names, left_out)
    except StkgError:
        return DataScope(names)
    if excluded is None:
        return DataScope(names)
    return DataScope(names, True, frozenset(excluded))


def _values(store: Store, query: str, graphs: Sequence[str]) -> set[str]:
    answer = store.query(query, default_graphs=graphs)
    return {row[0].value for row in answer.rows if row[0] is not None}


def _excluded_terms(store: Store, names: Sequence[str], left_out: Sequence[str]) -> set[str] | None:
    """The left-out graphs' predicates (not rdf:type), classes and subject IRIs; None when
    one of their subjects or classes occurs in the data."""
    predicates = _values(store, "SELECT DISTINCT ?p WHERE { ?s ?p ?o }", left_out)
    classes = _values(store, f"SELECT DISTINCT ?c WHERE {{ ?s <{RDF.type}> ?c }}", left_out)
    subjects = _values(store, "SELECT DISTINCT ?s WHERE { ?s ?p ?o FILTER(isIRI(?s)) }", left_out)
    listed = " ".join(f"<{t}>" for t in sorted(classes | subjects))
    if listed:  # a class may be a data node's class: patterns only reach it through types
        found = store.query(
            f"ASK {{ VALUES ?n {{ {listed} }} {{ ?n ?p ?o }} UNION {{ ?s ?p ?n "
            f"FILTER(?p != <{RDF.type}> || ?n IN ({', '.join(f'<{s}>' for s in subjects)})) }} }}",
            default_graphs=names,
        )
        if found.boolean:
            return None
    blank = store.query(  # a blank subject shared with the data (one store, same label)
        f"ASK {{ VALUES ?g {{ {_list(left_out)} }} GRAPH ?g {{ ?b ?p ?o FILTER(isBlank(?b)) }} "
        "{ ?b ?q ?w } UNION { ?x ?q ?b } }",
        default_graphs=names,
    )
    if blank.boolean:
        return None
    return (predicates - {str(RDF.type)}) | classes | subjects


def _list(graphs: Sequence[str]) -> str:
    return " ".join(f"<{g}>" for g in graphs)


def _shape_sparql(shapes: Graph) -> Iterator[tuple[str, dict[str, str]]]:
    for holder in (*shapes.objects(None, SH.target), *shapes.objects(None, SH.sparql)):
        for text in shapes.objects(holder, SH.select):
            try:
                yield str(text), prefixes_of(shapes, holder)
            except Unsupported:
                yield str(text), {}


def _sparql_safe(text: str, prefixes: dict[str, str]) -> bool:
    """Condition (3) for one query of the shapes, read with rdflib's SPARQL parser."""
    from rdflib.plugins.sparql import prepareQuery  # slow to import; only for shapes' SPARQL

    try:
        query = text.replace("$PATH", f"<{SH.path}>")
        algebra = prepareQuery(query, initNs=prefixes).algebra
    except Exception:  # whatever rdflib cannot read is not proven safe
        return False
    return all(_bgp_safe(triples) for triples in _bgps(algebra))


def _bgps(node: object) -> Iterator[list]:
    if isinstance(node, dict):
        if getattr(node, "name", None) == "BGP":
            yield node.get("triples", [])
        for key, value in node.items():
            if key != "_vars":
                yield from _bgps(value)
    elif isinstance(node, (list, tuple)):
        for value in node:
            yield from _bgps(value)


def _bgp_safe(triples: list) -> bool:
    anchored: set[Variable] = set()
    for s, p, o in triples:
        if isinstance(p, Variable) or not _path_constant(p):
            return False
        if p == RDF.type or _has_type(p):
            continue
        if isinstance(p, URIRef) or not _zero_length(p):
            anchored |= {t for t in (s, o) if isinstance(t, Variable)}
        else:  # a path that may match zero steps binds its variable end to the constant one
            ends = [t for t in (s, o) if isinstance(t, Variable)]
            if len(ends) == 1:
                anchored |= set(ends)
    for s, p, o in triples:
        unanchored = [t for t in (s, o) if isinstance(t, Variable) and t not in anchored]
        if (p == RDF.type or _has_type(p)) and len(unanchored) == 2:
            return False
    return True


def _has_type(path: object) -> bool:
    """Whether a path has an rdf:type step (it then matches what rdf:type matches)."""
    if not isinstance(path, Path):
        return path == RDF.type
    return any(_has_type(p) for p in _parts(path))


def _path_constant(path: object) -> bool:
    if isinstance(path, URIRef):
        return True
    if not isinstance(path, (SequencePath, AlternativePath, InvPath, MulPath)):
        return False  # a negated path matches any other predicate, rdf:type included
    return all(_path_constant(p) for p in _parts(path))


def _zero_length(path: Path) -> bool:
    if isinstance(path, MulPath):
        return path.zero or _zero_length_of(path.path)
    if isinstance(path, SequencePath):
        return all(_zero_length_of(p) for p in path.args)
    if isinstance(path, AlternativePath):
        return any(_zero_length_of(p) for p in path.args)
    if isinstance(path, InvPath):
        return _zero_length_of(path.arg)
    return False


def _zero_length_of(path: object) -> bool:
    return isinstance(path, Path) and _zero_length(path)


def _parts(path: object) -> Iterable[object]:
    if isinstance(path, (SequencePath, AlternativePath)):
        return path.args
    if isinstance(path, InvPath):
        return [path.arg]
    if isinstance(path, MulPath):
        return [path.path]
    return []
