"""The formats of a statement of applicability: HTML, CSV, XLSX and Markdown, each a
rendering of `stkg.soa.soa_data`'s dict. A dict registry, so the CLI and the web page offer
exactly what is here; `MEDIA_TYPES` and `SUFFIXES` are what a download is served as."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
COLUMNS = (
    ("requirement", "Requirement"),
    ("title", "Title"),
    ("applies", "Applies"),
    ("why", "Why"),
    ("status", "Implementation"),
    ("controls", "Controls implementing it"),
    ("evidence", "Evidence"),
    ("failing_systems", "Systems failing it"),
    ("iri", "IRI"),
)


def rows(data: dict[str, Any]) -> list[dict[str, str]]:
    """One flat row per requirement: what CSV, XLSX and Markdown show."""
    out = []
    for e in data["requirements"]:
        evidence = [f"{x['label']} ({x['control']})" for x in e["evidence"]]
        if e["controls"] and not evidence:
            evidence = ["none recorded"]
        systems = [f"{s['label']}: {', '.join(s['shapes'])}" for s in e["failing_systems"]]
        out.append(
            {
                "requirement": e["notation"],
                "title": e["label"] if e["label"] != e["notation"] else "",
                "applies": e["applies"],
                "why": e["why"],
                "status": e["status"],
                "controls": "; ".join(c["label"] for c in e["controls"]),
                "evidence": "; ".join(evidence),
                "failing_systems": "; ".join(systems),
                "iri": e["iri"],
            }
        )
    return out


def _summary(data: dict[str, Any]) -> str:
    c = data["counts"]
    return (
        f"{c['requirements']} requirements: {c['yes']} apply, {c['no']} excluded, "
        f"{c['to decide']} to decide; {c['implemented']} implemented, "
        f"{c['implemented, with gaps']} implemented with gaps, "
        f"{c['not implemented']} not implemented"
    )


def _cell(text: object) -> str:
    return " ".join(str(text or "").split()).replace("|", "\\|")


def to_markdown(data: dict[str, Any]) -> str:
    lines = [
        f"# Statement of applicability: {data['framework']['label']}",
        "",
        _summary(data) + ".",
        "",
        "| " + " | ".join(title for key, title in COLUMNS if key != "iri") + " |",
        "|" + "---|" * (len(COLUMNS) - 1),
    ]
    for row in rows(data):
        cells = [
            f"[{_cell(row['requirement'])}]({row['iri']})"
            if key == "requirement"
            else _cell(row[key])
            for key, _ in COLUMNS
            if key != "iri"
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def to_csv(data: dict[str, Any]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([key for key, _ in COLUMNS])
    for row in rows(data):
        writer.writerow([row[key] for key, _ in COLUMNS])
    return out.getvalue()


def to_xlsx(data: dict[str, Any]) -> bytes:
    """A workbook with the statement on one sheet, headers frozen, long text wrapped."""
    from openpyxl import Workbook  # imported here: the other formats do not need it
    from openpyxl.styles import Alignment, Font

    book = Workbook()
    sheet = book.active
    sheet.title = "Statement of applicability"
    sheet.append([f"Statement of applicability: {data['framework']['label']}"])
    sheet.append([_summary(data)])
    sheet.append([title for _, title in COLUMNS])
    for cell in sheet[3]:
        cell.font = Font(bold=True)
    for row in rows(data):
        sheet.append([row[key] for key, _ in COLUMNS])
    sheet.freeze_panes = "B4"
    widths = {"requirement": 14, "title": 40, "applies": 10, "why": 50, "status": 22}
    for index, (key, _) in enumerate(COLUMNS, start=1):
        letter = sheet.cell(row=3, column=index).column_letter
        sheet.column_dimensions[letter].width = widths.get(key, 40)
    for line in sheet.iter_rows(min_row=4):
        for cell in line:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def to_html(data: dict[str, Any], *, page: str = "report/soa.html", **context: Any) -> str:
    """A self-contained page (styles inline, no scripts). The web app renders the body only
    (`page`), with `link` (IRI -> URL: its own resource pages) and `limit` (systems shown)."""
    context.setdefault("link", lambda iri: iri)
    context.setdefault("limit", None)
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env.get_template(page).render(data=data, summary=_summary(data), **context)


FORMATS: dict[str, Callable[[dict[str, Any]], str | bytes]] = {
    "html": to_html,
    "csv": to_csv,
    "xlsx": to_xlsx,
    "markdown": to_markdown,
}
MEDIA_TYPES = {
    "html": "text/html; charset=utf-8",
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "markdown": "text/markdown; charset=utf-8",
}
SUFFIXES = {"html": "html", "csv": "csv", "xlsx": "xlsx", "markdown": "md"}
