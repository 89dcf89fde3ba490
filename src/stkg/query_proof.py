"""The token proof that lets the query gate skip rdflib's parse (`stkg.sandbox.check_query`).

A query that never spells SERVICE, FROM or LOAD outside its comments, not even inside a name,
uses only SPARQL 1.1's words, and is small enough that its tokens bound every limit the gate
checks on the tree, is decided without the parse: well under 1 ms against rdflib's 12-99 ms
(docs/decisions.md, 2026-12-03). Whatever the proof cannot show goes to the full parse.
"""

from __future__ import annotations

import functools
from typing import Any

from stkg.sandbox import GROUP_ENDS, Limits, tokens

# SPARQL 1.1's keywords and built-in calls (section 19.8) but ASK and FROM / NAMED: the
# only words a query may use to skip the full parse. SPARQL 1.2's, an engine's extensions
# and a word glued to a name (`true-1`) take the parse, as a query always did.
_PLAIN_WORDS = frozenset(
    {
        "BASE",
        "PREFIX",
        "SELECT",
        "CONSTRUCT",
        "DESCRIBE",
        "WHERE",
        "DISTINCT",
        "REDUCED",
        "AS",
        "ORDER",
        "BY",
        "ASC",
        "DESC",
        "LIMIT",
        "OFFSET",
        "GROUP",
        "HAVING",
        "VALUES",
        "UNDEF",
        "OPTIONAL",
        "UNION",
        "MINUS",
        "GRAPH",
        "FILTER",
        "BIND",
        "NOT",
        "EXISTS",
        "IN",
        "A",
        "TRUE",
        "FALSE",
        "STR",
        "LANG",
        "LANGMATCHES",
        "DATATYPE",
        "BOUND",
        "IRI",
        "URI",
        "BNODE",
        "RAND",
        "ABS",
        "CEIL",
        "FLOOR",
        "ROUND",
        "CONCAT",
        "STRLEN",
        "UCASE",
        "LCASE",
        "ENCODE_FOR_URI",
        "CONTAINS",
        "STRSTARTS",
        "STRENDS",
        "STRBEFORE",
        "STRAFTER",
        "YEAR",
        "MONTH",
        "DAY",
        "HOURS",
        "MINUTES",
        "SECONDS",
        "TIMEZONE",
        "TZ",
        "NOW",
        "UUID",
        "STRUUID",
        "MD5",
        "SHA1",
        "SHA256",
        "SHA384",
        "SHA512",
        "COALESCE",
        "IF",
        "STRLANG",
        "STRDT",
        "SAMETERM",
        "ISIRI",
        "ISURI",
        "ISBLANK",
        "ISLITERAL",
        "ISNUMERIC",
        "REGEX",
        "SUBSTR",
        "REPLACE",
        "COUNT",
        "SUM",
        "MIN",
        "MAX",
        "AVG",
        "SAMPLE",
        "GROUP_CONCAT",
        "SEPARATOR",
    }
)
# Spelled anywhere but in a comment (a name, a string, an IRI, glued to a word), these
# send the query to the full parse: the proof does not try to tell where the engine would
# read them as keywords.
_CALL_OUT = ("SERVICE", "FROM", "LOAD")
_OPERATOR_CHARS = "+-*/|&=!<>"


def plain_query(text: str, limits: Limits = Limits(), *, base_iri: str | None = None) -> bool:
    """True when the tokens prove what rdflib's parse would decide: no SERVICE or LOAD in
    any spelling, no dataset clause, and the tree within `limits`; False sends the query to
    the full parse, which decides. Oxigraph must parse it too (on an empty store; it
    evaluates lazily), so a syntax error is still answered with the parse's message.

    The bounds, each over what the tree can hold: a triple pattern's object is a token of
    its own group (a collection's element is the object of two triples: twice the group's
    tokens), a path step starts with a token between two of `{ } . ; ,` (no path holds one),
    and every operator is a character
    of a non-string token or a keyword (IN, NOT IN). The words ASK and `\\u` escapes take
    the parse: an ASK evaluates at once, an escape could spell anything."""
    if "\\u" in text or "\\U" in text:
        return False
    groups = [0]  # tokens directly inside each open {}; the first is outside any
    operators = run = 0  # run: tokens since the last separator a path cannot hold
    for token in tokens(text):
        upper = token.text.upper()
        if any(word in upper for word in _CALL_OUT):
            return False
        if token.kind == "word":
            if upper not in _PLAIN_WORDS:
                return False
            operators += 1
        elif token.kind not in ("string", "iri"):
            operators += sum(map(token.text.count, _OPERATOR_CHARS))
        run = 0 if token.kind == "other" and token.text in GROUP_ENDS else run + 1
        if token.text == "{":
            groups.append(0)
        elif token.text == "}":
            if len(groups) == 1:
                return False
            groups.pop()
        elif len(groups) > 1:
            groups[-1] += 1
            if 2 * groups[-1] > limits.patterns:
                return False
        if run > limits.path:
            return False
    if operators > limits.expression or len(groups) != 1:
        return False
    try:
        _empty_store().query(text, base_iri=base_iri)
    except (SyntaxError, ValueError, OSError, RuntimeError):
        return False
    return True


@functools.cache
def _empty_store() -> Any:
    import pyoxigraph

    return pyoxigraph.Store()
