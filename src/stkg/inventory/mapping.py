"""The declarative inventory mapping: a TOML file (`data/import/inventory.toml` by default)
saying, per sheet, what each column may hold and which triples each row yields.

The file is checked whole before it is used, and every mistake in it is reported at once,
named by its TOML key (`sheets.systems.columns.owner: ref names no sheet "peple"`).
"""

from __future__ import annotations

import functools
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from stkg.errors import SourceError, StkgError

DEFAULT_MAPPING = Path("data") / "import" / "inventory.toml"  # inside the project
LOOKUPS = ("requirement", "annex-iii")
RESERVED = ("base", "row", "value")  # placeholders that are not columns
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
_COLUMN_KEYS = {"required", "multi", "values", "ref", "lookup", "node", "lang"}
_COLUMN_KEYS |= {"description", "example"}
_LANG = re.compile(r"^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$")


class MappingError(StkgError):
    """A mapping file that cannot be used; every problem in it, one per line."""

    def __init__(self, label: str, problems: list[str]) -> None:
        self.problems = [f"{label}: {p}" for p in problems]
        super().__init__("\n".join(self.problems))


# A template is a list of parts: text, a placeholder name, or an optional group (a list).
Part = str | tuple[str] | list[Any]


@dataclass(frozen=True)
class Template:
    parts: tuple[Part, ...]
    placeholders: frozenset[str]  # outside optional groups: the template needs them
    optional: frozenset[str] = frozenset()  # inside [ ... ]


@dataclass(frozen=True)
class Term:
    """A triple's subject or object: `column` (a column's terms), `row` (the row's IRI),
    `iri` (an IRI template), `literal` (a literal template) or `const` (an IRI)."""

    kind: str
    column: str | None = None
    template: Template | None = None
    const: ox.NamedNode | None = None
    lang: str | None = None


@dataclass(frozen=True)
class Node:
    iri: Template
    type: ox.NamedNode


@dataclass(frozen=True)
class Column:
    name: str
    required: bool = False
    multi: bool = False
    values: dict[str, ox.NamedNode] | None = None  # lower-case value -> IRI
    ref: str | None = None
    lookup: str | None = None
    node: Node | None = None
    lang: str | None = None
    description: str = ""
    example: str = ""

    def allowed(self) -> list[str]:
        return list(self.values or ())


@dataclass(frozen=True)
class TripleSpec:
    subject: Term
    predicate: ox.NamedNode
    object: Term
    when: tuple[str, ...] = ()

    @functools.cached_property
    def columns(self) -> tuple[str, ...]:
        """The columns whose values the triple is written for, sorted."""
        found = set()
        for term in (self.subject, self.object):
            if term.kind == "column" and term.column:
                found.add(term.column)
            elif term.template is not None:
                found |= term.template.placeholders - set(RESERVED)
        return tuple(sorted(found))


@dataclass(frozen=True)
class Sheet:
    name: str
    description: str
    subject: Template
    columns: dict[str, Column]
    triples: list[TripleSpec]


@dataclass(frozen=True)
class Mapping:
    label: str
    base: str
    separator: str
    sheets: dict[str, Sheet] = field(default_factory=dict)


def load_mapping(path: Path, label: str | None = None) -> Mapping:
    """Read and check a mapping file; raises SourceError (TOML syntax) or MappingError."""
    label = label or str(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SourceError("no such mapping file", label) from None
    except UnicodeDecodeError:
        raise SourceError("the mapping file is not UTF-8", label) from None
    except tomllib.TOMLDecodeError as error:
        raise SourceError(f"not valid TOML: {error}", label) from None
    return _Reader(label).mapping(data)


class _Reader:
    """Builds a Mapping, collecting every problem instead of stopping at the first."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.problems: list[str] = []
        self.prefixes: dict[str, str] = {}

    def problem(self, where: str, message: str) -> None:
        self.problems.append(f"{where}: {message}")

    def mapping(self, data: dict[str, Any]) -> Mapping:
        self._keys("(top level)", data, {"version", "base", "separator", "prefixes", "sheets"})
        if data.get("version") != 1:
            self.problem("version", f"must be 1, not {data.get('version')!r}")
        base = data.get("base", "")
        if not isinstance(base, str) or not _is_base(base):
            self.problem("base", "must be an absolute IRI ending in / or #")
        separator = data.get("separator", ";")
        if not isinstance(separator, str) or len(separator) != 1:
            self.problem("separator", "must be one character")
        prefixes = data.get("prefixes", {})
        if not isinstance(prefixes, dict):
            self.problem("prefixes", "must be a table")
            prefixes = {}
        for name, iri in prefixes.items():
            if isinstance(iri, str) and _absolute(iri):
                self.prefixes[name] = iri
            else:
                self.problem(f"prefixes.{name}", "must be an absolute IRI")
        sheets_data = data.get("sheets")
        if not isinstance(sheets_data, dict) or not sheets_data:
            self.problem("sheets", "no sheets: give at least one [sheets.NAME] table")
            sheets_data = {}
        sheets = {}
        for name, sheet in sheets_data.items():
            if not isinstance(sheet, dict):
                self.problem(f"sheets.{name}", "must be a table")
                continue
            sheets[name.lower()] = self.sheet(name.lower(), sheet)
        for sheet in sheets.values():
            for column in sheet.columns.values():
                if column.ref is not None and column.ref not in sheets:
                    self.problem(
                        f"sheets.{sheet.name}.columns.{column.name}",
                        f"ref names no sheet {column.ref!r} (sheets: {', '.join(sheets)})",
                    )
        if self.problems:
            raise MappingError(self.label, self.problems)
        return Mapping(self.label, base, separator, sheets)

    def _keys(self, where: str, table: dict[str, Any], allowed: set[str]) -> None:
        for key in table:
            if key not in allowed:
                self.problem(where, f"unknown key {key!r} (known: {', '.join(sorted(allowed))})")

    def sheet(self, name: str, data: dict[str, Any]) -> Sheet:
        where = f"sheets.{name}"
        self._keys(where, data, {"description", "subject", "columns", "triples"})
        columns_data = data.get("columns", {})
        columns = {}
        for column, spec in columns_data.items() if isinstance(columns_data, dict) else ():
            key = column.lower()
            if key in RESERVED:
                self.problem(f"{where}.columns.{column}", f"{key!r} is reserved for a placeholder")
            columns[key] = self.column(f"{where}.columns.{column}", key, spec)
        if "id" not in columns or not columns["id"].required:
            self.problem(f"{where}.columns", "every sheet needs an `id` column, required = true")
        known = set(columns) | {"base"}
        parsed = self.template(f"{where}.subject", data.get("subject", "<{base}{id}>"), known)
        if parsed is not None and parsed[0] != "iri":
            self.problem(f"{where}.subject", "must be an <IRI-TEMPLATE>")
        subject = parsed[1] if parsed is not None else Template((), frozenset())
        triples = []
        for i, spec in enumerate(data.get("triples", [])):
            triple = self.triple(f"{where}.triples[{i}]", spec, set(columns))
            if triple is not None:
                triples.append(triple)
        return Sheet(name, str(data.get("description", "")), subject, columns, triples)

    def column(self, where: str, name: str, spec: Any) -> Column:
        if not isinstance(spec, dict):
            self.problem(where, "must be a table")
            return Column(name)
        self._keys(where, spec, _COLUMN_KEYS)
        kinds = [k for k in ("values", "ref", "lookup", "node") if k in spec]
        if len(kinds) > 1:
            self.problem(where, f"give one of {', '.join(kinds)}, not several")
        values = None
        if "values" in spec:
            if not isinstance(spec["values"], dict) or not spec["values"]:
                self.problem(f"{where}.values", "must be a table of value = IRI")
            else:
                values = {}
                for value, iri in spec["values"].items():
                    node = self.iri(f"{where}.values.{value}", iri)
                    if node is not None:
                        values[value.strip().lower()] = node
        lookup = spec.get("lookup")
        if lookup is not None and lookup not in LOOKUPS:
            self.problem(
                f"{where}.lookup", f"unknown lookup {lookup!r} (known: {', '.join(LOOKUPS)})"
            )
        node = None
        if "node" in spec:
            node_spec = spec["node"]
            if not isinstance(node_spec, dict) or {"iri", "type"} - set(node_spec):
                self.problem(f"{where}.node", "must be { iri = TEMPLATE, type = IRI }")
            else:
                known = {"base", "row", "value"}
                iri = self.template(f"{where}.node.iri", f"<{node_spec['iri']}>", known)
                kind = self.iri(f"{where}.node.type", node_spec["type"])
                if iri is not None and kind is not None:
                    node = Node(iri[1], kind)
        lang = spec.get("lang")
        if lang is not None and not (isinstance(lang, str) and _LANG.match(lang)):
            self.problem(f"{where}.lang", f"not a language tag: {lang!r}")
        for flag in ("required", "multi"):
            if not isinstance(spec.get(flag, False), bool):
                self.problem(f"{where}.{flag}", "must be true or false")
        return Column(
            name,
            required=bool(spec.get("required", False)),
            multi=bool(spec.get("multi", False)),
            values=values,
            ref=spec.get("ref").lower() if isinstance(spec.get("ref"), str) else None,
            lookup=lookup,
            node=node,
            lang=lang,
            description=str(spec.get("description", "")),
            example=str(spec.get("example", "")),
        )

    def triple(self, where: str, spec: Any, columns: set[str]) -> TripleSpec | None:
        if not isinstance(spec, dict):
            self.problem(where, "must be a table")
            return None
        self._keys(where, spec, {"subject", "predicate", "object", "when"})
        for key in ("predicate", "object"):
            if key not in spec:
                self.problem(where, f"needs a {key}")
        when = spec.get("when", [])
        if not isinstance(when, list) or any(c not in columns for c in when):
            self.problem(
                f"{where}.when", f"must list columns of the sheet ({', '.join(sorted(columns))})"
            )
            when = []
        subject = self.term(f"{where}.subject", spec.get("subject", "{row}"), columns)
        predicate = self.iri(f"{where}.predicate", spec.get("predicate", ""))
        obj = self.term(f"{where}.object", spec.get("object", ""), columns)
        if subject is None or predicate is None or obj is None:
            return None
        if subject.kind == "literal":
            self.problem(f"{where}.subject", "a subject cannot be a literal")
            return None
        return TripleSpec(subject, predicate, obj, tuple(w.lower() for w in when))

    def term(self, where: str, text: Any, columns: set[str]) -> Term | None:
        if not isinstance(text, str) or not text:
            self.problem(where, "must be a non-empty string")
            return None
        alone = _PLACEHOLDER.fullmatch(text)
        if alone:
            name = alone.group(1).lower()
            if name == "row":
                return Term("row")
            if name not in columns:
                self.problem(
                    where, f"{{{name}}} names no column (columns: {', '.join(sorted(columns))})"
                )
                return None
            return Term("column", column=name)
        if text.startswith("<") or text.startswith('"'):
            parsed = self.template(where, text, columns | {"base", "row"})
            if parsed is None:
                return None
            return Term(parsed[0], template=parsed[1], lang=parsed[2])
        const = self.iri(where, text)
        return None if const is None else Term("const", const=const)

    def template(
        self, where: str, text: Any, known: set[str]
    ) -> tuple[str, Template, str | None] | None:
        """`<...>` is an IRI template, `"..."@lang` a literal one: (kind, template, lang)."""
        if not isinstance(text, str):
            self.problem(where, "must be a string")
            return None
        lang = None
        if text.startswith("<") and text.endswith(">"):
            kind, body = "iri", text[1:-1]
        elif text.startswith('"') and '"' in text[1:]:
            end = text.rindex('"')
            kind, body, rest = "literal", text[1:end], text[end + 1 :]
            if rest and not (rest.startswith("@") and _LANG.match(rest[1:])):
                self.problem(where, f"after a literal only @LANG may follow, not {rest!r}")
            lang = rest[1:] or None
        else:
            self.problem(where, 'must be <IRI-TEMPLATE> or "LITERAL-TEMPLATE"')
            return None
        try:
            parts = _parse_template(body, optional_groups=kind == "literal")
        except ValueError as error:
            self.problem(where, str(error))
            return None
        names = frozenset(_names(parts))
        required = frozenset(p[0] for p in parts if isinstance(p, tuple))
        for name in sorted(names - known):
            self.problem(
                where,
                f"{{{name}}} names no column (columns: {', '.join(sorted(known - set(RESERVED)))})",
            )
        return kind, Template(tuple(parts), required, names - required), lang

    def iri(self, where: str, text: Any) -> ox.NamedNode | None:
        if not isinstance(text, str):
            self.problem(where, "must be a string")
            return None
        if text.startswith("<") and text.endswith(">") and _absolute(text[1:-1]):
            return ox.NamedNode(text[1:-1])
        prefix, colon, local = text.partition(":")
        if colon and prefix in self.prefixes:
            try:
                return ox.NamedNode(self.prefixes[prefix] + local)
            except ValueError:
                pass
        known = ", ".join(self.prefixes) or "none"
        self.problem(
            where, f"{text!r} is not <IRI> or PREFIX:NAME with a declared prefix ({known})"
        )
        return None


def _parse_template(text: str, optional_groups: bool) -> list[Part]:
    parts: list[Part] = []
    stack = [parts]
    i = 0
    while i < len(text):
        char = text[i]
        if char == "{":
            end = text.find("}", i)
            name = text[i + 1 : end] if end > 0 else ""
            if end < 0 or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
                raise ValueError(f"bad placeholder at {text[i:]!r}: use {{COLUMN}}")
            stack[-1].append((name.lower(),))
            i = end + 1
            continue
        if optional_groups and char == "[":
            group: list[Part] = []
            stack[-1].append(group)
            stack.append(group)
        elif optional_groups and char == "]":
            if len(stack) == 1:
                raise ValueError("] without [")
            stack.pop()
        elif stack[-1] and isinstance(stack[-1][-1], str):
            stack[-1][-1] += char
        else:
            stack[-1].append(char)
        i += 1
    if len(stack) != 1:
        raise ValueError("[ without ]")
    return parts


def _names(parts: list[Part] | tuple[Part, ...]) -> list[str]:
    found = []
    for part in parts:
        if isinstance(part, tuple):
            found.append(part[0])
        elif isinstance(part, list):
            found += _names(part)
    return found


def _absolute(iri: str) -> bool:
    try:
        ox.NamedNode(iri)
    except ValueError:
        return False
    return bool(re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", iri))


def _is_base(iri: str) -> bool:
    return _absolute(iri) and iri.endswith(("/", "#"))


def check_base(base: str) -> None:
    if not _is_base(base):
        raise SourceError("must be an absolute IRI ending in / or #", f"--base {base}")
