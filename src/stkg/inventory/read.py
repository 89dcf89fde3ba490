"""Reading an inventory: a folder of CSV files, single CSV files, or `.xlsx` workbooks, each
file or sheet named after a sheet of the mapping (`systems.csv`, the sheet `systems`).

What comes out is text only: a `Table` per sheet with its header and its rows, numbered as a
spreadsheet numbers them (the header is row 1). Nothing is interpreted here; `check` does that.
"""

from __future__ import annotations

import csv
import datetime
import hashlib
import io
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from stkg.inventory.mapping import Mapping

EXPLANATION_SHEET = "about"  # the template workbook's sheet explaining each column


@dataclass(frozen=True)
class InputError:
    """One problem in the input, where a spreadsheet user would look for it."""

    file: str
    row: int | None
    column: str | None
    value: str | None
    message: str

    def __str__(self) -> str:
        where = self.file if self.row is None else f"{self.file}:{self.row}"
        what = ""
        if self.column is not None:
            what = f" column {self.column}"
            if self.value is not None:
                what += f" {self.value!r}"
            what += ":"
        return f"{where}:{what} {self.message}"

    def as_dict(self) -> dict[str, object]:
        return {
            "file": self.file,
            "row": self.row,
            "column": self.column,
            "value": self.value,
            "message": self.message,
        }


@dataclass
class SourceFile:
    """A file read, for the provenance record."""

    path: Path
    label: str
    sha256: str


@dataclass
class Table:
    sheet: str
    label: str  # how errors name it: `inv/systems.csv`, `inv.xlsx[systems]`
    header: list[str]  # normalised names (lower case, `_` for spaces and hyphens)
    rows: list[tuple[int, list[str]]] = field(default_factory=list)


@dataclass
class Inventory:
    tables: dict[str, Table]
    files: list[SourceFile]
    errors: list[InputError]

    def row_count(self) -> int:
        return sum(len(t.rows) for t in self.tables.values())


def column_name(header: str) -> str:
    return "_".join(header.strip().lower().replace("-", " ").split())


def read_inventory(paths: Sequence[Path], mapping: Mapping) -> Inventory:
    """Every table of the files given; problems that stop a file being read are errors."""
    inventory = Inventory({}, [], [])
    for path in paths:
        if path.is_dir():
            # a folder is CSV files (a workbook beside them, as `--template` writes one, is
            # imported by naming it)
            found = sorted(p for p in path.iterdir() if p.suffix.lower() == ".csv" and p.is_file())
            if not found:
                inventory.errors.append(
                    InputError(
                        str(path), None, None, None, _expected("no inventory files", mapping)
                    )
                )
            for file in found:
                _read_file(file, str(file), mapping, inventory)
        elif not path.exists():
            inventory.errors.append(InputError(str(path), None, None, None, "no such file"))
        else:
            _read_file(path, str(path), mapping, inventory)
    return inventory


def _expected(what: str, mapping: Mapping) -> str:
    names = ", ".join(f"{s}.csv" for s in mapping.sheets)
    return f"{what}; expected {names} or an .xlsx workbook with those sheets"


def _add(inventory: Inventory, table: Table) -> None:
    if table.sheet in inventory.tables:
        first = inventory.tables[table.sheet].label
        inventory.errors.append(
            InputError(table.label, None, None, None, f"sheet {table.sheet} is also in {first}")
        )
        return
    inventory.tables[table.sheet] = table


def _read_file(path: Path, label: str, mapping: Mapping, inventory: Inventory) -> None:
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        inventory.errors.append(
            InputError(label, None, None, None, _expected("not a .csv or .xlsx file", mapping))
        )
        return
    data = path.read_bytes()
    inventory.files.append(SourceFile(path, label, hashlib.sha256(data).hexdigest()))
    if suffix == ".xlsx":
        _read_workbook(data, label, mapping, inventory)
        return
    sheet = path.stem.lower()
    if sheet not in mapping.sheets:
        inventory.errors.append(
            InputError(
                label, None, None, None, _expected(f"no sheet is named {path.stem!r}", mapping)
            )
        )
        return
    table = read_csv(data, label, sheet, inventory.errors)
    if table is not None:
        _add(inventory, table)


def read_csv(data: bytes, label: str, sheet: str, errors: list[InputError]) -> Table | None:
    """A CSV file in UTF-8 (a byte-order mark, as Excel writes it, is allowed)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        errors.append(
            InputError(
                label,
                line,
                None,
                None,
                f"not UTF-8 (byte 0x{data[error.start]:02x}); save the file as "
                "'CSV UTF-8' or convert it, e.g. iconv -f latin1 -t utf-8",
            )
        )
        return None
    try:
        records = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as error:
        errors.append(InputError(label, None, None, None, f"not a CSV file: {error}"))
        return None
    return _table(sheet, label, [(i + 1, record) for i, record in enumerate(records)], errors)


def _read_workbook(data: bytes, label: str, mapping: Mapping, inventory: Inventory) -> None:
    import openpyxl  # imported when a workbook is read: it costs 0.2 s to import

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as error:
        inventory.errors.append(
            InputError(label, None, None, None, f"not an .xlsx workbook: {error}")
        )
        return
    try:
        for sheet in book.worksheets:
            name = sheet.title.strip().lower()
            where = f"{label}[{sheet.title}]"
            if name == EXPLANATION_SHEET:
                continue
            if name not in mapping.sheets:
                inventory.errors.append(
                    InputError(where, None, None, None, _expected("unknown sheet", mapping))
                )
                continue
            rows = [
                (number, [_cell_text(v) for v in values])
                for number, values in enumerate(sheet.iter_rows(values_only=True), start=1)
            ]
            table = _table(name, where, rows, inventory.errors)
            if table is not None:
                _add(inventory, table)
    finally:
        book.close()


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime.datetime) and value.time() == datetime.time():
        return value.date().isoformat()
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    return str(value)


def _table(
    sheet: str, label: str, rows: list[tuple[int, list[str]]], errors: list[InputError]
) -> Table | None:
    rows = [(n, [c.strip() for c in cells]) for n, cells in rows]
    rows = [(n, cells) for n, cells in rows if any(cells)]  # blank lines are not rows
    if not rows:
        errors.append(InputError(label, None, None, None, "empty: no header row"))
        return None
    (_, header), *body = rows
    names = [column_name(h) for h in header]
    while names and not names[-1]:  # trailing empty header cells (spreadsheet padding)
        names.pop()
    table = Table(sheet, label, names)
    for number, cells in body:
        extra = cells[len(names) :]
        if any(extra):
            errors.append(
                InputError(
                    label,
                    number,
                    None,
                    None,
                    f"{len(cells)} cells, but the header has {len(names)}",
                )
            )
            continue
        table.rows.append((number, cells[: len(names)] + [""] * (len(names) - len(cells))))
    return table
