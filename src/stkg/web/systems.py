"""`/systems`: the portfolio as a sortable, filterable, searchable, paged table.

Pages, filters, sorts and facet counts are computed on the app's portfolio index
(`stkg.web.portfolio`: one row per system, built by one query per version of the store), so a
page costs tens of milliseconds at a hundred thousand systems. Gap facets (gap type,
framework) come from the app's cached validation (`stkg.web.gaps.gap_index`); the
"implements" filter asks the store for the systems governed by a control implementing that
requirement.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import pyoxigraph as ox
from flask import Blueprint, Response, abort, current_app, jsonify, render_template, request

from stkg.web.classification import NOT_CLASSIFIED, TIERS, tier_label
from stkg.web.gaps import GapIndex, gap_index
from stkg.web.portfolio import (
    FACETS,
    NONE,
    ORDERS,
    SORTS,
    PortfolioIndex,
    SystemRow,
    portfolio_index,
    position,
)
from stkg.web.quality import facet_known, facet_note
from stkg.web.tables import choice_arg, csv_response, paging, query_string
from stkg.web.terms import (
    PREFIX_LINES,
    describe,
    is_iri,
    key_kind,
    key_text,
    page_url,
    store,
)

blueprint = Blueprint("systems", __name__)

CSV_COLUMNS = (
    "system",
    "label",
    "impact",
    "stage",
    "tier",
    "violations",
    "warnings",
    "infos",
)


def system_filters() -> dict[str, str]:
    names = ("q", *FACETS, "shape", "framework", "implements")
    filters = {n: request.args.get(n, "").strip() for n in names if request.args.get(n, "").strip()}
    for name in (*FACETS, "shape", "framework", "implements"):
        value = filters.get(name, NONE)
        if value != NONE and not (name in FACETS and key_kind(value) != "iri"):
            _iri(value)  # a facet may also pick a text value found where an IRI belongs
    return filters


def _iri(value: str) -> ox.NamedNode:
    try:
        return ox.NamedNode(value)
    except ValueError:
        abort(400, f"not an IRI: {value!r}")


def _tests(filters: dict[str, str]) -> list[Callable[[SystemRow], bool]]:
    """One test per filter, cheapest first."""
    tests: list[Callable[[SystemRow], bool]] = []
    for name in FACETS:
        value = filters.get(name)
        if not value:
            continue
        if value == NONE:
            tests.append(lambda r, name=name: not getattr(r, name))
        else:
            tests.append(lambda r, name=name, value=value: value in getattr(r, name))
    pools = []
    for name in ("shape", "framework"):
        if filters.get(name):
            index = gap_index()
            pool = index.systems_by_shape if name == "shape" else index.systems_by_framework
            pools.append(pool.get(filters[name], set()))
    if filters.get("implements"):
        pools.append(_implementing(filters["implements"]))
    tests += [lambda r, pool=pool: r.system in pool for pool in pools]
    if filters.get("q"):
        needle = filters["q"].lower()
        tests.append(lambda r: needle in r.text)
    return tests


def _implementing(requirement: str) -> set[str]:
    """Systems governed by a control that implements `requirement`."""
    text = (
        PREFIX_LINES
        + "SELECT DISTINCT ?requirement ?system WHERE { ?system stkg:governedBy ?m . "
        + "?m stkg:implements ?requirement }"
    )
    bound = {"requirement": _iri(requirement)}
    return {row["system"].value for row in store().query(text, bindings=bound).dicts()}


def select(
    index: PortfolioIndex, filters: dict[str, str], order: tuple[str, str] | None = None
) -> list[SystemRow]:
    """The systems that pass every filter, in the table's `order` (sort, direction) or the
    index's own; remembered by the index, as several facets ask for the same selection."""

    def compute() -> list[SystemRow]:
        rows = index.ordered(*order) if order else index.rows
        for test in _tests(filters):
            rows = [r for r in rows if test(r)]
        return rows

    return index.remember((order, frozenset(filters.items())), compute)


def facet_counts(
    name: str, filters: dict[str, str], index: PortfolioIndex | None = None
) -> list[dict[str, Any]]:
    """Systems per value of one facet, under every other filter (`none`: not recorded)."""
    index = index or portfolio_index()
    others = {k: v for k, v in filters.items() if k != name}
    counts = index.counts(name, select(index, others) if others else None)
    info = facet_known(k for k in counts if k != NONE)
    none_label = NOT_CLASSIFIED if name == "tier" else "not recorded"
    rows = [
        {
            "value": value,
            "label": _facet_label(value, info) if value != NONE else none_label,
            "count": n,
            "selected": filters.get(name) == value,
            "note": facet_note(name, [value], info) if value != NONE else None,
        }
        for value, n in counts.items()
    ]
    order = {v: i for i, v in enumerate(ORDERS[name])}
    return sorted(rows, key=lambda r: (r["value"] == NONE, order.get(r["value"], 99), r["label"]))


def _facet_label(value: str, info: dict) -> str:
    """A facet value's label; a value that is not an IRI says so ("Deployed" (text))."""
    kind = key_kind(value)
    if kind == "iri":
        return tier_label(value, info)
    return f"{key_text(value)!r} ({'text' if kind == 'literal' else 'blank node'})"


def gap_facets(
    filters: dict[str, str], index: PortfolioIndex | None = None
) -> dict[str, list[dict[str, Any]]]:
    """Gap types and frameworks with the number of systems having such gaps, under every
    other filter (the whole portfolio when there is none)."""
    index = index or portfolio_index()
    gaps = gap_index()
    info = describe(gaps.systems_by_framework)
    facets: dict[str, list[dict[str, Any]]] = {}
    for name, pools, label in (
        ("shape", gaps.systems_by_shape, gaps.title),
        ("framework", gaps.systems_by_framework, lambda f: info[f].label),
    ):
        others = {k: v for k, v in filters.items() if k != name}
        within = {r.system for r in select(index, others)} if others else None
        rows = [
            {
                "value": value,
                "label": label(value),
                "count": len(pool if within is None else pool & within),
                "selected": filters.get(name) == value,
            }
            for value, pool in pools.items()
        ]
        facets[name] = sorted(
            (f for f in rows if f["count"] or f["selected"]),
            key=lambda f: (f["label"], f["value"]),
        )
    return facets


def _rows(rows: list[SystemRow]) -> list[dict[str, Any]]:
    """Table rows: each system with its labelled facts and its gaps by severity."""
    known = facet_known(v for r in rows for facet in FACETS for v in getattr(r, facet))
    index = gap_index()
    return [_row(r, known, index) for r in rows]


def _first(row: SystemRow, facet: str, known: dict) -> dict[str, Any] | None:
    """The row's value of a facet that comes first in its natural order, labelled, with a
    data-quality note when the values are not one known IRI."""
    key = min(getattr(row, facet), key=partial(position, facet), default=None)
    if key is None:
        return None
    info = known.get(key)
    iri = key if key_kind(key) == "iri" else None
    out = {"iri": iri, "label": info.label if info else key_text(key)}
    note = facet_note(facet, getattr(row, facet), known)
    return out | {"note": note} if note else out


def _row(row: SystemRow, known: dict, index: GapIndex) -> dict[str, Any]:
    gaps = index.by_system.get(row.system, [])
    rank = row.rank("tier")
    tier = None
    if rank < len(TIERS):
        tier = {"iri": TIERS[rank], "label": tier_label(TIERS[rank], known)}
    return {
        "system": row.system,
        "label": row.label,
        "url": page_url(row.system, "system") if is_iri(row.system) else None,
        "impact": _first(row, "impact", known),
        "stage": _first(row, "stage", known),
        "tier": tier or {"iri": None, "label": NOT_CLASSIFIED},
        "tier_note": facet_note("tier", row.tier, known),
        "gaps": {
            "Violation": sum(g.severity == "Violation" for g in gaps),
            "Warning": sum(g.severity == "Warning" for g in gaps),
            "Info": sum(g.severity == "Info" for g in gaps),
        },
    }


def matching(filters: dict[str, str], sort: str, direction: str) -> list[SystemRow]:
    """Every system matching the filters, in the table's order."""
    return select(portfolio_index(), filters, (sort, direction))


def systems_data(filters: dict[str, str], sort: str, direction: str) -> dict[str, Any]:
    """One page of systems matching the filters, the facets, and the paging."""
    page = paging()
    index = portfolio_index()
    rows = matching(filters, sort, direction)
    return {
        "filters": filters,
        "sort": sort,
        "direction": direction,
        "paging": page.info(len(rows)),
        "systems": _rows(rows[page.offset : page.offset + page.per_page]),
        "facets": {name: facet_counts(name, filters, index) for name in FACETS}
        | gap_facets(filters, index),
    }


def _sort_args() -> tuple[str, str]:
    return choice_arg("sort", SORTS, "label"), choice_arg("dir", ("asc", "desc"), "asc")


@blueprint.get("/systems")
def systems_page() -> str:
    data = systems_data(system_filters(), *_sort_args())
    return render_template("systems.html", data=data, args=request.args, query_string=query_string)


@blueprint.get("/systems.json")
def systems_json() -> Response:
    return jsonify(systems_data(system_filters(), *_sort_args()))


@blueprint.get("/systems.csv")
def systems_csv() -> Response:
    """Every matching system (up to the app's row cap), in the table's order."""
    cap = int(current_app.config["STKG_MAX_ROWS"])
    rows = matching(system_filters(), *_sort_args())
    out = [
        {
            "system": data["system"],
            "label": data["label"],
            "impact": data["impact"]["label"] if data["impact"] else "",
            "stage": data["stage"]["label"] if data["stage"] else "",
            "tier": data["tier"]["label"],
            "violations": data["gaps"]["Violation"],
            "warnings": data["gaps"]["Warning"],
            "infos": data["gaps"]["Info"],
        }
        for data in _rows(rows[:cap])
    ]
    response = csv_response("systems.csv", CSV_COLUMNS, out)
    if len(rows) > cap:
        response.headers["X-STKG-Truncated"] = "true"
    return response
