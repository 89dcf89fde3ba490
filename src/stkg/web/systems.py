"""`/systems`: the portfolio as a sortable, filterable, searchable, paged table.

The table is one SPARQL query with ORDER BY / LIMIT / OFFSET and the facets are COUNT
queries, so a page costs about the same at a hundred thousand systems: no system list is
ever loaded into Python. Gap facets (gap type, framework) come from the app's cached
validation (`stkg.web.gaps.gap_index`) and enter the query as a VALUES block. Typing honours
user-defined subclasses of `stkg:SocialTechnicalSystem`.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, current_app, jsonify, render_template, request

from stkg.web.classification import (
    NOT_CLASSIFIED,
    TIERS,
    ensure_classification,
    tier_label,
    tier_rank_expression,
)
from stkg.web.gaps import GapIndex, gap_index
from stkg.web.tables import choice_arg, csv_response, paging, query_string
from stkg.web.terms import (
    PREFIX_LINES,
    STKG,
    describe,
    iri_term,
    literal_term,
    page_url,
    store,
    values,
)

blueprint = Blueprint("systems", __name__)

SYSTEMS = """
  { SELECT DISTINCT ?system WHERE {
      ?class rdfs:subClassOf* stkg:SocialTechnicalSystem . ?system a ?class } }"""
# facet name -> the property whose value it counts
FACETS = {"impact": "stkg:impactLevel", "stage": "stkg:lifecycleStage", "tier": "stkg:euAIActTier"}
ORDERS = {
    "impact": ["HighImpact", "MediumImpact", "LowImpact"],
    "stage": ["Design", "InDevelopment", "Validation", "Deployed", "Retired"],
}
SORTS = ("label", "impact", "stage", "tier", "system")
NONE = "none"  # facet value: the fact is not recorded
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
    return {n: request.args.get(n, "").strip() for n in names if request.args.get(n, "").strip()}


def _where(filters: dict[str, str], skip: str | None = None) -> str:
    """The graph pattern selecting the systems that match `filters` (less one facet)."""
    parts = [SYSTEMS]
    index = None
    for name in ("shape", "framework"):
        if filters.get(name):
            index = index or gap_index()
            pool = index.systems_by_shape if name == "shape" else index.systems_by_framework
            parts.append(values("system", sorted(pool.get(filters[name], ()))))
    for name, prop in FACETS.items():
        value = filters.get(name)
        if not value or name == skip:
            continue
        if value == NONE:
            parts.append(f"MINUS {{ ?system {prop} ?_{name} }}")
        else:
            parts.append(f"?system {prop} {_iri(value)} .")
    if filters.get("implements"):
        parts.append(
            f"?system stkg:governedBy ?_m . ?_m stkg:implements {_iri(filters['implements'])} ."
        )
    if filters.get("q"):
        needle = literal_term(filters["q"].lower())
        parts.append(
            f"?system rdfs:label|skos:prefLabel ?_q FILTER(CONTAINS(LCASE(STR(?_q)), {needle}))"
        )
    return "\n  ".join(parts)


def _iri(value: str) -> str:
    try:
        return iri_term(value)
    except ValueError:
        abort(400, f"not an IRI: {value!r}")


def _rank(variable: str, names: list[str]) -> str:
    expression = str(len(names))
    for rank, name in reversed(list(enumerate(names))):
        expression = f"IF(?{variable} = stkg:{name}, {rank}, {expression})"
    return f"COALESCE({expression}, {len(names)})"


def _order(sort: str, direction: str) -> str:
    key = {
        "label": "LCASE(STR(COALESCE(?label, STR(?system))))",
        "impact": _rank("impact", ORDERS["impact"]),
        "stage": _rank("stage", ORDERS["stage"]),
        "tier": "?tierRank",
        "system": "STR(?system)",
    }[sort]
    first = f"DESC({key})" if direction == "desc" else f"ASC({key})"
    return f"{first} LCASE(STR(COALESCE(?label, STR(?system)))) ?system"


def _rows_query(filters: dict[str, str], sort: str, direction: str) -> str:
    return (
        PREFIX_LINES
        + """SELECT ?system (SAMPLE(?l) AS ?label) (SAMPLE(?i) AS ?impact)
       (SAMPLE(?s) AS ?stage) (MIN("""
        + tier_rank_expression("t")
        + """) AS ?tierRank) WHERE {
  """
        + _where(filters)
        + """
  OPTIONAL { ?system rdfs:label ?l }
  OPTIONAL { ?system stkg:impactLevel ?i }
  OPTIONAL { ?system stkg:lifecycleStage ?s }
  OPTIONAL { ?system stkg:euAIActTier ?t }
} GROUP BY ?system ORDER BY """
        + _order(sort, direction)
    )


def count_systems(filters: dict[str, str]) -> int:
    text = PREFIX_LINES + "SELECT (COUNT(DISTINCT ?system) AS ?n) WHERE {" + _where(filters) + "}"
    return int(store().query(text).rows[0][0].value)


def facet_counts(name: str, filters: dict[str, str]) -> list[dict[str, Any]]:
    """Systems per value of one facet, under every other filter (`none`: not recorded)."""
    text = (
        PREFIX_LINES
        + f"SELECT ?v (COUNT(DISTINCT ?system) AS ?n) WHERE {{ {_where(filters, skip=name)}"
        + f"\n  OPTIONAL {{ ?system {FACETS[name]} ?v }} }} GROUP BY ?v"
    )
    counts = {
        (row["v"].value if row.get("v") is not None else NONE): int(row["n"].value)
        for row in store().query(text).dicts()
    }
    info = describe(k for k in counts if k != NONE)
    none_label = NOT_CLASSIFIED if name == "tier" else "not recorded"
    rows = [
        {
            "value": value,
            "label": tier_label(value, info) if value in info else none_label,
            "count": n,
            "selected": filters.get(name) == value,
        }
        for value, n in counts.items()
    ]
    order = {STKG + n: i for i, n in enumerate(ORDERS.get(name, []))}
    order |= {tier: i for i, tier in enumerate(TIERS)}
    return sorted(rows, key=lambda r: (r["value"] == NONE, order.get(r["value"], 99), r["label"]))


def gap_facets(filters: dict[str, str]) -> dict[str, list[dict[str, Any]]]:
    """Gap types and frameworks with the number of systems having such gaps (whole portfolio)."""
    index = gap_index()
    info = describe(index.systems_by_framework)
    return {
        "shape": [
            {
                "value": s,
                "label": s.rsplit("#", 1)[-1],
                "count": len(v),
                "selected": filters.get("shape") == s,
            }
            for s, v in sorted(index.systems_by_shape.items())
        ],
        "framework": [
            {
                "value": f,
                "label": info[f].label,
                "count": len(v),
                "selected": filters.get("framework") == f,
            }
            for f, v in sorted(index.systems_by_framework.items(), key=lambda i: info[i[0]].label)
        ],
    }


def _row(row: dict, known: dict, index: GapIndex) -> dict[str, Any]:
    system = row["system"].value
    gaps = index.by_system.get(system, [])

    def value(name: str) -> dict[str, Any] | None:
        term = row.get(name)
        if term is None:
            return None
        info = known.get(term.value)
        return {"iri": term.value, "label": info.label if info else term.value}

    rank = int(row["tierRank"].value) if row.get("tierRank") is not None else len(TIERS)
    tier = None
    if rank < len(TIERS):
        tier = {"iri": TIERS[rank], "label": tier_label(TIERS[rank], known)}
    return {
        "system": system,
        "label": row["label"].value if row.get("label") is not None else system,
        "url": page_url(system, "system"),
        "impact": value("impact"),
        "stage": value("stage"),
        "tier": tier or {"iri": None, "label": NOT_CLASSIFIED},
        "gaps": {
            "Violation": sum(g.severity == "Violation" for g in gaps),
            "Warning": sum(g.severity == "Warning" for g in gaps),
            "Info": sum(g.severity == "Info" for g in gaps),
        },
    }


def systems_data(filters: dict[str, str], sort: str, direction: str) -> dict[str, Any]:
    """One page of systems matching the filters, the facets, and the paging."""
    ensure_classification()
    page = paging()
    text = _rows_query(filters, sort, direction) + f"\nLIMIT {page.per_page} OFFSET {page.offset}"
    rows = store().query(text).dicts()
    known = describe(
        [t.value for r in rows for n in ("impact", "stage") if (t := r.get(n)) is not None]
        + list(TIERS)
    )
    index = gap_index()
    return {
        "filters": filters,
        "sort": sort,
        "direction": direction,
        "paging": page.info(count_systems(filters)),
        "systems": [_row(r, known, index) for r in rows],
        "facets": {name: facet_counts(name, filters) for name in FACETS} | gap_facets(filters),
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
    ensure_classification()
    cap = int(current_app.config["STKG_MAX_ROWS"])
    filters = system_filters()
    text = _rows_query(filters, *_sort_args()) + f"\nLIMIT {cap + 1}"
    rows = store().query(text).dicts()
    truncated = len(rows) > cap
    rows = rows[:cap]
    known = describe(
        [t.value for r in rows for n in ("impact", "stage") if (t := r.get(n)) is not None]
        + list(TIERS)
    )
    index = gap_index()
    out = []
    for row in rows:
        data = _row(row, known, index)
        out.append(
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
        )
    response = csv_response("systems.csv", CSV_COLUMNS, out)
    if truncated:
        response.headers["X-STKG-Truncated"] = "true"
    return response
