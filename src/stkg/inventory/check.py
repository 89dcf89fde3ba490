"""Checking an inventory against its mapping, every row before anything is written.

Each cell becomes the terms it stands for (a referenced row's IRI, an allowed value's IRI, a
requirement, a new node, a literal) or an `InputError` naming file, row, column and value.
All errors are collected: a user fixes the spreadsheet once, not once per run.
"""

from __future__ import annotations

import difflib
import hashlib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from urllib.parse import quote

import pyoxigraph as ox

from stkg.inventory.mapping import Column, Mapping, Part, Sheet, Template
from stkg.inventory.read import InputError, Inventory, Table
from stkg.store import Store

SKOS_NOTATION = "http://www.w3.org/2004/02/skos/core#notation"
ANNEX_PREFIX = "iii."

Term = ox.NamedNode | ox.Literal


@dataclass
class Row:
    sheet: str
    label: str  # the file, for messages
    number: int
    subject: ox.NamedNode
    raw: dict[str, list[str]]  # every column of the sheet: its values as text
    terms: dict[str, list[Term]] = field(default_factory=dict)
    nodes: list[tuple[ox.NamedNode, ox.NamedNode, str]] = field(default_factory=list)
    failed: bool = False  # a cell has an error: its id still counts, its triples are not made


@dataclass(frozen=True)
class Catalogue:
    """Requirement codes as the framework catalogues write them (`skos:notation`)."""

    codes: dict[str, tuple[ox.NamedNode, str]]  # normalised code -> (requirement, code)

    @classmethod
    def from_store(cls, store: Store) -> Catalogue:
        answer = store.query(f"SELECT ?c ?n WHERE {{ ?c <{SKOS_NOTATION}> ?n }}")
        codes = {}
        for concept, notation in answer.rows:
            if isinstance(concept, ox.NamedNode):
                codes.setdefault(_code(notation.value), (concept, notation.value))
        return cls(codes)

    def find(self, value: str, annex: bool) -> ox.NamedNode | str:
        """The requirement a code names, or the message saying it names none. An Annex III
        point may be written without its `III.`: `5(b)`."""
        key = _code(value)
        if annex and not key.startswith(ANNEX_PREFIX):
            key = ANNEX_PREFIX + key
        found = self.codes.get(key)
        if found is not None:
            return found[0]
        pool = {k: c for k, (_, c) in self.codes.items() if k.startswith(ANNEX_PREFIX) or not annex}
        closest = difflib.get_close_matches(key, list(pool), n=1, cutoff=0.5)
        hint = f" (closest: {pool[closest[0]]})" if closest else ""
        if annex:
            return f"no EU AI Act Annex III point {value!r}{hint}"
        return f"no framework catalogue has this requirement code{hint}"


def _code(value: str) -> str:
    return " ".join(value.split()).casefold()


def slug(text: str) -> str:
    """A readable, deterministic IRI segment for a free-text value."""
    words = re.sub(r"[^a-z0-9]+", "-", text.casefold()).strip("-")
    if words and len(words) <= 60:
        return words
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:10]
    return f"{words[:50].rstrip('-')}-{digest}" if words else digest


def render(parts: Iterable[Part], value: Callable[[str], str | None]) -> str | None:
    """A template's text; None when a placeholder outside `[ ... ]` has no value (a group
    whose placeholder has none is left out)."""
    out = []
    for part in parts:
        if isinstance(part, str):
            out.append(part)
        elif isinstance(part, tuple):
            text = value(part[0])
            if text is None:
                return None
            out.append(text)
        else:
            group = render(part, value)
            if group is not None:
                out.append(group)
    return "".join(out)


def mint(template: Template, base: str, subject: str | None, raw: dict[str, str]) -> str | None:
    def value(name: str) -> str | None:
        if name == "base":
            return base
        if name == "row":
            return subject
        text = raw.get(name)
        return quote(text, safe="") if text else None

    return render(template.parts, value)


def check(
    inventory: Inventory,
    mapping: Mapping,
    base: str,
    catalogue: Catalogue,
    existing: Callable[[set[str]], set[str]] = lambda iris: set(),
    tick: Callable[[int], object] = lambda rows: None,
) -> tuple[list[Row], list[InputError]]:
    """The rows as terms, and every error found. `existing` says which of some IRIs the
    store already holds (outside the batch), so a row may refer to one imported earlier.
    `tick` is told of each row checked (a progress bar)."""
    errors = list(inventory.errors)
    rows: list[Row] = []
    ids: dict[str, dict[str, Row]] = {name: {} for name in mapping.sheets}
    subjects: dict[str, Row] = {}
    unusable = set()  # sheets missing a required column: their ids are unknown
    for table in inventory.tables.values():
        sheet = mapping.sheets[table.sheet]
        if not _header_ok(table, sheet, errors):
            unusable.add(sheet.name)
            continue
        layout = _layout(table, sheet)
        for number, cells in table.rows:
            tick(1)
            row = _row(table, sheet, number, cells, (mapping, base, catalogue, layout), errors)
            if row is None:
                continue
            key = row.raw["id"][0]
            first, other = ids[sheet.name].get(key), subjects.get(row.subject.value)
            if first is not None or other is not None:
                clash = (
                    f"duplicate id (first in row {first.number})"
                    if first is not None
                    else f"names the IRI <{row.subject.value}> of row {other.number} of "
                    f"{other.label}"  # type: ignore[union-attr]
                )
                errors.append(InputError(table.label, number, "id", key, clash))
                continue
            ids[sheet.name][key] = row
            subjects[row.subject.value] = row
            rows.append(row)
    _resolve_references(rows, mapping, base, ids, existing, errors, unusable)
    return [row for row in rows if not row.failed], errors


def _header_ok(table: Table, sheet: Sheet, errors: list[InputError]) -> bool:
    """Reports unknown and repeated columns; False when a required column is missing (the
    rows cannot be checked then; with only unknown columns they still are)."""
    expected = ", ".join(sheet.columns)
    ok = True
    seen = set()
    for name in table.header:
        if name in seen:
            errors.append(InputError(table.label, 1, name, None, "the column appears twice"))
        seen.add(name)
        if name not in sheet.columns:
            shown = name or "(empty header)"
            errors.append(
                InputError(table.label, 1, shown, None, f"unknown column; expected: {expected}")
            )
    for column in sheet.columns.values():
        if column.required and column.name not in seen:
            errors.append(InputError(table.label, 1, column.name, None, "missing required column"))
            ok = False
    return ok


@dataclass
class _Layout:
    """Where a sheet's columns are in a table, and what a row's cells have already made."""

    positions: list[tuple[Column, int | None]]  # each column and its cell (the first one)
    subject: tuple[str, ...]  # the columns the row's IRI is made of
    known: dict[tuple[str, str], Term | str] = field(default_factory=dict)  # allowed values,
    # requirement codes: the term (or error) of a value already seen in the column


def _layout(table: Table, sheet: Sheet) -> _Layout:
    first: dict[str, int] = {}
    for index, name in enumerate(table.header):
        first.setdefault(name, index)
    positions = [(column, first.get(column.name)) for column in sheet.columns.values()]
    names = sheet.subject.placeholders | sheet.subject.optional
    return _Layout(positions, tuple(sorted(names)))


def _row(
    table: Table,
    sheet: Sheet,
    number: int,
    cells: list[str],
    context: tuple[Mapping, str, Catalogue, _Layout],
    errors: list[InputError],
) -> Row | None:
    mapping, base, catalogue, layout = context
    separator = mapping.separator
    raw: dict[str, list[str]] = {}
    failed = False
    for column, index in layout.positions:
        text = "" if index is None else cells[index]
        if not text:
            values = []
        elif column.multi:
            values = [v for v in (v.strip() for v in text.split(separator)) if v]
        else:
            values = [text]
        if column.required and not values:
            errors.append(InputError(table.label, number, column.name, None, "required, but empty"))
            failed = True
        raw[column.name] = values
    if not raw["id"]:
        return None
    iri = mint(sheet.subject, base, None, {k: raw[k][0] for k in layout.subject if raw.get(k)})
    if iri is None:
        errors.append(InputError(table.label, number, None, None, "the row's IRI cannot be made"))
        return None
    row = Row(sheet.name, table.label, number, ox.NamedNode(iri), raw, failed=failed)
    known = layout.known
    for column, _ in layout.positions:
        terms = []
        values = raw[column.name]
        if values and column.ref is not None:  # resolved later
            row.terms[column.name] = terms
            continue
        shared = column.values is not None or column.lookup is not None
        for value in values:
            if shared:
                term = known.get((column.name, value))
                if term is None:
                    term = known[column.name, value] = _term(column, value, row, base, catalogue)
            else:
                term = _term(column, value, row, base, catalogue)
            if isinstance(term, str):
                errors.append(InputError(table.label, number, column.name, value, term))
                row.failed = True
            elif term is not None:
                terms.append(term)
        row.terms[column.name] = terms
    return row


def _term(
    column: Column, value: str, row: Row, base: str, catalogue: Catalogue
) -> Term | str | None:
    """A cell value's term, or an error message; references are resolved later (None)."""
    if column.values is not None:
        found = column.values.get(" ".join(value.split()).casefold())
        if found is None:
            return f"not an allowed value; allowed: {', '.join(column.allowed())}"
        return found
    if column.lookup is not None:
        return catalogue.find(value, annex=column.lookup == "annex-iii")
    if column.node is not None:
        iri = render(
            column.node.iri.parts,
            lambda name: (
                base if name == "base" else row.subject.value if name == "row" else slug(value)
            ),
        )
        node = ox.NamedNode(iri or "")
        row.nodes.append((node, column.node.type, value))
        return node
    if column.ref is not None:
        return None
    return ox.Literal(value, language=column.lang) if column.lang else ox.Literal(value)


def _resolve_references(
    rows: list[Row],
    mapping: Mapping,
    base: str,
    ids: dict[str, dict[str, Row]],
    existing: Callable[[set[str]], set[str]],
    errors: list[InputError],
    unusable: set[str],
) -> None:
    """Reference columns: the IRI of the row with that id in the referenced sheet, or of an
    IRI the store already holds; anything else is an error naming the closest id."""
    missing: dict[str, str] = {}  # IRI -> id
    wanted: list[tuple[Row, Column, str, ox.NamedNode | str | None]] = []
    references = {
        name: [c for c in sheet.columns.values() if c.ref is not None and c.ref not in unusable]
        for name, sheet in mapping.sheets.items()
    }
    for row in rows:
        for column in references[row.sheet]:
            values = row.raw[column.name]
            if not values:
                continue
            assert column.ref is not None
            target, sheet_ids = mapping.sheets[column.ref], ids[column.ref]
            for value in values:
                found = sheet_ids.get(value)
                if found is not None:  # the referenced row's own term
                    row.terms[column.name].append(found.subject)
                    continue
                iri = mint(target.subject, base, None, {"id": value})
                if iri is not None:
                    missing[iri] = value
                wanted.append((row, column, value, iri))
    known = existing(set(missing)) if missing else set()
    for row, column, value, iri in wanted:
        if iri is None or iri not in known:
            pool = list(ids[column.ref or ""])
            closest = difflib.get_close_matches(value, pool, n=1)
            hint = f" (closest: {closest[0]})" if closest else ""
            sheet = column.ref
            errors.append(
                InputError(
                    row.label, row.number, column.name, value, f"no such id in {sheet}{hint}"
                )
            )
            row.failed = True
            continue
        row.terms.setdefault(column.name, []).append(ox.NamedNode(iri))
