"""The blank inventory template a mapping describes: one CSV file per sheet (the header only)
and one `.xlsx` workbook with the same sheets and a sheet `about` explaining every column."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path

from stkg.inventory.mapping import Column, Mapping
from stkg.inventory.read import EXPLANATION_SHEET

WORKBOOK = "inventory.xlsx"
ABOUT_COLUMNS = ("sheet", "column", "required", "values", "meaning", "example")


def explain(column: Column, separator: str) -> str:
    """What a cell of the column may hold, in words."""
    parts = []
    if column.values is not None:
        parts.append("one of: " + ", ".join(column.allowed()))
    elif column.ref is not None:
        parts.append(f"ids of {column.ref}")
    elif column.lookup == "requirement":
        parts.append("requirement codes (e.g. GOVERN 1.1, A.6.2.6, Art. 14)")
    elif column.lookup == "annex-iii":
        parts.append("EU AI Act Annex III points (e.g. 5(b) or III.5(b))")
    else:
        parts.append("text")
    if column.multi:
        parts.append(f"several separated by '{separator}'")
    return "; ".join(parts)


def about_rows(mapping: Mapping) -> list[tuple[str, ...]]:
    return [
        (
            sheet.name,
            column.name,
            "yes" if column.required else "",
            explain(column, mapping.separator),
            column.description,
            column.example,
        )
        for sheet in mapping.sheets.values()
        for column in sheet.columns.values()
    ]


def csv_text(header: Sequence[str], rows: Sequence[Sequence[str]] = ()) -> str:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def write_workbook(
    path: Path, mapping: Mapping, rows: dict[str, list[list[str]]] | None = None
) -> None:
    """The workbook: one sheet per mapping sheet (header, then `rows` if given), and `about`."""
    import openpyxl
    from openpyxl.styles import Font

    book = openpyxl.Workbook()
    about = book.active
    about.title = EXPLANATION_SHEET
    about.append(ABOUT_COLUMNS)
    for row in about_rows(mapping):
        about.append(row)
    for sheet in mapping.sheets.values():
        page = book.create_sheet(sheet.name)
        page.append(list(sheet.columns))
        for row in (rows or {}).get(sheet.name, []):
            page.append(row)
        for cell in page[1]:
            cell.font = Font(bold=True)
        page.freeze_panes = "A2"
    for cell in about[1]:
        cell.font = Font(bold=True)
    book.save(path)


def write_template(folder: Path, mapping: Mapping) -> list[Path]:
    """Blank CSV files and the workbook; the files written."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for sheet in mapping.sheets.values():
        path = folder / f"{sheet.name}.csv"
        path.write_text(csv_text(list(sheet.columns)), encoding="utf-8")
        written.append(path)
    workbook = folder / WORKBOOK
    write_workbook(workbook, mapping)
    written.append(workbook)
    return written
