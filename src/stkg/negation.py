"""`FILTER NOT EXISTS { P }` rewritten as `MINUS { P }` where the two provably give the same
rows, because Oxigraph 0.5 evaluates `NOT EXISTS` once per row (oxigraph/oxigraph#885): at
10,000 generated systems "systems without an escalation path" took 13 s that way and 31 ms
as `MINUS` (`docs/decisions.md`).

The two differ in three ways (SPARQL 1.1 section 8.3), and a rewrite is made only when none
can apply:

- `NOT EXISTS` sees every variable of the row; `MINUS` joins on the variables the two sides
  share. So every variable of P that the group can bind must be bound in every row of the
  group before the place the `MINUS` takes: it occurs in a plain triple pattern of the group
  (not only in an OPTIONAL, a UNION, a BIND, VALUES or a subquery).
- `MINUS` removes nothing when the two sides share no variable; `NOT EXISTS` then removes
  every row or none. At least one variable must be shared.
- A FILTER inside P sees the row's variables under `NOT EXISTS` but not under `MINUS`: P may
  hold only triple patterns and FILTERs on variables of those triple patterns.

The `MINUS` takes the FILTER's place when every shared variable is bound before it (the
common case, and the fastest: rows are removed before later patterns join), else the end of
the group. Only groups whose FILTERs apply to the group's own rows are rewritten: the WHERE
clause and groups nested in it as plain groups or UNION branches, not OPTIONAL (whose FILTERs
see the left side), MINUS, EXISTS, GRAPH, SERVICE or subquery bodies. Anything the reader
below does not recognise leaves the query as it is, and so do bound parameters (pyoxigraph
substitutions bind a variable wherever it occurs, inside P too): callers pass such queries
unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from stkg.sandbox import Token, tokens, unescaped

_STOP = {"FILTER", "OPTIONAL", "MINUS", "GRAPH", "SERVICE", "BIND", "VALUES"}
_OPEN, _CLOSE = "([", ")]"


class _Unknown(Exception):
    """Something the reader does not follow: leave the query unchanged."""


@dataclass
class _Element:
    kind: str  # triples, filter, not-exists, optional, minus, graph, service, bind, values,
    # group (a nested group or UNION), subquery
    start: int  # index of the first token
    end: int  # index after the last token
    variables: set[str] = field(default_factory=set)
    groups: list[_Group] = field(default_factory=list)  # nested groups, in order


@dataclass
class _Group:
    start: int  # index of "{"
    end: int  # index of the matching "}"
    elements: list[_Element] = field(default_factory=list)


@lru_cache(maxsize=512)
def minus_for_not_exists(text: str) -> str:
    """The query with each provably equivalent `FILTER NOT EXISTS` written as `MINUS`, or
    the text itself when there is none."""
    if "exists" not in text.lower():
        return text
    toks = tokens(text)
    source = unescaped(text)
    edits: list[tuple[int, int, str]] = []  # (start offset, end offset, replacement)
    try:
        for group in _top_groups(toks):
            _rewrite(group, toks, source, edits)
    except (_Unknown, IndexError):
        return text
    if not edits:
        return text
    for start, end, replacement in sorted(edits, reverse=True):
        source = source[:start] + replacement + source[end:]
    return source


def _word(tok: Token) -> str:
    return tok.text.upper() if tok.kind == "word" else ""


def _top_groups(toks: list[Token]) -> list[_Group]:
    """The groups at the outermost level: a CONSTRUCT template and the WHERE clause (a
    template holds only triples, so reading it as a group changes nothing)."""
    found, i = [], 0
    while i < len(toks):
        if toks[i].text == "{":
            group, i = _group(toks, i)
            found.append(group)
        else:
            i += 1
    return found


def _balanced(toks: list[Token], i: int) -> int:
    """The index after the bracket that closes the one at `i`."""
    depth = 0
    while True:
        text = toks[i].text
        if text in "({[" and toks[i].kind == "other":
            depth += 1
        elif text in ")}]" and toks[i].kind == "other":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1


def _variables(toks: list[Token], start: int, end: int) -> set[str]:
    return {t.text[1:] for t in toks[start:end] if t.kind == "var"}


def _group(toks: list[Token], i: int) -> tuple[_Group, int]:
    """Read the group whose "{" is at `i`; the index after its "}"."""
    group = _Group(start=i, end=-1)
    i += 1
    if _word(toks[i]) == "SELECT":  # a subquery: read as one opaque element by the caller
        raise _Unknown
    while toks[i].text != "}":
        tok, word = toks[i], _word(toks[i])
        start = i
        if tok.text == ".":
            i += 1
            continue
        if word == "FILTER":
            if _word(toks[i + 1]) == "NOT" and _word(toks[i + 2]) == "EXISTS":
                body, i = _group(toks, i + 3)
                group.elements.append(_Element("not-exists", start, i, groups=[body]))
                continue
            if _word(toks[i + 1]) == "EXISTS":
                body, i = _group(toks, i + 2)
                group.elements.append(_Element("filter", start, i, groups=[body]))
                continue
            j = i + 1
            if toks[j].text != "(":  # a function call: name, then arguments
                j += 1
            if toks[j].text != "(":
                raise _Unknown
            i = _balanced(toks, j)
            group.elements.append(_Element("filter", start, i, _variables(toks, start, i)))
        elif word in ("OPTIONAL", "MINUS"):
            body, i = _group(toks, i + 1)
            kind = word.lower()
            group.elements.append(_Element(kind, start, i, _variables(toks, start, i), [body]))
        elif word in ("GRAPH", "SERVICE"):
            j = i + 1 + (_word(toks[i + 1]) == "SILENT")
            i = _balanced(toks, j + 1)
            group.elements.append(_Element(word.lower(), start, i, _variables(toks, start, i)))
        elif word == "BIND":
            i = _balanced(toks, i + 1)
            group.elements.append(_Element("bind", start, i, _variables(toks, start, i)))
        elif word == "VALUES":
            j = i + 1
            j = _balanced(toks, j) if toks[j].text == "(" else j + 1
            i = _balanced(toks, j)
            group.elements.append(_Element("values", start, i, _variables(toks, start, i)))
        elif tok.text == "{":
            element = _Element("group", start, -1)
            while True:
                if _word(toks[i + 1]) == "SELECT":
                    i = _balanced(toks, i)
                    element.kind = "subquery"
                else:
                    body, i = _group(toks, i)
                    element.groups.append(body)
                if _word(toks[i]) != "UNION":
                    break
                i += 1
            element.end = i
            element.variables = _variables(toks, start, i)
            group.elements.append(element)
        elif word in _STOP or word in ("UNION", "EXISTS", "NOT"):
            raise _Unknown
        else:  # a block of triple patterns, up to a ".", a "}" or another element
            depth = 0
            while True:
                text = toks[i].text
                if toks[i].kind == "other" and text in _OPEN:
                    depth += 1
                elif toks[i].kind == "other" and text in _CLOSE:
                    depth -= 1
                elif depth == 0 and (text in ("}", "{", ".") or _word(toks[i]) in _STOP):
                    break
                if text == "{":  # a "{" inside [ ] or ( ): not a triple pattern
                    raise _Unknown
                i += 1
            if i == start:
                raise _Unknown
            group.elements.append(_Element("triples", start, i, _variables(toks, start, i)))
    group.end = i
    return group, i + 1


def _rewrite(
    group: _Group, toks: list[Token], source: str, edits: list[tuple[int, int, str]]
) -> None:
    binding = [e for e in group.elements if e.kind not in ("filter", "not-exists", "minus")]
    may_bind = set().union(*(e.variables for e in binding))
    for index, element in enumerate(group.elements):
        if element.kind == "group":
            for nested in element.groups:  # a plain group or a UNION branch
                _rewrite(nested, toks, source, edits)
        if element.kind != "not-exists":
            continue
        body = element.groups[0]
        inner = _pattern_variables(body)
        if inner is None:
            continue
        shared = inner & may_bind
        bound_before = set().union(
            *(e.variables for e in group.elements[:index] if e.kind == "triples")
        )
        bound = set().union(*(e.variables for e in group.elements if e.kind == "triples"))
        if not shared or not shared <= bound:
            continue
        first, last = toks[element.start], toks[body.start]
        if shared <= bound_before:  # in place: FILTER NOT EXISTS { … } → MINUS { … }
            edits.append((first.offset, last.offset, "MINUS "))
        else:  # at the end of the group
            end = toks[element.end - 1]
            edits.append((first.offset, end.offset + 1, ""))
            closing = toks[group.end].offset
            body_text = source[toks[body.start].offset : toks[body.end].offset + 1]
            edits.append((closing, closing, f"MINUS {body_text} "))


def _pattern_variables(body: _Group) -> set[str] | None:
    """The variables of a NOT EXISTS body that MINUS treats alike, or None when it holds
    anything but triple patterns and FILTERs on their variables."""
    triples = [e for e in body.elements if e.kind == "triples"]
    filters = [e for e in body.elements if e.kind == "filter"]
    if len(triples) + len(filters) != len(body.elements) or not triples:
        return None
    variables = set().union(*(e.variables for e in triples))
    for element in filters:
        if element.groups or not element.variables <= variables:  # EXISTS, or outer names
            return None
    return variables
