"""Rewrites of query shapes a remote server answers wrongly, into shapes it answers right.

Each rewrite keeps the query's meaning (SPARQL 1.1) and is applied only when the conformance
probe (`stkg.store.probe`) found the server wrong on that shape; each is tested in
tests/test_store_rewrite.py on the text and, against Virtuoso, on the answer. They work on
the query's tokens (`stkg.sandbox.tokens`), so strings and comments are never touched.

- `star-path-zero-length`: Virtuoso 7.2 drops the zero-length step of `?c rdfs:subClassOf* C`
  when `?c` is bound before the path is evaluated: in a join after another group, and inside
  MINUS, FILTER NOT EXISTS and OPTIONAL (11 of 33 compiled SHACL queries wrong at 10,000
  systems; an instance of C itself is then not found). Where the path ends in a constant,
  `?c P* C` becomes `VALUES ?c { … }` and `?x a/P* C` becomes `?x a ?v … VALUES ?v { … }`,
  over the closure asked first with `?c` unbound (which the server answers right), at the
  start of the group; where its end is bound by a `VALUES` beside it, the pairs are listed.
  Any other `*` path is refused.
- `sameterm-plain-literal`: `sameTerm(?v, "high")` is false for a stored "high"; for a simple
  literal `=` means the same (a different type is an error: false), so it becomes `(?v = "high")`.
- `unbound-in-expression`: `COALESCE(IF(?unbound = 3, "a", "b"), "none")` is "none"; Virtuoso
  answers "b". Refused (test the variable with BOUND()).
- `minus-without-shared-variable`: MINUS whose pattern shares no variable with what precedes
  it removes nothing; Virtuoso removes everything. Such a MINUS is left out.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from stkg.errors import StkgError
from stkg.sandbox import Token, tokens

RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
SUBCLASS_OF = "http://www.w3.org/2000/01/rdf-schema#subClassOf"
FRESH = "__stkg_"  # prefix of the variables rewrites introduce; dropped from answers

# The faults a rewrite repairs, by the probe's name for them.
STAR_PATH = "star-path-zero-length"
SAMETERM_LITERAL = "sameterm-plain-literal"
MINUS_UNSHARED = "minus-without-shared-variable"
UNBOUND_EXPRESSION = "unbound-in-expression"


class Unsupported(StkgError):
    """The server answers this query shape wrongly and stkg cannot rewrite it."""


@dataclass
class Rewritten:
    text: str
    applied: list[str] = field(default_factory=list)


# Closure(predicate IRI, end IRI) -> the IRIs ?x for which `?x predicate* end` holds.
Closure = Callable[[str, str], list[str]]


def rewrite(text: str, faults: set[str], closure: Closure) -> Rewritten:
    """`text` with each of the server's `faults` that it contains rewritten away."""
    result = Rewritten(text)
    if SAMETERM_LITERAL in faults:
        _apply(result, SAMETERM_LITERAL, _sameterm(result.text))
    if MINUS_UNSHARED in faults:
        _apply(result, MINUS_UNSHARED, _minus_unshared(result.text))
    if STAR_PATH in faults:
        _apply(result, STAR_PATH, _star_paths(result.text, closure))
    if UNBOUND_EXPRESSION in faults:
        _refuse_coalesce_if(result.text)
    return result


def _apply(result: Rewritten, name: str, new: str) -> None:
    if new != result.text:
        result.text = new
        result.applied.append(name)


def _splice(text: str, edits: list[tuple[int, int, str]]) -> str:
    for start, end, new in sorted(edits, reverse=True):
        text = text[:start] + new + text[end:]
    return text


def _end(token: Token) -> int:
    return token.offset + len(token.text)


def prefixes(toks: list[Token]) -> dict[str, str]:
    found = {}
    for i, tok in enumerate(toks[:-2]):
        if tok.kind == "word" and tok.text.upper() == "PREFIX" and toks[i + 2].kind == "iri":
            found[toks[i + 1].text.rstrip(":")] = toks[i + 2].text[1:-1]
    return found


def _iri(tok: Token, names: dict[str, str]) -> str | None:
    if tok.kind == "iri":
        return tok.text[1:-1]
    if tok.kind == "pname":
        prefix, _, local = tok.text.partition(":")
        if prefix in names:
            return names[prefix] + local
    if tok.kind == "word" and tok.text == "a":
        return RDF_TYPE
    return None


# --- sameTerm on a simple literal -------------------------------------------------------------


def _sameterm(text: str) -> str:
    toks = tokens(text)
    edits = []
    for i, tok in enumerate(toks[:-5]):
        if not (tok.kind == "word" and tok.text.lower() == "sameterm"):
            continue
        open_, left, comma, right, close = toks[i + 1 : i + 6]
        if (open_.text, comma.text, close.text) != ("(", ",", ")"):
            continue
        kinds = {left.kind, right.kind}
        if kinds == {"var", "string"}:  # a string with no @lang or ^^ (`close` follows it)
            edits.append((tok.offset, _end(close), f"({left.text} = {right.text})"))
    return _splice(text, edits)


# --- An expression over an unbound variable -------------------------------------------------


def _refuse_coalesce_if(text: str) -> None:
    """`COALESCE(IF(?unbound = 3, …), "none")` is "none" (the IF is an error); Virtuoso takes
    the comparison as false and answers the IF's else branch. `COALESCE(?x = 1, false)` is
    the same either way, so only an IF first in a COALESCE is refused."""
    toks = tokens(text)
    for i, tok in enumerate(toks[:-3]):
        if (
            tok.kind == "word"
            and tok.text.upper() == "COALESCE"
            and toks[i + 1].text == "("
            and toks[i + 2].text.upper() == "IF"
        ):
            raise Unsupported(
                "this server takes an expression over an unbound variable as false, not as "
                f"an error ({UNBOUND_EXPRESSION}, see `stkg store check`), so COALESCE(IF(…), …) "
                "would answer wrongly; test the variable with BOUND() instead"
            )


# --- Groups: where MINUS, NOT EXISTS and OPTIONAL open one ----------------------------------


@dataclass
class _Group:
    open: int  # index of "{"
    close: int  # index of the matching "}"
    keyword: str | None  # MINUS, EXISTS, OPTIONAL or None
    keyword_at: int | None
    negated: bool  # this group or one around it is negated


def _groups(toks: list[Token]) -> list[_Group]:
    groups: list[_Group] = []
    stack: list[_Group] = []
    for i, tok in enumerate(toks):
        if tok.text == "{":
            before = toks[i - 1].text.upper() if i else ""
            keyword = before if before in ("MINUS", "EXISTS", "OPTIONAL") else None
            negated = keyword is not None or bool(stack and stack[-1].negated)
            group = _Group(i, -1, keyword, i - 1 if keyword else None, negated)
            stack.append(group)
            groups.append(group)
        elif tok.text == "}" and stack:
            stack.pop().close = i
    return [g for g in groups if g.close >= 0]


# --- MINUS with no shared variable ---------------------------------------------------------


def _minus_unshared(text: str) -> str:
    toks = tokens(text)
    groups = _groups(toks)
    edits = []
    for group in groups:
        if group.keyword != "MINUS" or group.keyword_at is None:
            continue
        parent = max(
            (g for g in groups if g.open < group.open and g.close > group.close),
            key=lambda g: g.open,
            default=None,
        )
        if parent is None:
            continue
        inside = {t.text[1:] for t in toks[group.open : group.close] if t.kind == "var"}
        before = {t.text[1:] for t in toks[parent.open : group.keyword_at] if t.kind == "var"}
        if inside and not inside & before:
            edits.append((toks[group.keyword_at].offset, _end(toks[group.close]), ""))
    return _splice(text, edits)


# --- * paths ------------------------------------------------------------------------------


def _unwrap(text: str) -> str:
    """Path parentheses that group nothing left out: `(<p>)*` is `<p>*`, `(<q>/<p>*) C` is
    `<q>/<p>* C` (what compiled SHACL paths look like)."""
    while True:
        toks = tokens(text)
        edits = []
        for i, tok in enumerate(toks):
            if tok.text != "(" or (i and toks[i - 1].kind in ("word", "iri", "pname")):
                continue
            inner = [t.kind if t.kind in ("iri", "pname") else t.text for t in toks[i + 1 : i + 6]]
            for shape in (["iri", ")"], ["iri", "/", "iri", "*", ")"]):
                got = [k if k != "pname" else "iri" for k in inner[: len(shape)]]
                if got == shape:
                    close = toks[i + len(shape)]
                    edits += [(tok.offset, _end(tok), " "), (close.offset, _end(close), " ")]
                    break
            if edits:
                break
        if not edits:
            return text
        text = _splice(text, edits)


def _path_group(toks: list[Token], close: int) -> bool:
    """Whether the parentheses closing at `close` hold a property path (IRIs and path
    operators only), not an expression."""
    depth = 0
    for j in range(close, -1, -1):
        depth += {")": 1, "(": -1}.get(toks[j].text, 0)
        if depth == 0:
            return all(t.kind in ("iri", "pname", "op", "other") for t in toks[j + 1 : close])
    return False


def _star_paths(text: str, closure: Closure) -> str:
    text = _unwrap(text)
    toks = tokens(text)
    names = prefixes(toks)
    groups = _groups(toks)

    def innermost(i: int) -> _Group | None:
        around = [g for g in groups if g.open < i < g.close]
        return max(around, key=lambda g: g.open, default=None)

    edits: list[tuple[int, int, str]] = []
    handled: set[int] = set()
    fresh = 0
    for i in range(len(toks) - 2):
        predicate = _iri(toks[i], names)
        if toks[i + 1].text != "*" or predicate is None or toks[i].kind == "word":
            continue
        group = innermost(i)
        if group is None:
            continue
        target = toks[i + 2]
        target_iri = _iri(target, names) if target.kind != "word" else None
        choices = _values_of(toks, group, target.text, names) if target.kind == "var" else None
        if (
            target.kind == "var"
            and choices is None
            and _whole_triple(toks, i)
            and _bound_beside(toks, group, i, (toks[i - 1].text, target.text), innermost)
        ):  # ?a P* ?b, both bound by other triples of the group: a test, not a walk
            start, end_ = toks[i - 1].text, target.text
            edits.append(
                (
                    toks[i - 1].offset,
                    _triple_end(toks, i),
                    f" FILTER(sameTerm({start}, {end_}) || EXISTS {{ {start} "
                    f"{toks[i].text}+ {end_} }}) ",
                )
            )
            handled.add(i + 1)
            continue
        if target_iri is None and choices is None:
            continue  # refused below
        step = i >= 2 and toks[i - 1].text == "/" and toks[i - 2].kind in ("iri", "pname", "word")
        if choices is not None:  # ?c P* ?k with VALUES ?k { K1 K2 } beside it
            if not _whole_triple(toks, i):
                continue
            var = f"({toks[i - 1].text} {target.text})"
            pairs = [(c, k) for k in choices for c in closure(predicate, k)]
            rows = " ".join(f"(<{c}> <{k}>)" for c, k in pairs)
            edits.append((toks[i - 1].offset, _triple_end(toks, i), ""))
        elif step and target_iri is not None:  # ?x Q/P* C  ->  ?x Q ?v ... VALUES ?v {…}
            fresh += 1
            var = f"?{FRESH}c{fresh}"
            rows = " ".join(f"<{c}>" for c in closure(predicate, target_iri))
            edits.append((toks[i - 1].offset, _end(target), f" {var}"))
        elif _whole_triple(toks, i) and target_iri is not None:  # ?c P* C  ->  VALUES ?c {…}
            var = toks[i - 1].text
            rows = " ".join(f"<{c}>" for c in closure(predicate, target_iri))
            edits.append((toks[i - 1].offset, _triple_end(toks, i), ""))
        else:
            continue
        handled.add(i + 1)
        # At the start of the group: the same join anywhere in it, and Virtuoso fails to
        # compile a VALUES after a BIND inside a UNION branch ("sparp_gp_deprecate").
        at = _end(toks[group.open])
        edits.append((at, at, _values(var, rows)))
    for j, tok in enumerate(toks):
        if (
            tok.text == "*"
            and j not in handled
            and (
                toks[j - 1].kind in ("iri", "pname")
                or (toks[j - 1].text == ")" and _path_group(toks, j - 1))
            )
        ):
            raise Unsupported(
                f"this server answers a * property path wrongly when both its ends are bound "
                f"({STAR_PATH}, see `stkg store check`), and stkg cannot rewrite this one: "
                f"{toks[j - 1].text}* (write the path as ?x P* <constant>, or bind the end "
                "with VALUES in the same group)"
            )
    return _splice(text, edits)


def _bound_beside(
    toks: list[Token],
    group: _Group,
    i: int,
    names: tuple[str, str],
    innermost: Callable[[int], _Group | None],
) -> bool:
    """Whether both variables occur in other triples directly in `group` (not in a nested
    group, an expression or the path's own triple), so they are bound when it is tested."""
    seen: set[str] = set()
    depth = 0
    for j in range(group.open + 1, group.close):
        depth += {"(": 1, ")": -1}.get(toks[j].text, 0)
        if depth or toks[j].kind != "var" or i - 1 <= j <= i + 2 or innermost(j) is not group:
            continue
        seen.add(toks[j].text)
    return set(names) <= seen


def _whole_triple(toks: list[Token], i: int) -> bool:
    """Whether `?c <subClassOf> * X` at `i` is a whole triple (no `;` or `,` after it)."""
    return (
        i >= 1
        and toks[i - 1].kind == "var"
        and (i < 2 or toks[i - 2].text in ("{", ".", "}"))
        and i + 3 < len(toks)
        and toks[i + 3].text in (".", "}")
    )


def _triple_end(toks: list[Token], i: int) -> int:
    return _end(toks[i + 3]) if toks[i + 3].text == "." else _end(toks[i + 2])


def _values_of(
    toks: list[Token], group: _Group, var: str, names: dict[str, str]
) -> list[str] | None:
    """The IRIs of `VALUES var { … }` directly in `group`, when it has one of IRIs only."""
    for j in range(group.open, group.close - 3):
        if toks[j].text.upper() == "VALUES" and toks[j + 1].text == var and toks[j + 2].text == "{":
            found = []
            for tok in toks[j + 3 : group.close]:
                if tok.text == "}":
                    return found
                iri = _iri(tok, names)
                if iri is None or tok.kind == "word":
                    return None
                found.append(iri)
    return None


def _values(var: str, classes: str) -> str:
    return f" VALUES {var} {{ {classes} }} "
