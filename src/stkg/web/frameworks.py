"""`/frameworks` and `/frameworks/<slug>`: the catalogues as requirement trees.

A framework page shows every requirement in its hierarchy (`skos:broader`) with its official
text where the licence allows (`stkg:officialText`; ISO/IEC 42001 has identifiers and titles
only), the mapped requirements of other frameworks with their relationship read from this
side (a mapping stated the other way round is shown with its inverse relationship), how many
systems implement it (a control that `stkg:implements` it governs them) and how many fail it
(a gap from a shape that `stkg:operationalises` it). Counts, never system lists, so the page
does not grow with the portfolio.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import pyoxigraph as ox
from flask import Blueprint, Response, abort, jsonify, render_template, url_for

from stkg.web.gaps import gap_index
from stkg.web.state import state
from stkg.web.tables import csv_response
from stkg.web.terms import (
    FRAMEWORK_BASE,
    PREFIX_LINES,
    anchor,
    describe,
    framework_slug,
    pair_values,
    requirement_order,
    store,
    words_for,
)

blueprint = Blueprint("frameworks", __name__)

CSV_COLUMNS = (
    "requirement",
    "notation",
    "label",
    "kind",
    "broader",
    "official_text",
    "mappings",
    "implementing_systems",
    "failing_systems",
)


def frameworks_data() -> dict[str, Any]:
    """Every framework with its size, mappings, and the systems implementing or failing it."""
    failing = gap_index().systems_by_framework
    out = []
    for listed in state().caches.get("frameworks", _frameworks_counted):
        slug = framework_slug(listed["iri"])
        url = url_for("frameworks.framework_page", slug=slug) if slug else None
        failing_systems = len(failing.get(listed["iri"], ()))
        out.append({**listed, "slug": slug, "url": url, "failing_systems": failing_systems})
    out.sort(key=lambda f: f["label"].lower())
    return {"frameworks": out}


def _frameworks_counted() -> list[dict[str, Any]]:
    """The frameworks' own counts, once per store version and saved with the caches
    (counting the systems implementing each took about a second at 100,000 systems)."""
    rows = (
        store()
        .query(
            PREFIX_LINES
            + """SELECT ?f (SAMPLE(?l) AS ?label) (SAMPLE(?t) AS ?title) (SAMPLE(?p) AS ?publisher)
                 (COUNT(DISTINCT ?r) AS ?requirements) WHERE {
          ?class rdfs:subClassOf* stkg:Framework . ?f a ?class .
          OPTIONAL { ?f skos:prefLabel ?l } OPTIONAL { ?f dct:title ?t }
          OPTIONAL { ?f dct:publisher ?p }
          OPTIONAL { ?r skos:inScheme ?f ; a stkg:Requirement }
        } GROUP BY ?f"""
        )
        .dicts()
    )
    mappings = _per_framework(
        """SELECT ?f (COUNT(DISTINCT ?m) AS ?n) WHERE {
          { ?m stkg:mappingSource ?r } UNION { ?m stkg:mappingTarget ?r }
          ?r skos:inScheme ?f } GROUP BY ?f"""
    )
    implementing = _per_framework(
        """SELECT ?f (COUNT(DISTINCT ?s) AS ?n) WHERE {
          ?c stkg:implements ?r . ?r skos:inScheme ?f . ?s stkg:governedBy ?c } GROUP BY ?f"""
    )
    return [
        {
            "iri": row["f"].value,
            "label": row["label"].value if row.get("label") else row["f"].value,
            "title": row["title"].value if row.get("title") else None,
            "publisher": row["publisher"].value if row.get("publisher") else None,
            "requirements": int(row["requirements"].value),
            "mappings": mappings.get(row["f"].value, 0),
            "implementing_systems": implementing.get(row["f"].value, 0),
        }
        for row in rows
    ]


def _per_framework(select: str) -> dict[str, int]:
    return {
        row["f"].value: int(row["n"].value) for row in store().query(PREFIX_LINES + select).dicts()
    }


def resolve_framework(name: str) -> str:
    """A framework IRI from a slug (`nist-ai-rmf`) or an IRI; 404 when there is none."""
    candidates = [name] if ":" in name else [FRAMEWORK_BASE + name]
    for iri in candidates:
        try:
            term = ox.NamedNode(iri)
        except ValueError:
            abort(400, f"not a framework name or IRI: {name!r}")
        ask = "SELECT ?f WHERE { ?c rdfs:subClassOf* stkg:Framework . ?f a ?c } LIMIT 1"
        if store().query(PREFIX_LINES + ask, bindings={"f": term}).rows:
            return iri
    abort(404, f"no framework {name!r} in the store")


def requirements_of(framework: str) -> dict[str, dict[str, Any]]:
    """The framework's requirements by IRI: notation, label, text, kind, broader."""
    rows = (
        store()
        .query(
            PREFIX_LINES
            + """SELECT ?f ?r ?notation ?label ?text ?kind ?broader WHERE {
          ?r skos:inScheme ?f ; a stkg:Requirement .
          OPTIONAL { ?r skos:notation ?notation } OPTIONAL { ?r skos:prefLabel ?label }
          OPTIONAL { ?r stkg:officialText ?text } OPTIONAL { ?r stkg:requirementKind ?kind }
          OPTIONAL { ?r skos:broader ?broader } }""",
            bindings={"f": ox.NamedNode(framework)},
        )
        .dicts()
    )
    found: dict[str, dict[str, Any]] = {}
    for row in rows:
        iri = row["r"].value
        entry = found.setdefault(
            iri,
            {
                "iri": iri,
                "anchor": anchor(iri),
                "notation": None,
                "label": None,
                "text": None,
                "kind": None,
                "broader": None,
                "note": None,  # a data-quality note (a cycle in its skos:broader links)
            },
        )
        for name in ("notation", "label", "text", "kind", "broader"):
            value = row.get(name)
            if value is None or isinstance(value, ox.BlankNode):
                continue
            if entry[name] is None or value.value < entry[name]:  # several: the least
                entry[name] = value.value
    return found


def _mappings(framework: str) -> dict[str, list[dict[str, Any]]]:
    """Mappings touching each requirement, read from the requirement's side."""
    rows = (
        store()
        .query(
            PREFIX_LINES
            + """SELECT ?f ?m ?r ?other ?rel ?status ?set WHERE {
          { ?m stkg:mappingSource ?r ; stkg:mappingTarget ?other .
            OPTIONAL { ?m stkg:relationship ?rel } }
          UNION
          { ?m stkg:mappingTarget ?r ; stkg:mappingSource ?other .
            OPTIONAL { ?m stkg:relationship ?forward . ?forward stkg:inverseRelationship ?rel } }
          ?r skos:inScheme ?f .
          OPTIONAL { ?m stkg:reviewStatus ?status } OPTIONAL { ?m stkg:inMappingSet ?set }
          MINUS { ?m stkg:reviewStatus stkg:Rejected }
        }""",
            bindings={"f": ox.NamedNode(framework)},
        )
        .dicts()
    )
    known = describe(
        {r[n].value for r in rows for n in ("other", "rel", "status") if r.get(n) is not None}
    )
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        other = known[row["other"].value]
        rel = row.get("rel")
        out[row["r"].value].append(
            {
                "mapping": row["m"].value,
                "requirement": other.as_dict(),
                "relationship": known[rel.value].label if rel is not None else "untyped link",
                "status": known[row["status"].value].label if row.get("status") else None,
                "set": row["set"].value if row.get("set") else None,
            }
        )
    for entries in out.values():
        entries.sort(key=lambda e: requirement_order(_code(e["requirement"])))
    return out


def _implementing(
    framework: str, children: dict[str | None, list[str]]
) -> dict[str, dict[str, Any]]:
    """Per requirement: the controls implementing it (each with the systems it governs),
    the distinct systems they govern, and (`within`) the distinct systems governed by a
    control implementing it or a requirement under it. The store counts; the tree says
    which requirements are under which, as (ancestor, requirement) pairs handed to one
    query (a `skos:broader*` path in the query took 8 s at 10,000 systems; listing every
    governed system to count here, 0.2 s). pyoxigraph binds only a variable the query
    projects, hence ?f in the SELECTs."""
    bound = {"f": ox.NamedNode(framework)}
    per_control = store().query(
        PREFIX_LINES
        + """SELECT ?f ?r ?c (COUNT(DISTINCT ?s) AS ?n) WHERE {
          ?c stkg:implements ?r . ?r skos:inScheme ?f . OPTIONAL { ?s stkg:governedBy ?c } }
        GROUP BY ?f ?r ?c""",
        bindings=bound,
    )
    controls: dict[str, dict[str, int]] = defaultdict(dict)
    for row in per_control.dicts():
        controls[row["r"].value][row["c"].value] = int(row["n"].value)
    above: list[tuple[str, str]] = []  # (ancestor or itself, requirement with controls)

    def walk(iri: str, path: tuple[str, ...]) -> None:
        if iri in controls:
            above.extend((up, iri) for up in (*path, iri))
        for child in children.get(iri, []):
            walk(child, (*path, iri))

    for root in children.get(None, []):
        walk(root, ())
    within: dict[str, int] = {}
    if above:
        rows = store().query(
            PREFIX_LINES
            + "SELECT ?up (COUNT(DISTINCT ?s) AS ?n) WHERE { "
            + pair_values(("up", "r"), above)
            + " ?c stkg:implements ?r . ?s stkg:governedBy ?c } GROUP BY ?up"
        )
        within = {row["up"].value: int(row["n"].value) for row in rows.dicts()}
    direct = {r: n for (up, r), n in _direct_counts(bound).items() if up == r}
    known = describe({c for cs in controls.values() for c in cs})
    return {
        iri: {
            "systems": direct.get(iri, 0),
            "controls": [
                {**known[c].as_dict(), "systems": n} for c, n in sorted(controls[iri].items())
            ],
            "within": within.get(iri, 0),
        }
        for iri in {*controls, *within}
    }


def _direct_counts(bound: dict[str, ox.NamedNode]) -> dict[tuple[str, str], int]:
    rows = store().query(
        PREFIX_LINES
        + """SELECT ?f ?r (COUNT(DISTINCT ?s) AS ?n) WHERE {
          ?c stkg:implements ?r . ?r skos:inScheme ?f . ?s stkg:governedBy ?c } GROUP BY ?f ?r""",
        bindings=bound,
    )
    return {(row["r"].value, row["r"].value): int(row["n"].value) for row in rows.dicts()}


def _code(requirement: dict[str, Any]) -> str:
    return requirement["notation"] or requirement["label"]


def framework_data(framework: str) -> dict[str, Any]:
    """The framework's requirement tree, each requirement with mappings, controls and gaps."""
    info = describe([framework])[framework]
    meta = (
        store()
        .query(
            PREFIX_LINES
            + "SELECT ?f ?title ?description ?rights ?source WHERE { "
            + "OPTIONAL { ?f dct:title ?title } OPTIONAL { ?f dct:description ?description } "
            + "OPTIONAL { ?f dct:rights ?rights } OPTIONAL { ?f dct:source ?source } } LIMIT 1",
            bindings={"f": ox.NamedNode(framework)},
        )
        .dicts()[0]
    )
    meta.pop("f", None)
    requirements = requirements_of(framework)
    mappings = _mappings(framework)
    failing = gap_index().systems_by_requirement
    index = gap_index()
    children = _hierarchy(requirements)
    implementing = state().caches.get(  # the counts cost 0.1 s at 10,000 systems; kept
        f"implementing {framework}", lambda: _implementing(framework, children), pending=dict
    )

    def node(iri: str, depth: int) -> tuple[dict[str, Any], set[str]]:
        """The requirement's entry, and the systems failing it or anything under it."""
        entry = requirements[iri]
        fails = sorted(failing.get(iri, ()))
        narrower, within = [], set(fails)
        implementation = implementing.get(iri) or {"systems": 0, "controls": [], "within": 0}
        coverage = {  # of the requirement and those under it
            "requirements": 1,
            "implemented": int(bool(implementation["systems"])),
            "failing": int(bool(fails)),
        }
        for child in _sorted(children.get(iri, []), requirements):
            item, below = node(child, depth + 1)
            narrower.append(item)
            within |= below
            for name in coverage:
                coverage[name] += item["coverage"][name]
        return {
            **entry,
            "depth": depth,
            "mappings": mappings.get(iri, []),
            "implementing": implementation,
            "failing": {
                "systems": len(fails),
                "sample": [{"iri": s, "label": index.label(s)} for s in fails[:5]],
                "within": len(within),
            },
            "coverage": coverage,
            "narrower": narrower,
        }, within

    texts = {k: (v.value if v is not None else None) for k, v in meta.items()}
    prose = ("description", "rights")  # may name terms of the graph: in words, as labels
    words = words_for(t for k, t in texts.items() if t and k in prose)
    return {
        "framework": {
            **info.as_dict(),
            **{
                k: words.get(t, t) if k in ("description", "rights") else t
                for k, t in texts.items()
            },
        },
        "requirements": len(requirements),
        "tree": [node(r, 0)[0] for r in _sorted(children.get(None, []), requirements)],
    }


def _hierarchy(requirements: dict[str, dict[str, Any]]) -> dict[str | None, list[str]]:
    """Each requirement under its broader one (None: top level). A requirement in a cycle of
    `skos:broader` (A under B under A) would be under nothing that reaches the top: the first
    of each cycle is shown at the top level instead, with a data-quality note."""
    children: dict[str | None, list[str]] = defaultdict(list)
    for iri, entry in requirements.items():
        parent = entry["broader"] if entry["broader"] in requirements else None
        children[parent].append(iri)
    reached: set[str] = set()

    def reach(start: str) -> None:
        stack = [start]
        while stack:
            iri = stack.pop()
            if iri not in reached:
                reached.add(iri)
                stack.extend(children.get(iri, []))

    for root in children.get(None, []):
        reach(root)
    for iri in _sorted(list(requirements), requirements):
        if iri in reached:
            continue
        entry = requirements[iri]
        children[entry["broader"]].remove(iri)
        children[None].append(iri)
        entry["note"] = "its skos:broader links form a cycle; shown at the top level"
        reach(iri)
    return children


def _sorted(iris: list[str], requirements: dict[str, dict[str, Any]]) -> list[str]:
    return sorted(iris, key=lambda i: requirement_order(requirements[i]["notation"] or i))


def flatten(tree: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for item in tree:
        out.append(item)
        out.extend(flatten(item["narrower"]))
    return out


@blueprint.get("/frameworks")
def frameworks_page() -> str:
    return render_template("frameworks.html", data=frameworks_data())


@blueprint.get("/frameworks.json")
def frameworks_json() -> Response:
    return jsonify(frameworks_data())


@blueprint.get("/frameworks/<slug>")
def framework_page(slug: str) -> str:
    data = framework_data(resolve_framework(slug))
    return render_template("framework.html", data=data, slug=slug)


@blueprint.get("/frameworks/<slug>.json")
def framework_json(slug: str) -> Response:
    return jsonify(framework_data(resolve_framework(slug)))


@blueprint.get("/frameworks/<slug>.csv")
def framework_csv(slug: str) -> Response:
    data = framework_data(resolve_framework(slug))
    notations = {r["iri"]: r["notation"] for r in flatten(data["tree"])}
    rows = [
        {
            "requirement": r["iri"],
            "notation": r["notation"],
            "label": r["label"],
            "kind": r["kind"],
            "broader": notations.get(r["broader"]) or r["broader"],
            "official_text": r["text"],
            "mappings": len(r["mappings"]),
            "implementing_systems": r["implementing"]["systems"],
            "failing_systems": r["failing"]["systems"],
        }
        for r in flatten(data["tree"])
    ]
    return csv_response(f"{slug}.csv", CSV_COLUMNS, rows)
