"""`/gaps`: the gap report, grouped by system or by framework clause, with CSV export.

Validation runs once per app, not per request: `gap_index()` validates the store through
`stkg.validate`'s public API the first time a page needs it and keeps the result in
`app.extensions["stkg"]["gaps"]`. The cache is tied to the endpoint's graph list
(`stkg.web.sparql.store_graphs`), which an update through `/sparql` drops, so the next page
after an update validates again.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    jsonify,
    render_template,
    request,
    url_for,
)
from rdflib import Graph

from stkg.validate import SEVERITIES, ValidationReport, ValidationResult, validate
from stkg.web.cache import per_store_version
from stkg.web.tables import choice_arg, csv_response, paging, query_string
from stkg.web.terms import compact, describe, local_name, page_url

blueprint = Blueprint("gaps", __name__)

GROUPS = ("system", "requirement")
GROUP_ROWS = 20  # results shown per group; a longer group links to its own paged list
CSV_COLUMNS = (
    "system",
    "system_label",
    "focus_node",
    "severity",
    "shape",
    "message",
    "path",
    "value",
    "requirements",
    "frameworks",
)


@dataclass
class GapIndex:
    """One validation run, indexed the ways the explorer asks."""

    report: ValidationReport
    by_system: dict[str, list[ValidationResult]] = field(default_factory=dict)
    systems_by_shape: dict[str, set[str]] = field(default_factory=dict)
    systems_by_framework: dict[str, set[str]] = field(default_factory=dict)
    systems_by_requirement: dict[str, set[str]] = field(default_factory=dict)
    error: str | None = None  # why validation could not run; the pages then show no gaps

    @classmethod
    def build(cls, report: ValidationReport) -> GapIndex:
        index = cls(report)
        by_system: dict[str, list[ValidationResult]] = defaultdict(list)
        shapes, frameworks, requirements = defaultdict(set), defaultdict(set), defaultdict(set)
        for result in report.results:
            for system in result.systems:
                by_system[system].append(result)
                shapes[result.source_shape].add(system)
                for req in result.requirements:
                    requirements[req.iri].add(system)
                    if req.framework:
                        frameworks[req.framework].add(system)
        index.by_system = dict(by_system)
        index.systems_by_shape = dict(shapes)
        index.systems_by_framework = dict(frameworks)
        index.systems_by_requirement = dict(requirements)
        return index

    def label(self, iri: str) -> str:
        return self.report.labels.get(iri) or compact(iri)


def gap_index() -> GapIndex:
    """The app's validation results, computed on first use and after each store update."""
    return per_store_version("gaps", _validated)


def _validated() -> GapIndex:
    """Validation of whatever the store holds. Validation reads every value of the data, and
    data nobody checked can hold what it does not expect (a blank node typed as a system);
    then every page that counts gaps would fail. Instead the failure is logged with its
    traceback, and the pages say that validation could not run and show no gaps."""
    try:
        return GapIndex.build(validate(current_app.extensions["stkg"]["store"]))
    except Exception as error:
        current_app.logger.exception("validation failed; the explorer shows no gaps")
        empty = ValidationReport(conforms=False, results=[], graph=Graph())
        return GapIndex(empty, error=f"{type(error).__name__}: {error}")


def result_dict(result: ValidationResult, index: GapIndex) -> dict[str, Any]:
    return {
        "systems": [{"iri": s, "label": index.label(s)} for s in result.systems],
        "focus_node": result.focus_node,
        "focus_label": index.label(result.focus_node),
        "severity": result.severity,
        "shape": result.source_shape,
        "shape_name": local_name(result.source_shape),
        "message": result.message,
        "path": result.path,
        "value": result.value,
        "requirements": [
            {
                "iri": r.iri,
                "framework": r.framework,
                "notation": r.notation,
                "url": page_url(r.iri, "requirement", r.framework),
            }
            for r in result.requirements
        ],
    }


def _selected(result: ValidationResult, filters: dict[str, str]) -> bool:
    if filters.get("severity") and result.severity != filters["severity"]:
        return False
    if filters.get("shape") and result.source_shape != filters["shape"]:
        return False
    if filters.get("system") and filters["system"] not in result.systems:
        return False
    reqs = result.requirements
    if filters.get("framework") and all(r.framework != filters["framework"] for r in reqs):
        return False
    return not (filters.get("requirement") and all(r.iri != filters["requirement"] for r in reqs))


def gap_filters() -> dict[str, str]:
    names = ("severity", "shape", "system", "framework", "requirement")
    return {n: request.args.get(n, "").strip() for n in names if request.args.get(n, "").strip()}


def gaps_data(group: str = "system", filters: dict[str, str] | None = None) -> dict[str, Any]:
    """The gap report: results matching `filters`, grouped by system or by requirement
    (framework clause), one page of groups at a time."""
    filters = filters or {}
    index = gap_index()
    results = [r for r in index.report.results if _selected(r, filters)]
    groups: dict[str, list[ValidationResult]] = defaultdict(list)
    for result in results:
        if group == "system":
            for key in result.systems or (result.focus_node,):
                groups[key].append(result)
        else:
            for req in result.requirements or ():
                if not filters.get("framework") or req.framework == filters["framework"]:
                    groups[req.iri].append(result)
    keys = sorted(groups, key=lambda k: _group_sort(k, groups[k], group, index))
    page = paging()
    shown = keys[page.offset : page.offset + page.per_page]
    info = describe(
        [*shown, *{r.framework for k in shown for x in groups[k] for r in x.requirements}]
    )

    def limit(key: str) -> int:
        """A group's rows on the page: all when the filters pick that one system or clause;
        else `GROUP_ROWS`, and the group links to its own list (by system, which pages)."""
        return len(groups[key]) if filters.get(group) == key else GROUP_ROWS

    counts = {s: 0 for s in SEVERITIES}
    for result in results:
        counts[result.severity] = counts.get(result.severity, 0) + 1
    return {
        "group": group,
        "validation_error": index.error,
        "filters": filters,
        "counts": counts,
        "results": len(results),
        "paging": page.info(len(keys)),
        "groups": [
            {
                "iri": key,
                "label": info[key].label if key in info else index.label(key),
                "notation": info[key].notation if key in info else None,
                "url": info[key].url if key in info else None,
                "total": len(groups[key]),
                "results": [result_dict(r, index) for r in groups[key][: limit(key)]],
                "more": (
                    url_for("gaps.gaps_page", **{**filters, group: key})
                    if len(groups[key]) > limit(key)
                    else None
                ),
            }
            for key in shown
        ],
        "frameworks": {iri: t.label for iri, t in info.items() if t.kind == "framework"},
        "facets": _facets(index),
    }


def _group_sort(key: str, results: list[ValidationResult], group: str, index: GapIndex):
    if group == "system":
        return (index.label(key).lower(), key)
    notation = next((r.notation for x in results for r in x.requirements if r.iri == key), "")
    framework = next((r.framework for x in results for r in x.requirements if r.iri == key), "")
    return (framework or "", _natural(notation or key))


def _natural(text: str) -> tuple:
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"(\d+)", text))


def _facets(index: GapIndex) -> dict[str, list[dict[str, Any]]]:
    """Choices for the filter form: shapes and frameworks that have results."""
    frameworks = describe(index.systems_by_framework)
    return {
        "severity": [{"value": s, "label": s} for s in SEVERITIES],
        "shape": [
            {"value": s, "label": local_name(s), "systems": len(v)}
            for s, v in sorted(index.systems_by_shape.items(), key=lambda i: local_name(i[0]))
        ],
        "framework": [
            {"value": f, "label": frameworks[f].label, "systems": len(v)}
            for f, v in sorted(index.systems_by_framework.items())
        ],
    }


def csv_rows(filters: dict[str, str]) -> list[dict[str, Any]]:
    """One row per result and system: the same results as the page, unpaged."""
    index = gap_index()
    rows = []
    for result in index.report.results:
        if not _selected(result, filters):
            continue
        for system in result.systems or ("",):
            rows.append(
                {
                    "system": system,
                    "system_label": index.label(system) if system else "",
                    "focus_node": result.focus_node,
                    "severity": result.severity,
                    "shape": compact(result.source_shape),
                    "message": result.message,
                    "path": compact(result.path) if result.path else "",
                    "value": result.value,
                    "requirements": [r.notation or r.iri for r in result.requirements],
                    "frameworks": sorted({r.framework or "" for r in result.requirements}),
                }
            )
    return rows


@blueprint.get("/gaps")
def gaps_page() -> str:
    data = gaps_data(choice_arg("group", GROUPS, "system"), gap_filters())
    return render_template("gaps.html", data=data, args=request.args, query_string=query_string)


@blueprint.get("/gaps.json")
def gaps_json() -> Response:
    return jsonify(gaps_data(choice_arg("group", GROUPS, "system"), gap_filters()))


@blueprint.get("/gaps.csv")
def gaps_csv() -> Response:
    return csv_response("gaps.csv", CSV_COLUMNS, csv_rows(gap_filters()))
