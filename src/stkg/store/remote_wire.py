"""What crosses the wire between a remote store and its SPARQL server: the text it sends
(bound values placed where the server evaluates them first, INSERT DATA batches that keep
blank nodes together and that Virtuoso takes), and what comes back (answers read into the
same `QueryResult` as the embedded store's, errors named, answers cut at a row cap refused).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

import pyoxigraph as ox
import requests

from stkg.errors import SourceError, StkgError
from stkg.results import QueryResult
from stkg.sandbox import UPDATE_KEYWORDS, tokens
from stkg.store.base import Term

XSD_BOOLEAN = "http://www.w3.org/2001/XMLSchema#boolean"


class AnswerCut(StkgError):
    """The server stopped at its row cap: the answer may be incomplete."""


def check_reply(reply: requests.Response, what: str, *, anonymous: bool) -> None:
    """Raise the error the server's reply means, if it is not a success."""
    if reply.ok:
        return
    body = reply.text.strip()[:600]
    # Virtuoso answers an anonymous update with 500 and SR186 "No permission"
    if reply.status_code in (401, 403) or "SR186" in body:
        hint = (
            "set STKG_STORE_USER and STKG_STORE_PASSWORD"
            if anonymous
            else "the user may not do this"
        )
        raise StkgError(
            f"the SPARQL server refused the {what} ({reply.status_code}: no permission); {hint}"
            + (" and give the update endpoint (--update-url)" if what == "update" else "")
        )
    if "SR171" in body or ("timeout" in body.lower() and reply.status_code >= 500):
        from stkg.execution import QueryTimeout

        raise QueryTimeout(f"the SPARQL server stopped the {what} at its time limit: {body}")
    if reply.status_code == 400:
        raise SourceError(f"the SPARQL server refused the {what}: {body}", what)
    raise StkgError(f"the SPARQL server failed the {what} ({reply.status_code}): {body}")


def read_answer(data: bytes, form: str, *, booleans_as_numbers: bool) -> QueryResult:
    """The server's answer to a query of `form` (select, ask or graph) as a `QueryResult`."""
    try:
        if form == "graph":
            triples = ox.parse(data, format=ox.RdfFormat.N_TRIPLES)
            return QueryResult("graph", triples=[ox.Triple(*t) for t in spo_of(triples)])
        # Virtuoso names blank nodes nodeID://b1000 in results; a blank node label is b1000
        data = data.replace(b"<bnode>nodeID://", b"<bnode>")
        raw = ox.parse_query_results(data, ox.QueryResultsFormat.XML)
    except (SyntaxError, ValueError) as error:
        raise StkgError(f"the SPARQL server's answer could not be read: {error}") from None
    result = QueryResult.from_oxigraph(raw)
    if form == "ask" and result.kind == "select":  # Virtuoso: a row of __ASK_RETVAL
        value = result.rows[0][0] if result.rows else None
        return QueryResult("ask", boolean=value is not None and value.value in ("1", "true"))
    if booleans_as_numbers and result.kind == "select":
        result.rows = [tuple(boolean_term(t) for t in row) for row in result.rows]
    return result


def refuse_cut(result: QueryResult, reply: requests.Response, row_cap: int | None) -> None:
    """An answer that reached the server's row cap may be incomplete: an error."""
    if result.kind == "ask":
        return
    caps = [row_cap] if row_cap else []
    header = reply.headers.get("X-SPARQL-MaxRows", "")
    if header.isdigit():
        caps.append(int(header))
    for cap in caps:
        if len(result) >= cap:
            raise AnswerCut(
                f"the SPARQL server stops answers at {cap:,} rows (Virtuoso: "
                "[SPARQL] ResultSetMaxRows) and this answer reached it, so it may be "
                "incomplete; raise the server's cap, or narrow the query"
            )


def query_form(toks: list[Any]) -> str:
    for tok in toks:
        if tok.kind == "word":
            word = tok.text.upper()
            if word == "SELECT":
                return "select"
            if word == "ASK":
                return "ask"
            if word in ("CONSTRUCT", "DESCRIBE"):
                return "graph"
    return "select"


INSERT_NTRIPLES = re.compile(
    r"\A\s*INSERT\s+DATA\s*\{\s*GRAPH\s*<([^<>\s]+)>\s*\{(.*)\}\s*\}\s*\Z", re.S | re.I
)


def spo(triple: Any) -> tuple[Any, Any, Any]:
    return triple.subject, triple.predicate, triple.object


def spo_of(parsed: Iterable[Any]) -> Iterable[tuple[Any, Any, Any]]:
    for item in parsed:
        yield item.subject, item.predicate, item.object


def boolean_term(term: Term | None) -> Term | None:
    if (
        isinstance(term, ox.Literal)
        and term.datatype.value == XSD_BOOLEAN
        and term.value in ("1", "0")
    ):
        return ox.Literal("true" if term.value == "1" else "false", datatype=term.datatype)
    return term


def values_clause(bindings: dict[str, Term] | Any) -> str:
    names = list(bindings)
    for name in names:
        if isinstance(bindings[name], ox.BlankNode):
            raise SourceError(f"?{name}: a blank node cannot be sent to a remote store", "query")
    head = " ".join(f"?{n}" for n in names)
    row = " ".join(str(bindings[n]) for n in names)
    return f"VALUES ({head}) {{ ({row}) }}"


def bind_values(text: str, values: str) -> str:
    """`values` as the first element of the query's WHERE group: the bound terms are there
    before anything is evaluated, as Oxigraph's substitutions are. (A VALUES clause after the
    query is joined last by the standard, and Virtuoso ignored one after ORDER BY on
    mapping-coverage: 3,075 rows instead of 92.)"""
    toks = tokens(text)
    form = query_form(toks)
    depth, after_where = 0, form != "graph"
    for tok in toks:
        if tok.kind == "word" and tok.text.upper() == "WHERE" and depth == 0:
            after_where = True
        if tok.text == "{" and depth == 0 and after_where:
            at = tok.offset + 1
            return f"{text[:at]} {values} {text[at:]}"
        if tok.text in "({[":
            depth += 1
        elif tok.text in ")}]":
            depth -= 1
            if depth == 0 and form == "graph" and not after_where:
                after_where = True  # CONSTRUCT { template } { … } without WHERE
    return text + "\n" + values


def quads_text(quads: Iterable[ox.Quad]) -> str:
    by_graph: dict[str, list[str]] = {}
    for q in quads:
        by_graph.setdefault(q.graph_name.value, []).append(
            f"{q.subject} {q.predicate} {q.object} ."
        )
    return " ".join(f"GRAPH <{g}> {{ {' '.join(lines)} }}" for g, lines in by_graph.items())


def insert_text(graph: str, triples: Sequence[ox.Triple]) -> str:
    body = " ".join(f"{t.subject} {t.predicate} {t.object} ." for t in triples)
    return insert_data_with_blank_nodes(f"INSERT DATA {{ GRAPH <{graph}> {{ {body} }} }}")


ONE_INSERT_DATA = re.compile(
    r"^(\s*(?:PREFIX\s+\S*\s*<[^>]*>\s*|BASE\s*<[^>]*>\s*)*)INSERT\s+DATA\b", re.I
)


def insert_data_with_blank_nodes(text: str) -> str:
    """INSERT DATA with blank nodes as INSERT … WHERE {}: the same update (fresh blank nodes
    each time), which Virtuoso takes (it refuses blank nodes in INSERT DATA)."""
    match = ONE_INSERT_DATA.match(text)
    if match is None:
        return text
    toks = tokens(text)
    blank = any((t.kind == "pname" and t.text.startswith("_:")) or t.text == "[" for t in toks)
    operations = [t for t in toks if t.kind == "word" and t.text.upper() in UPDATE_KEYWORDS]
    if not blank or len(operations) != 1:
        return text  # several operations: left to the server
    return text[: match.start()] + match.group(1) + "INSERT" + text[match.end() :] + " WHERE {}"


def batches(triples: list[ox.Triple], size: int) -> Iterable[list[ox.Triple]]:
    """Batches of about `size` triples, each holding every statement of its blank nodes."""
    parent: dict[str, str] = {}

    def find(node: str) -> str:
        while parent.setdefault(node, node) != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    plain: list[ox.Triple] = []
    with_blank: list[tuple[ox.Triple, str]] = []
    for triple in triples:
        blanks = [t.value for t in (triple.subject, triple.object) if isinstance(t, ox.BlankNode)]
        if not blanks:
            plain.append(triple)
            continue
        root = find(blanks[0])
        for other in blanks[1:]:
            parent[find(other)] = root
        with_blank.append((triple, blanks[0]))
    components: dict[str, list[ox.Triple]] = {}
    for triple, node in with_blank:
        components.setdefault(find(node), []).append(triple)
    batch: list[ox.Triple] = []
    for group in [*components.values(), *([t] for t in plain)]:
        if batch and len(batch) + len(group) > size:
            yield batch
            batch = []
        batch.extend(group)
    if batch:
        yield batch
