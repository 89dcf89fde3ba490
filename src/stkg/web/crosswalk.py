"""`/crosswalk?source=…&target=…`: a matrix of the mappings between two frameworks.

Rows are the source's top-level requirements (or every requirement of one kind, `rows=`:
`category`, `article`, `control group`, …), columns the target's; a cell counts the mappings
between a requirement under the row and one under the column, by relationship, in either
direction (a reversed mapping counts with its inverse relationship). Choosing a cell
(`row=`, `col=`) lists its mappings. Rejected mappings are left out.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import pyoxigraph as ox
from flask import Blueprint, Response, abort, jsonify, render_template, request

from stkg.web.frameworks import frameworks_data, resolve_framework
from stkg.web.tables import csv_response
from stkg.web.terms import PREFIX_LINES, describe, iri_term, requirement_order, store

blueprint = Blueprint("crosswalk", __name__)

CSV_COLUMNS = (
    "source",
    "source_notation",
    "relationship",
    "target",
    "target_notation",
    "status",
    "mapping_set",
    "mapping",
)

# A mapping from ?a (source side) to ?b (target side), with the relationship read a → b.
MAPPING = """
  { ?m stkg:mappingSource ?a ; stkg:mappingTarget ?b . OPTIONAL { ?m stkg:relationship ?rel } }
  UNION
  { ?m stkg:mappingSource ?b ; stkg:mappingTarget ?a .
    OPTIONAL { ?m stkg:relationship ?fwd . ?fwd stkg:inverseRelationship ?rel } }
  ?a skos:inScheme ?source . ?b skos:inScheme ?target .
  MINUS { ?m stkg:reviewStatus stkg:Rejected }"""
# Every value goes in bound (pyoxigraph substitutions), never as query text; a bound variable
# must be projected, so each query selects (and groups by) the ones it binds.


def _axis(variable: str, member: str, scheme: str, kind: str | None) -> str:
    """?variable is the top-level (or ?kind-kind) requirement that ?member falls under."""
    if kind:
        return (
            f"?{member} skos:broader* ?{variable} . "
            f"?{variable} skos:inScheme ?{scheme} ; stkg:requirementKind ?{kind} ."
        )
    return f"?{member} skos:broader* ?{variable} . ?{variable} skos:topConceptOf ?{scheme} ."


def _bindings(**values: str | None) -> dict[str, ox.NamedNode | ox.Literal]:
    """Query bindings: a kind (`…_kind`) as a literal, anything else as an IRI; None left out."""
    return {
        name: ox.Literal(value) if name.endswith("_kind") else ox.NamedNode(value)
        for name, value in values.items()
        if value is not None
    }


def _projected(bindings: dict) -> str:
    return " ".join(f"?{name}" for name in bindings)


def _axis_members(scheme: str, kind: str | None) -> list[str]:
    bound = _bindings(scheme=scheme, axis_kind=kind)
    where = (
        "?x skos:inScheme ?scheme ; stkg:requirementKind ?axis_kind ."
        if kind
        else "?x skos:topConceptOf ?scheme ; a stkg:Requirement ."
    )
    text = PREFIX_LINES + f"SELECT DISTINCT {_projected(bound)} ?x WHERE {{ {where} }}"
    return [r["x"].value for r in store().query(text, bindings=bound).dicts()]


def kinds(scheme: str) -> list[str]:
    text = "SELECT DISTINCT ?scheme ?k WHERE { ?r skos:inScheme ?scheme ; stkg:requirementKind ?k }"
    rows = store().query(PREFIX_LINES + text, bindings=_bindings(scheme=scheme)).dicts()
    return sorted(r["k"].value for r in rows)


def crosswalk_data(
    source: str,
    target: str,
    rows_kind: str | None = None,
    cols_kind: str | None = None,
    row: str | None = None,
    col: str | None = None,
) -> dict[str, Any]:
    """The matrix (cells by relationship) and, for a chosen cell, its mappings."""
    bound = _bindings(source=source, target=target, rows_kind=rows_kind, cols_kind=cols_kind)
    axes = (
        _axis("row", "a", "source", rows_kind and "rows_kind")
        + " "
        + _axis("col", "b", "target", cols_kind and "cols_kind")
    )
    keys = f"{_projected(bound)} ?row ?col ?rel"
    counts = (
        store()
        .query(
            PREFIX_LINES
            + f"SELECT {keys} (COUNT(DISTINCT ?m) AS ?n) WHERE {{ {MAPPING} {axes} }} "
            + f"GROUP BY {keys}",
            bindings=bound,
        )
        .dicts()
    )
    row_iris, col_iris = _axis_members(source, rows_kind), _axis_members(target, cols_kind)
    rels = {r["rel"].value for r in counts if r.get("rel") is not None}
    known = describe([*row_iris, *col_iris, *rels, source, target])
    cells: dict[tuple[str, str], dict[str, Any]] = defaultdict(lambda: {"total": 0, "by": {}})
    for r in counts:
        cell = cells[(r["row"].value, r["col"].value)]
        name = known[r["rel"].value].label if r.get("rel") is not None else "untyped link"
        cell["by"][name] = cell["by"].get(name, 0) + int(r["n"].value)
        cell["total"] += int(r["n"].value)

    def axis(iris: list[str]) -> list[dict[str, Any]]:
        items = [known[i].as_dict() for i in iris]
        return sorted(items, key=lambda x: requirement_order(x["notation"] or x["label"]))

    every_row, every_col = axis(row_iris), axis(col_iris)
    # A heat map shows the rows and columns that have mappings; the others are listed.
    rows = [r for r in every_row if any(k[0] == r["iri"] for k in cells)]
    cols = [c for c in every_col if any(k[1] == c["iri"] for k in cells)]
    top = max((c["total"] for c in cells.values()), default=0)
    relationships = sorted({name for c in cells.values() for name in c["by"]}, key=_rel_order)
    data: dict[str, Any] = {
        "source": known[source].as_dict(),
        "target": known[target].as_dict(),
        "rows_kind": rows_kind,
        "cols_kind": cols_kind,
        "rows": rows,
        "columns": cols,
        "unmapped": {
            "rows": [r for r in every_row if r not in rows],
            "columns": [c for c in every_col if c not in cols],
        },
        "relationships": relationships,
        "max": top,
        "cells": [
            {
                "row": r["iri"],
                "col": c["iri"],
                **cells[(r["iri"], c["iri"])],
                "level": _level(cells[(r["iri"], c["iri"])]["total"], top),
                "mix": [
                    {"relationship": name, "count": n, "share": round(n / total, 3)}
                    for name in relationships
                    if (n := cells[(r["iri"], c["iri"])]["by"].get(name))
                    and (total := cells[(r["iri"], c["iri"])]["total"])
                ],
            }
            for r in rows
            for c in cols
            if (r["iri"], c["iri"]) in cells
        ],
        "total": sum(c["total"] for c in cells.values()),
        "kinds": {"source": kinds(source), "target": kinds(target)},
        "selected": None,
    }
    if row or col:
        data["selected"] = {
            "row": row,
            "col": col,
            "mappings": mappings(source, target, rows_kind, cols_kind, row, col),
        }
    return data


HEAT_LEVELS = 5  # shades of the heat map, darkest for the fullest cell
# NIST IR 8477 relationships, closest first; any other sorts after them by name
RELATIONSHIPS = ("equal", "subset of", "superset of", "intersects with", "no relationship")


def _level(count: int, top: int) -> int:
    """A cell's shade, 1 (one mapping) to `HEAT_LEVELS` (the fullest cell)."""
    if not top:
        return 0
    return max(1, -(-count * HEAT_LEVELS // top))


def _rel_order(name: str) -> tuple[int, str]:
    for i, known in enumerate(RELATIONSHIPS):
        if name.lower().startswith(known):
            return (i, name)
    return (len(RELATIONSHIPS), name)


def mappings(
    source: str,
    target: str,
    rows_kind: str | None = None,
    cols_kind: str | None = None,
    row: str | None = None,
    col: str | None = None,
) -> list[dict[str, Any]]:
    """The mappings between the two frameworks, optionally only those under a row or column."""
    bound = _bindings(
        source=source,
        target=target,
        rows_kind=rows_kind if row else None,
        cols_kind=cols_kind if col else None,
        row=row,
        col=col,
    )
    where = MAPPING
    if row:
        where += " " + _axis("row", "a", "source", rows_kind and "rows_kind")
    if col:
        where += " " + _axis("col", "b", "target", cols_kind and "cols_kind")
    found = (
        store()
        .query(
            PREFIX_LINES
            + f"SELECT DISTINCT {_projected(bound)} ?m ?a ?b ?rel ?status ?set WHERE {{ {where} "
            "OPTIONAL { ?m stkg:reviewStatus ?status } OPTIONAL { ?m stkg:inMappingSet ?set } }",
            bindings=bound,
        )
        .dicts()
    )
    known = describe(
        {
            r[n].value
            for r in found
            for n in ("a", "b", "rel", "status", "set")
            if r.get(n) is not None
        }
    )
    out = []
    for r in found:
        a, b = known[r["a"].value], known[r["b"].value]
        out.append(
            {
                "mapping": r["m"].value,
                "source": a.as_dict(),
                "relationship": known[r["rel"].value].label if r.get("rel") else "untyped link",
                "target": b.as_dict(),
                "status": known[r["status"].value].label if r.get("status") else None,
                "set": known[r["set"].value].as_dict() if r.get("set") else None,
            }
        )
    out.sort(
        key=lambda x: (
            requirement_order(x["source"]["notation"] or ""),
            requirement_order(x["target"]["notation"] or ""),
        )
    )
    return out


def _args() -> dict[str, Any]:
    def iri(name: str) -> str | None:
        value = request.args.get(name, "").strip()
        if not value:
            return None
        try:
            iri_term(value)
        except ValueError:
            abort(400, f"{name}: not an IRI")
        return value

    source = request.args.get("source", "").strip()
    target = request.args.get("target", "").strip()
    return {
        "source": resolve_framework(source) if source else None,
        "target": resolve_framework(target) if target else None,
        "rows_kind": request.args.get("rows", "").strip() or None,
        "cols_kind": request.args.get("cols", "").strip() or None,
        "row": iri("row"),
        "col": iri("col"),
    }


def _data() -> dict[str, Any]:
    args = _args()
    choices = frameworks_data()["frameworks"]
    if not args["source"] or not args["target"]:
        return {"choices": choices, "args": args, "matrix": None}
    return {"choices": choices, "args": args, "matrix": crosswalk_data(**args)}


@blueprint.get("/crosswalk")
def crosswalk_page() -> str:
    data = _data()
    return render_template("crosswalk.html", data=data, args=request.args)


@blueprint.get("/crosswalk.json")
def crosswalk_json() -> Response:
    return jsonify(_data())


@blueprint.get("/crosswalk.csv")
def crosswalk_csv() -> Response:
    args = _args()
    if not args["source"] or not args["target"]:
        abort(400, "give source= and target= frameworks")
    rows = [
        {
            "source": m["source"]["iri"],
            "source_notation": m["source"]["notation"],
            "relationship": m["relationship"],
            "target": m["target"]["iri"],
            "target_notation": m["target"]["notation"],
            "status": m["status"],
            "mapping_set": m["set"]["iri"] if m["set"] else None,
            "mapping": m["mapping"],
        }
        for m in mappings(**args)
    ]
    return csv_response("crosswalk.csv", CSV_COLUMNS, rows)
