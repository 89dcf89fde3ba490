"""What a query sent over the network may do, checked before the engine sees it.

The endpoint faces the network, so a query must not make the server call out (`SERVICE`,
`LOAD`), read anything but the store (`FROM <file:///…>`), change the store, or choke the
parser (very long or very deeply nested text). pyoxigraph exposes no query algebra in
Python and rdflib's parser recurses on large queries, so the check is a SPARQL lexer that
follows the grammar's terminals (strings, IRIs, comments, prefixed names) and looks at
keywords only where the parser would see keywords: `SERVICE` inside a string or a comment
is text, `service` in lower case is a keyword. Where the lexer cannot make sense of the
text it errs on the side of refusing. The time limit in `stkg.execution` is the second line
of defence for anything this misses.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, field
from urllib.parse import urljoin

from stkg.errors import StkgError

MAX_QUERY_LENGTH = 100_000  # characters
MAX_NESTING = 256  # brackets, braces and parentheses


class QueryRefused(StkgError):
    """A query the endpoint will not run; `status` is the HTTP status to answer with."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


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
  | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)
_UNICODE_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")
_OPEN, _CLOSE = "({[", ")}]"

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


def tokens(text: str) -> list[Token]:
    """The significant tokens of a SPARQL text (no whitespace, no comments)."""
    # SPARQL processes \u escapes before parsing (SPARQL 1.1 section 19.2); do the same so
    # `\u0053ERVICE` is seen as SERVICE whatever the engine does with it.
    text = _UNICODE_ESCAPE.sub(lambda m: chr(int(m.group(1) or m.group(2), 16)), text)
    found = []
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup or "other"
        if kind not in ("ws", "comment"):
            found.append(Token(kind, match.group(), match.start()))
    return found


def check_query(
    text: str,
    graphs: Collection[str],
    *,
    max_length: int = MAX_QUERY_LENGTH,
    max_nesting: int = MAX_NESTING,
) -> QueryPlan:
    """Refuse what a public endpoint must not run; return the FROM / FROM NAMED graphs.

    `graphs` are the named graphs in the store: FROM may only name those.
    """
    if len(text) > max_length:
        raise QueryRefused(
            f"query too long: {len(text)} characters (the limit is {max_length})", 400
        )
    toks = tokens(text)
    _check_nesting(toks, max_nesting)
    prefixes: dict[str, str] = {}
    base = ""
    plan = QueryPlan()
    for i, token in enumerate(toks):
        if token.kind != "word":
            continue
        keyword = token.text.upper()
        if keyword == "SERVICE":
            raise QueryRefused(
                "SERVICE is not allowed: this endpoint makes no outbound requests", 400
            )
        if keyword in UPDATE_KEYWORDS:
            raise QueryRefused(
                f"{keyword} is SPARQL Update; this endpoint is read-only (send updates as "
                "`update`, which needs the update token)",
                403,
            )
        if keyword == "BASE" and _kind(toks, i + 1) == "iri":
            base = urljoin(base, toks[i + 1].text[1:-1])
        elif keyword == "PREFIX" and _kind(toks, i + 1) == "pname" and _kind(toks, i + 2) == "iri":
            prefixes[toks[i + 1].text.split(":", 1)[0]] = urljoin(base, toks[i + 2].text[1:-1])
        elif keyword == "FROM":
            named = _kind(toks, i + 1) == "word" and toks[i + 1].text.upper() == "NAMED"
            target = toks[i + 2] if named and i + 2 < len(toks) else _at(toks, i + 1)
            iri = _resolve(target, prefixes, base)
            if iri not in graphs:
                raise QueryRefused(
                    f"FROM{' NAMED' if named else ''} <{iri}>: no such graph in the store "
                    "(the endpoint never fetches data; FROM may name only graphs it holds)",
                    400,
                )
            (plan.named_graphs if named else plan.default_graphs).append(iri)
    return plan


def check_update(text: str, *, max_length: int = MAX_QUERY_LENGTH) -> None:
    """Even an authorised update may not call out: no LOAD, no SERVICE."""
    if len(text) > max_length:
        raise QueryRefused(
            f"update too long: {len(text)} characters (the limit is {max_length})", 400
        )
    for token in tokens(text):
        if token.kind == "word" and token.text.upper() in ("LOAD", "SERVICE"):
            raise QueryRefused(
                f"{token.text.upper()} is not allowed: this endpoint makes no outbound requests",
                400,
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
        raise QueryRefused(f"query nested too deeply: {deepest} levels (the limit is {limit})")


def _kind(toks: list[Token], i: int) -> str | None:
    return toks[i].kind if i < len(toks) else None


def _at(toks: list[Token], i: int) -> Token | None:
    return toks[i] if i < len(toks) else None


def _resolve(token: Token | None, prefixes: dict[str, str], base: str) -> str:
    if token is not None and token.kind == "iri":
        return urljoin(base, token.text[1:-1]) if base else token.text[1:-1]
    if token is not None and token.kind == "pname":
        prefix, _, local = token.text.rstrip(".").partition(":")
        if prefix in prefixes:
            return prefixes[prefix] + re.sub(r"\\(.)", r"\1", local)
    # Anything else after FROM is a syntax error for the parser; refuse it here.
    shown = token.text if token is not None else "end of query"
    raise QueryRefused(f"FROM must be followed by a graph IRI, not {shown!r}", 400)
