"""What a query may do, decided on a parse of it before the engine runs it.

The endpoint faces the network, so a query must not make the process call out (`SERVICE`,
`LOAD`), read anything but the store (`FROM <file:///…>`), change the store, or be so big or
deep that a parser runs out of stack. Oxigraph reads keywords without a word boundary
(`SERVICEex:sparql` is `SERVICE ex:sparql`), so no check on tokens can be trusted to see
what the engine sees; the decision is made on rdflib's parse of the query, which follows
the SPARQL 1.1 grammar (\\u escapes expanded first, keywords in any case, prefixed names,
subqueries): a `ServiceGraphPattern` or `Load` anywhere in the tree is refused, and so is
a query rdflib cannot parse. rdflib's parser recurses (about 40 Python frames per bracket),
so cheap lexical limits come first (length, nesting, operators and path steps counted on
tokens), and the parse runs with a recursion budget those limits bound; running out of it
is "too complex", never a crash. The limits on the tree (operators in one expression, steps
in one property path, triple patterns in one group) keep Oxigraph's own recursive parser
and planner far from the end of a worker's stack. A query that never spells SERVICE, FROM or
LOAD outside its comments, not even inside a name, and is small enough that its tokens bound
every tree limit, needs no parse to be decided (`stkg.query_proof.plain_query`: well under
1 ms against rdflib's 12-99 ms). `stkg.netguard` is the second line: the processes that run
queries cannot open a network socket at all.
"""

from __future__ import annotations

import re
import sys
import threading
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from stkg.errors import SourceError, StkgError

MAX_QUERY_LENGTH = 100_000  # characters
MAX_NESTING = 256  # brackets, braces and parentheses
MAX_EXPRESSION_LENGTH = 1000  # operators in one expression
MAX_PATH_LENGTH = 100  # steps in one property path
MAX_PATTERN_LENGTH = 256  # triple patterns in one group
PARSE_RECURSION = 60_000  # Python frames rdflib may use; the limits above need < 25,000


class QueryRefused(StkgError):
    """A query the endpoint will not run; `status` is the HTTP status to answer with."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


class QueryTooComplex(QueryRefused):
    """A query over one of the size limits (400): it would strain a parser or the planner."""


@dataclass(frozen=True)
class Limits:
    """The gate's limits (app config `STKG_MAX_*`, README and docs/security.md)."""

    length: int = MAX_QUERY_LENGTH
    nesting: int = MAX_NESTING
    expression: int = MAX_EXPRESSION_LENGTH
    path: int = MAX_PATH_LENGTH
    patterns: int = MAX_PATTERN_LENGTH


# SPARQL 1.1 grammar terminals (section 19.8), in the order a lexer must try them.
_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<comment>\#[^\n\r]*)
  | (?P<string>'''(?:(?:'|'')?(?:[^'\\]|\\.))*'''
             |\"\"\"(?:(?:"|"")?(?:[^"\\]|\\.))*\"\"\"
             |'(?:[^'\\\n\r]|\\.)*'
             |"(?:[^"\\\n\r]|\\.)*")
  | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
  | (?P<var>[?$]\w+)
  | (?P<pname>(?:[^\W\d][\w.-]*)?:(?:(?:[\w:%-]|\\[_~.\-!$&'()*+,;=/?\#@%])
               (?:[\w.:%-]|\\[_~.\-!$&'()*+,;=/?\#@%])*)?)
  | (?P<word>[^\W\d][\w-]*)
  | (?P<op>&&|\|\||!=|<=|>=|\^\^|[!=<>+\-*/|^])
  | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)
_UNICODE_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")
_OPEN, _CLOSE = "({[", ")}]"
_PATH_OPS = {"/", "|"}
GROUP_ENDS = {"{", "}", ".", ";", ","}

# Keywords that only SPARQL Update has; in a query they are refused before parsing.
UPDATE_KEYWORDS = frozenset(
    {"INSERT", "DELETE", "LOAD", "CLEAR", "DROP", "CREATE", "ADD", "MOVE", "COPY", "WITH"}
)


@dataclass
class Token:
    kind: str
    text: str
    offset: int


@dataclass
class QueryPlan:
    """What the check learned: the dataset the query names with FROM / FROM NAMED."""

    default_graphs: list[str] = field(default_factory=list)
    named_graphs: list[str] = field(default_factory=list)

    def dataset(
        self, default_graphs: Sequence[str] | None, named_graphs: Sequence[str] | None
    ) -> tuple[Sequence[str] | None, Sequence[str] | None]:
        """The dataset to run with: the protocol's (`default-graph-uri`, `named-graph-uri`)
        replaces the query's; FROM / FROM NAMED are applied here because the engine's union
        default graph would otherwise ignore them."""
        given = default_graphs is not None or named_graphs is not None
        if not given and (self.default_graphs or self.named_graphs):
            default_graphs, named_graphs = self.default_graphs, self.named_graphs
        if (default_graphs is None) != (named_graphs is None):
            default_graphs, named_graphs = default_graphs or [], named_graphs or []
        return default_graphs, named_graphs


def unescaped(text: str) -> str:
    """The text with its \\u and \\U escapes applied: SPARQL processes them before parsing
    (SPARQL 1.1 section 19.2), and token offsets refer to this text."""
    return _UNICODE_ESCAPE.sub(lambda m: chr(int(m.group(1) or m.group(2), 16)), text)


def tokens(text: str) -> list[Token]:
    """The significant tokens of a SPARQL text (no whitespace, no comments)."""
    text = unescaped(text)
    found = []
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup or "other"
        if kind not in ("ws", "comment"):
            found.append(Token(kind, match.group(), match.start()))
    return found


def precheck(text: str, limits: Limits = Limits(), *, update: bool = False) -> None:
    """The cheap, linear checks that keep a bomb away from any parser: length, nesting,
    operators per bracketed expression and steps per property path (both counted on
    tokens, a bound the parse then makes exact), and update keywords in a query (403)."""
    what = "update" if update else "query"
    if len(text) > limits.length:
        raise QueryTooComplex(
            f"{what} too long: {len(text)} characters (the limit is {limits.length})"
        )
    toks = tokens(text)
    _check_nesting(toks, limits.nesting)
    _check_operators(toks, limits)
    if update:
        return
    for token in toks:
        if token.kind == "word" and token.text.upper() in UPDATE_KEYWORDS:
            raise QueryRefused(
                f"{token.text.upper()} is SPARQL Update; this endpoint is read-only (send "
                "updates as `update`, which needs the update token)",
                403,
            )


def check_query(
    text: str,
    graphs: Collection[str] | None,
    limits: Limits = Limits(),
    *,
    base_iri: str | None = None,
) -> QueryPlan:
    """Refuse what may not run; return the FROM / FROM NAMED graphs.

    `graphs` are the named graphs in the store: FROM may only name those (None: any name,
    as for `stkg query`, where FROM only selects graphs of the local store). A query whose
    tokens prove it harmless (`plain_query`) skips rdflib's parse: 12-39 ms per named query
    text, against well under 1 ms for the proof (docs/decisions.md, 2026-12-03)."""
    from stkg.query_proof import plain_query

    precheck(text, limits)
    if plain_query(text, limits, base_iri=base_iri):
        return QueryPlan()
    return _check_parsed(text, graphs, limits, base_iri)


def check_query_parsed(
    text: str,
    graphs: Collection[str] | None,
    limits: Limits = Limits(),
    *,
    base_iri: str | None = None,
) -> QueryPlan:
    """The full gate, always on rdflib's parse: what `check_query` falls back to."""
    precheck(text, limits)
    return _check_parsed(text, graphs, limits, base_iri)


def _check_parsed(
    text: str, graphs: Collection[str] | None, limits: Limits, base_iri: str | None
) -> QueryPlan:
    """The gate on rdflib's parse, once `precheck` has passed."""
    from rdflib.plugins.sparql.algebra import translatePrologue
    from rdflib.plugins.sparql.parser import parseQuery

    tree = _parse(parseQuery, text)
    _walk(tree, limits)
    plan = QueryPlan()
    clauses = getattr(tree[1], "datasetClause", None) or []
    if clauses:
        prologue = translatePrologue(tree[0], base_iri)
        for clause in clauses:
            named = "named" in clause
            iri = str(prologue.absolutize(_field(clause, "named" if named else "default")))
            if graphs is not None and iri not in graphs:
                raise QueryRefused(
                    f"FROM{' NAMED' if named else ''} <{iri}>: no such graph in the store "
                    "(the endpoint never fetches data; FROM may name only graphs it holds)",
                    400,
                )
            (plan.named_graphs if named else plan.default_graphs).append(iri)
    return plan


def check_local_query(text: str, limits: Limits = Limits()) -> None:
    """`stkg query`: the same gate, FROM free (it only selects graphs of the local store)."""
    check_query(text, None, limits)


def check_update(text: str, limits: Limits = Limits()) -> None:
    """Even an authorised update may not call out: no LOAD, no SERVICE."""
    from rdflib.plugins.sparql.parser import parseUpdate

    precheck(text, limits, update=True)
    _walk(_parse(parseUpdate, text), limits)


_parse_lock = threading.Lock()


def _parse(parser: Any, text: str) -> Any:
    """rdflib's parse of `text` with a recursion budget the lexical limits bound, in a
    thread of its own with a stack to match; the budget is raised for the parse only."""
    outcome: list[Any] = []

    def run() -> None:
        try:
            outcome.append(parser(text))
        except BaseException as error:  # handed to the caller's thread
            outcome.append(error)

    with _parse_lock:  # the recursion limit is per process: one deep parse at a time
        previous = sys.getrecursionlimit()
        old_stack = threading.stack_size(64 * 1024 * 1024)
        try:
            sys.setrecursionlimit(max(previous, PARSE_RECURSION))
            thread = threading.Thread(target=run, name="stkg-query-parse")
            thread.start()
        finally:
            threading.stack_size(old_stack)
        thread.join()
        sys.setrecursionlimit(previous)
    result = outcome[0]
    if isinstance(result, RecursionError):
        raise QueryTooComplex("query too complex: it nests too deeply for the query parser")
    if isinstance(result, BaseException):
        if hasattr(result, "lineno") and hasattr(result, "col"):
            found = str(result).split("  (at char", 1)[0]
            raise SourceError(f"syntax error: {found}", "query", result.lineno, result.col)
        raise SourceError(f"syntax error: {result}", "query")
    return result


_EXPRESSION_ROOTS = {"ConditionalOrExpression"}
_PATH_STEPS = {"PathElt", "PathNegatedPropertySet"}


def _walk(tree: Any, limits: Limits) -> None:
    """Refuse SERVICE and LOAD anywhere in the parse tree, and a group, path or expression
    over its limit. Iterative: the tree is as deep as the query."""
    for node, inside in _nodes(tree):
        name = getattr(node, "name", None)
        if name == "ServiceGraphPattern":
            raise QueryRefused(
                "SERVICE is not allowed: stkg makes no outbound requests from queries", 400
            )
        if name == "Load":
            raise QueryRefused("LOAD is not allowed: stkg makes no outbound requests", 400)
        if name in ("GroupGraphPatternSub", "Quads"):
            blocks = (_field(node, "part") or []) if name == "GroupGraphPatternSub" else [node]
            count = sum(_patterns(b) for b in blocks if getattr(b, "name", None) in _BLOCKS)
            if count > limits.patterns:
                raise QueryTooComplex(
                    f"group too long: {count} triple patterns in one group (the limit is "
                    f"{limits.patterns}, STKG_MAX_PATTERN_LENGTH)"
                )
        elif name == "PathAlternative" and "path" not in inside:
            steps = sum(1 for n, _ in _nodes(node) if getattr(n, "name", None) in _PATH_STEPS)
            if steps > limits.path:
                raise QueryTooComplex(
                    f"property path too long: {steps} steps (the limit is {limits.path}, "
                    "STKG_MAX_PATH_LENGTH)"
                )
        elif name in _EXPRESSION_ROOTS and "expression" not in inside:
            operators = sum(_operators(n) for n, _ in _nodes(node))
            if operators > limits.expression:
                raise _expression_too_long(operators, limits)


_BLOCKS = {"TriplesBlock", "Quads", "TriplesTemplate"}


def _nodes(tree: Any) -> Iterator[tuple[Any, frozenset[str]]]:
    """Every node under `tree` with what it is inside of ("path", "expression")."""
    stack: list[tuple[Any, frozenset[str]]] = [(tree, frozenset())]
    seen: set[int] = set()
    while stack:
        node, inside = stack.pop()
        if id(node) in seen:  # pyparsing may hand one node under two names
            continue
        seen.add(id(node))
        yield node, inside
        name = getattr(node, "name", None)
        if name == "PathAlternative":
            inside = inside | {"path"}
        elif name in _EXPRESSION_ROOTS:
            inside = inside | {"expression"}
        if isinstance(node, dict):
            children: Any = node.values()
        elif isinstance(node, (list, tuple)) or type(node).__name__ == "ParseResults":
            children = node
        else:
            continue
        stack.extend((child, inside) for child in children if not isinstance(child, str))


def _field(node: Any, key: str) -> Any:
    """A field of an rdflib parse node, None when absent (`CompValue.get` answers the key)."""
    return dict.get(node, key)


def _patterns(block: Any) -> int:
    return sum(len(triples) // 3 for triples in _field(block, "triples") or [])


def _operators(node: Any) -> int:
    name = getattr(node, "name", None)
    if name in ("AdditiveExpression", "MultiplicativeExpression"):
        return len(_field(node, "op") or [])
    if name in ("ConditionalOrExpression", "ConditionalAndExpression"):
        return len(_field(node, "other") or [])
    if name == "RelationalExpression":
        return 1 if _field(node, "op") else 0
    return 1 if name in ("UnaryNot", "UnaryMinus", "UnaryPlus") else 0


def _expression_too_long(count: int, limits: Limits, *, at_least: bool = False) -> QueryTooComplex:
    more = "more than " if at_least else ""
    return QueryTooComplex(
        f"expression too long: {more}{count} operators in one expression (the limit is "
        f"{limits.expression}, STKG_MAX_EXPRESSION_LENGTH)"
    )


def _check_nesting(toks: list[Token], limit: int) -> None:
    depth = deepest = 0
    for token in toks:
        if token.kind != "other":
            continue
        if token.text in _OPEN:
            depth += 1
            deepest = max(deepest, depth)
        elif token.text in _CLOSE:
            depth -= 1
    if deepest > limit:
        raise QueryTooComplex(
            f"query nested too deeply: {deepest} levels (the limit is {limit}, STKG_MAX_NESTING)"
        )


def _check_operators(toks: list[Token], limits: Limits) -> None:
    """Operators inside one outermost pair of parentheses (an expression, or a bracketed
    path), and path steps (`/`, `|`) between two triple-pattern separators outside them.
    A datatype marker `^^` is no operator. Twice the expression limit here: the tree's
    exact count decides the cases in between."""
    parens = in_group = in_run = 0
    for token in toks:
        if token.kind == "other":
            if token.text == "(":
                parens += 1
            elif token.text == ")" and parens:
                parens -= 1
                if not parens:
                    in_group = 0
            elif token.text in GROUP_ENDS and not parens:
                in_run = 0
        elif token.kind == "op" and token.text != "^^":
            if parens:
                in_group += 1
                if in_group > 2 * limits.expression:
                    raise _expression_too_long(2 * limits.expression, limits, at_least=True)
            elif token.text in _PATH_OPS:
                in_run += 1
                if in_run + 1 > limits.path:
                    raise QueryTooComplex(
                        f"property path too long: more than {limits.path} steps (the limit "
                        f"is {limits.path}, STKG_MAX_PATH_LENGTH)"
                    )
