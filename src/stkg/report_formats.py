"""The formats of a gap report: Markdown, self-contained HTML, CSV and JSON.

Each renders the dict of `stkg.report.report_data`; a dict registry, so the CLI offers
exactly what is here.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from stkg.report import ELEMENT_NAMES

TEMPLATES = Path(__file__).parent / "templates"
SYSTEM_COLUMNS = (
    "system",
    "system_label",
    "tiers",
    "severity",
    "focus_node",
    "focus_label",
    "message",
    "shape",
    "path",
    "requirements",
    "requirement_iris",
)
FRAMEWORK_COLUMNS = (
    "framework",
    "requirement",
    "notation",
    "system",
    "system_label",
    "link",
    "via",
    "relationship",
    "mapping",
    "severity",
    "message",
    "shape",
)


def _cell(text: object) -> str:
    """Markdown table cell: one line, pipes escaped."""
    return " ".join(str(text or "").split()).replace("|", "\\|")


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{n} {s}{'s' if n != 1 else ''}" for s, n in counts.items() if n) or "none"


def _requirements(result: dict[str, Any]) -> str:
    return ", ".join(
        f"[{q['notation']}]({q['iri']})"
        + (f" ({q['framework_label']})" if q.get("framework_label") else "")
        for q in result["requirements"]
    )


def to_markdown(data: dict[str, Any]) -> str:
    return _markdown_systems(data) if data["by"] == "system" else _markdown_frameworks(data)


def _markdown_systems(data: dict[str, Any]) -> str:
    lines = [
        "# Gap report by system",
        "",
        f"{len(data['systems'])} of {data['total']} systems; results: {_counts(data['counts'])}.",
    ]
    for s in data["systems"]:
        tiers = ", ".join(t["label"] for t in s["tiers"]) or "not classified"
        lines += ["", f"## {_cell(s['label'])}", "", f"<{s['iri']}> · EU AI Act: {tiers}", ""]
        lines += ["| element | relation | value |", "|---|---|---|"]
        for name in ELEMENT_NAMES:
            values = s["elements"].get(name, [])
            if not values:
                lines.append(f"| {name} | | **none recorded** |")
            for v in values:
                lines.append(f"| {name} | {_cell(v['relation'])} | {_cell(v['label'])} |")
        lines += ["", f"### What is missing ({_counts(s['counts'])})", ""]
        if not s["missing"]:
            lines.append("Nothing: the system conforms to every shape.")
            continue
        lines += ["| severity | about | what is missing | requirements |", "|---|---|---|---|"]
        for r in s["missing"]:
            lines.append(
                f"| {r['severity']} | {_cell(r['focus_node']['label'])} | {_cell(r['message'])} "
                f"| {_cell(_requirements(r))} |"
            )
    return "\n".join(lines) + "\n"


def _systems_text(entries: list[dict[str, Any]]) -> str:
    return ", ".join(f"{e['label']} ({e['severity']})" for e in entries)


def _markdown_frameworks(data: dict[str, Any]) -> str:
    lines = ["# Gap report by framework clause", ""]
    lines.append(f"All results: {_counts(data['counts'])}.")
    for fw in data["frameworks"]:
        lines += ["", f"## {_cell(fw['label'])}", "", f"<{fw['iri']}>"]
        for req in fw["requirements"]:
            lines += ["", f"### [{req['notation']}]({req['iri']}) — {_cell(req['label'])}", ""]
            if req["direct"]:
                lines += [
                    f"Fails a shape that operationalises it: {req['failing_systems']} systems.",
                    "",
                    "| system | severity | what is missing | shape |",
                    "|---|---|---|---|",
                ]
                for e in req["direct"]:
                    lines.append(
                        f"| {_cell(e['label'])} | {e['severity']} | {_cell(e['message'])} "
                        f"| `{e['shape'].rsplit('#', 1)[-1]}` |"
                    )
            else:
                lines.append("No shape that operationalises it reports a gap.")
            if req["through_crosswalk"]:
                lines += ["", "Through crosswalks:", ""]
                for c in req["through_crosswalk"]:
                    lines.append(
                        f"- **{c['effect']}** via [{c['via']['notation']}]({c['via']['iri']}) "
                        f"→ [mapping]({c['mapping']}) → {req['notation']}: "
                        f"{_cell(c['explanation'])} Systems: {_cell(_systems_text(c['systems']))}."
                    )
    return "\n".join(lines) + "\n"


def to_csv(data: dict[str, Any]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    if data["by"] == "system":
        writer.writerow(SYSTEM_COLUMNS)
        for s in data["systems"]:
            tiers = " ".join(t["iri"] for t in s["tiers"])
            for r in s["missing"]:
                writer.writerow(
                    [
                        s["iri"],
                        s["label"],
                        tiers,
                        r["severity"],
                        r["focus_node"]["iri"],
                        r["focus_node"]["label"],
                        r["message"],
                        r["shape"],
                        r["path"] or "",
                        "; ".join(q["notation"] for q in r["requirements"]),
                        " ".join(q["iri"] for q in r["requirements"]),
                    ]
                )
        return out.getvalue()
    writer.writerow(FRAMEWORK_COLUMNS)
    for fw in data["frameworks"]:
        for req in fw["requirements"]:
            head = [fw["iri"], req["iri"], req["notation"]]
            for e in req["direct"]:
                writer.writerow(
                    [*head, e["iri"], e["label"], "direct", "", "", "", e["severity"],
                     e["message"], e["shape"]]
                )  # fmt: skip
            for c in req["through_crosswalk"]:
                for e in c["systems"]:
                    writer.writerow(
                        [*head, e["iri"], e["label"], c["effect"], c["via"]["notation"],
                         c["relationship"], c["mapping"], e["severity"], e["message"], e["shape"]]
                    )  # fmt: skip
    return out.getvalue()


def to_html(data: dict[str, Any]) -> str:
    """A self-contained page: styles inline, no scripts, no remote resources."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    name = "report/system.html" if data["by"] == "system" else "report/framework.html"
    return env.get_template(name).render(data=data, elements=ELEMENT_NAMES, counts=_counts)


def to_json(data: dict[str, Any]) -> str:
    """The data itself: what `/gaps.json` is built from too (`stkg.gap_index`)."""
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


FORMATS: dict[str, Callable[[dict[str, Any]], str]] = {
    "markdown": to_markdown,
    "json": to_json,
    "html": to_html,
    "csv": to_csv,
}
