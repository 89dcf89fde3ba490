"""`/gaps`: the gap report, grouped by system or by framework clause, with CSV export.

Validation runs once per app, not per request: `gap_index()` validates the store through
`stkg.validate`'s public API the first time a page needs it and keeps the result in
the app's caches (`stkg.web.state.Caches`), which a write through the app moves to a new
store version, so the next page after a write validates again. The index is
`stkg.gap_index.GapIndex`, the one `stkg report` builds its report from.
"""

from __future__ import annotations

from collections import Counter, defaultdict
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

from stkg.gap_index import SEVERITY_RANK, GapIndex, priority, severity_counts
from stkg.validate import SEVERITIES, ValidationReport, ValidationResult, validate
from stkg.web.classification import TIER_BASE, TIERS
from stkg.web.state import state
from stkg.web.tables import choice_arg, csv_response, paging, query_string
from stkg.web.terms import (
    compact,
    describe,
    local_name,
    page_url,
    requirement_order,
    words_for,
)

blueprint = Blueprint("gaps", __name__)

GROUPS = ("system", "requirement")
SORTS = ("priority", "name")  # worst first, or by name (systems) and framework order (clauses)
VIEWS = ("list", "matrix")
HIGH_RISK_NAME = "high-risk"  # the `tier` filter for both high-risk routes
HIGH_RISK = {TIER_BASE + "high-risk-annex-i", TIER_BASE + "high-risk-annex-iii"}
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


def gap_index() -> GapIndex:
    """The app's validation results, computed on first use and after each store update."""
    return state().caches.get("gaps", _validated, pending=_no_gaps_yet)


def _no_gaps_yet() -> GapIndex:
    """What the pages show while validation runs: no results, and the note that says so."""
    return GapIndex(ValidationReport(conforms=True, results=[], graph=Graph()))


def _validated() -> GapIndex:
    """Validation of whatever the store holds. Validation reads every value of the data, and
    data nobody checked can hold what it does not expect (a blank node typed as a system);
    then every page that counts gaps would fail. Instead the failure is logged with its
    traceback, and the pages say that validation could not run and show no gaps."""
    try:
        return GapIndex.build(validate(state().store), state().store)
    except Exception as error:
        current_app.logger.exception("validation failed; the explorer shows no gaps")
        empty = ValidationReport(conforms=False, results=[], graph=Graph())
        return GapIndex(empty, error=f"{type(error).__name__}: {error}")


def result_dict(
    result: ValidationResult, index: GapIndex, words: dict[str, str] | None = None
) -> dict[str, Any]:
    """One result for a page: its message in words (`words`, from `terms.words_for`: the
    IRIs and prefixed names in it replaced by labels), its gap type by title."""
    return {
        "systems": [{"iri": s, "label": index.label(s)} for s in result.systems],
        "focus_node": result.focus_node,
        "focus_label": index.label(result.focus_node),
        "severity": result.severity,
        "shape": result.source_shape,
        "shape_name": local_name(result.source_shape),
        "shape_title": index.title(result.source_shape),
        "message": (words or {}).get(result.message, result.message),
        "message_source": result.message,
        "path": result.path,
        "value": result.value,
        "requirements": [requirement_ref(r, index) for r in result.requirements],
    }


def requirement_ref(ref: Any, index: GapIndex) -> dict[str, Any]:
    return {
        "iri": ref.iri,
        "framework": ref.framework,
        "notation": ref.notation,
        "label": index.label(ref.iri),  # the title, shown on hover beside the code
        "url": page_url(ref.iri, "requirement", ref.framework),
    }


def _selected(result: ValidationResult, filters: dict[str, str], tiered: set | None) -> bool:
    if filters.get("severity") and result.severity != filters["severity"]:
        return False
    if filters.get("shape") and result.source_shape != filters["shape"]:
        return False
    if filters.get("system") and filters["system"] not in result.systems:
        return False
    if tiered is not None and not tiered.intersection(result.systems):
        return False
    reqs = result.requirements
    if filters.get("framework") and all(r.framework != filters["framework"] for r in reqs):
        return False
    return not (filters.get("requirement") and all(r.iri != filters["requirement"] for r in reqs))


def gap_filters() -> dict[str, str]:
    names = ("severity", "shape", "system", "framework", "requirement", "tier")
    return {n: request.args.get(n, "").strip() for n in names if request.args.get(n, "").strip()}


def systems_in_tier(tier: str) -> set[str]:
    """Systems of an EU AI Act tier (an IRI), or of either high-risk route (`high-risk`)."""
    from stkg.web.portfolio import portfolio_index  # the portfolio index needs the tiers

    def build() -> set[str]:
        wanted = HIGH_RISK if tier == HIGH_RISK_NAME else {tier}
        return {r.system for r in portfolio_index().rows if wanted.intersection(r.tier)}

    portfolio_index()  # first: it may derive the tiers, which makes a new store version
    if tier != HIGH_RISK_NAME and tier not in TIERS:  # kept only for the known tiers: a
        return build()  # URL must not add cache entries without bound
    return state().caches.get(f"tier {tier}", build)


def selected_results(filters: dict[str, str]) -> list[ValidationResult]:
    tiered = systems_in_tier(filters["tier"]) if filters.get("tier") else None
    return [r for r in gap_index().report.results if _selected(r, filters, tiered)]


def gaps_data(
    group: str = "system",
    filters: dict[str, str] | None = None,
    sort: str = "priority",
    view: str = "list",
) -> dict[str, Any]:
    """The gap report: results matching `filters`, grouped by system or by requirement
    (framework clause), worst first (`sort="priority"`) or by name and framework order,
    one page of groups at a time; `view="matrix"` adds a group × gap-type matrix."""
    filters = filters or {}
    index = gap_index()
    results = selected_results(filters)
    groups: dict[str, list[ValidationResult]] = defaultdict(list)
    for result in results:
        if group == "system":
            for key in result.systems or (result.focus_node,):
                groups[key].append(result)
        else:
            for req in result.requirements or ():
                if not filters.get("framework") or req.framework == filters["framework"]:
                    groups[req.iri].append(result)
    if group == "system" and sort == "priority" and not filters:
        keys = [k for k in index.worst_first() if k in groups]
        keys += sorted(set(groups) - set(keys))  # results about no system, by focus node
    else:
        keys = sorted(groups, key=lambda k: _group_sort(k, groups[k], group, index))
        if sort == "priority":
            keys.sort(key=lambda k: priority(groups[k]))  # stable: ties keep name order
    page = paging()
    shown = keys[page.offset : page.offset + page.per_page]
    info = describe(
        [*shown, *{r.framework for k in shown for x in groups[k] for r in x.requirements}]
    )

    def limit(key: str) -> int:
        """A group's rows on the page: all when the filters pick that one system or clause;
        else `GROUP_ROWS`, and the group links to its own list (by system, which pages)."""
        return len(groups[key]) if filters.get(group) == key else GROUP_ROWS

    words = words_for(r.message for key in shown for r in groups[key][: limit(key)])
    data = {
        "group": group,
        "sort": sort,
        "view": view,
        "validation_error": index.error,
        "filters": filters,
        "filter_labels": _filter_labels(filters, index),
        "counts": severity_counts(results),
        "results": len(results),
        "paging": page.info(len(keys)),
        "groups": [
            {
                "iri": key,
                "label": info[key].label if key in info else index.label(key),
                "notation": info[key].notation if key in info else None,
                "url": info[key].url if key in info else None,
                "total": len(groups[key]),
                "severities": severity_counts(groups[key]),
                "results": [result_dict(r, index, words) for r in groups[key][: limit(key)]],
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
    if view == "matrix":
        data["matrix"] = _matrix(shown, groups, index)
    return data


def _matrix(
    keys: list[str], groups: dict[str, list[ValidationResult]], index: GapIndex
) -> dict[str, Any]:
    """Rows (the page's groups) × gap types: each cell the worst severity of that type's
    results in the row, and how many; columns ordered by how many rows have them."""
    cells: dict[str, dict[str, dict[str, Any]]] = {}
    columns: Counter[str] = Counter()
    for key in keys:
        row: dict[str, dict[str, Any]] = {}
        for result in groups[key]:
            cell = row.setdefault(result.source_shape, {"count": 0, "severity": result.severity})
            cell["count"] += 1
            if SEVERITY_RANK.get(result.severity, 9) < SEVERITY_RANK.get(cell["severity"], 9):
                cell["severity"] = result.severity
        columns.update(row.keys())
        cells[key] = row
    order = sorted(columns, key=lambda s: (-columns[s], index.title(s)))
    return {
        "columns": [{"shape": s, "title": index.title(s), "rows": columns[s]} for s in order],
        "rows": [{"iri": k, "cells": [cells[k].get(s) for s in order]} for k in keys],
    }


def _filter_labels(filters: dict[str, str], index: GapIndex) -> dict[str, str]:
    """What each filter picks, in words, for the page's "only the gaps of …" line."""
    named = ("system", "requirement", "framework", "tier")
    known = describe(v for n, v in filters.items() if n in named and v != HIGH_RISK_NAME)
    out = {}
    for name, value in filters.items():
        if name == "tier" and value == HIGH_RISK_NAME:
            out[name] = "high-risk systems"
        elif name == "shape":
            out[name] = index.title(value)
        elif value in known:
            info = known[value]
            out[name] = f"{info.notation} {info.label}" if info.notation else info.label
        else:
            out[name] = value
    return out


def _group_sort(key: str, results: list[ValidationResult], group: str, index: GapIndex):
    if group == "system":
        return (index.label(key).lower(), key)
    notation = next((r.notation for x in results for r in x.requirements if r.iri == key), "")
    framework = next((r.framework for x in results for r in x.requirements if r.iri == key), "")
    return (framework or "", requirement_order(notation or key))


def _facets(index: GapIndex) -> dict[str, list[dict[str, Any]]]:
    """Choices for the filter form: shapes and frameworks that have results."""
    frameworks = describe(index.systems_by_framework)
    return {
        "severity": [{"value": s, "label": s} for s in SEVERITIES],
        "shape": [
            {"value": s, "label": index.title(s), "systems": len(v)}
            for s, v in sorted(index.systems_by_shape.items(), key=lambda i: index.title(i[0]))
        ],
        "framework": [
            {"value": f, "label": frameworks[f].label, "systems": len(v)}
            for f, v in sorted(index.systems_by_framework.items())
        ],
    }


def csv_rows(filters: dict[str, str]) -> list[dict[str, Any]]:
    """One row per result and system: the same results as the page, unpaged; messages in
    words, as on the page (the shape keeps its name, for whoever reads the shapes)."""
    index = gap_index()
    rows = []
    selected = selected_results(filters)
    words = words_for(r.message for r in selected)
    for result in selected:
        for system in result.systems or ("",):
            rows.append(
                {
                    "system": system,
                    "system_label": index.label(system) if system else "",
                    "focus_node": result.focus_node,
                    "severity": result.severity,
                    "shape": compact(result.source_shape),
                    "message": words.get(result.message, result.message),
                    "path": compact(result.path) if result.path else "",
                    "value": result.value,
                    "requirements": [r.notation or r.iri for r in result.requirements],
                    "frameworks": sorted({r.framework or "" for r in result.requirements}),
                }
            )
    return rows


def _page_data() -> dict[str, Any]:
    return gaps_data(
        choice_arg("group", GROUPS, "system"),
        gap_filters(),
        choice_arg("sort", SORTS, "priority"),
        choice_arg("view", VIEWS, "list"),
    )


@blueprint.get("/gaps")
def gaps_page() -> str:
    data = _page_data()
    return render_template("gaps.html", data=data, args=request.args, query_string=query_string)


@blueprint.get("/gaps.json")
def gaps_json() -> Response:
    return jsonify(_page_data())


@blueprint.get("/gaps.csv")
def gaps_csv() -> Response:
    return csv_response("gaps.csv", CSV_COLUMNS, csv_rows(gap_filters()))
