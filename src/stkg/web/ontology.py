"""`/ontology`: the ontology's documentation, and the ontology itself by content negotiation.

The documentation is rendered from the ontology graphs in the store (`ontology/*.ttl`), not
by pyLODE: pyLODE 3.4 brings an HTTP client and its own HTML toolchain, and cannot link a term
to the explorer or show the separate alignment module beside the core; this page lists every
class, property and individual with its definition, hierarchy, domain and range and its
alignments to AIRO, W3C DPV, PROV-O, DCAT and ORG, from the same data as `/ontology.json`,
computed once per store version. The ontology (both modules) is served as Turtle, JSON-LD,
RDF/XML or N-Triples at `/ontology` (Accept header or `format=`) and `/ontology.ttl`,
`/ontology.jsonld`, `/ontology.rdf`, `/ontology.nt`, so researchers can load it by URL.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from flask import Blueprint, Response, abort, jsonify, render_template, request

from stkg.project import GRAPH_BASE
from stkg.web.sparql import CONTENT_TYPES, store_graphs
from stkg.web.state import state
from stkg.web.terms import PREFIXES, STKG, compact, store

blueprint = Blueprint("ontology", __name__)

ONTOLOGY_GRAPHS = GRAPH_BASE + "ontology/"
CORE_GRAPH = ONTOLOGY_GRAPHS + "stkg.ttl"
OWL = "http://www.w3.org/2002/07/owl#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
SECTIONS = (
    ("classes", "Classes", OWL + "Class"),
    ("object_properties", "Object properties", OWL + "ObjectProperty"),
    ("datatype_properties", "Datatype properties", OWL + "DatatypeProperty"),
    ("annotation_properties", "Annotation properties", OWL + "AnnotationProperty"),
    ("individuals", "Individuals", None),
)
RELATIONS = {
    "superclasses": RDFS + "subClassOf",
    "superproperties": RDFS + "subPropertyOf",
    "domain": RDFS + "domain",
    "range": RDFS + "range",
    "inverse": OWL + "inverseOf",
    "disjoint": OWL + "disjointWith",
    "equivalent": OWL + "equivalentClass",
    "types": RDF_TYPE,
}
TEXTS = {"label": RDFS + "label", "definition": SKOS + "definition", "comment": RDFS + "comment"}
RDF_FORMATS = {
    "text/turtle": "turtle",
    "application/ld+json": "jsonld",
    "application/rdf+xml": "rdfxml",
    "application/n-triples": "nt",
}
EXTENSIONS = {"ttl": "turtle", "jsonld": "jsonld", "rdf": "rdfxml", "nt": "nt"}


def ontology_graphs() -> list[str]:
    return sorted(g for g in store_graphs() if g.startswith(ONTOLOGY_GRAPHS))


def ontology_data() -> dict[str, Any]:
    """Every stkg: term with its texts, hierarchy, domain/range and alignments (cached)."""
    return state().caches.get("ontology", _build)


def _build() -> dict[str, Any]:
    graphs = ontology_graphs()
    rows = (
        store()
        .query(
            f"""SELECT ?g ?t ?p ?o WHERE {{ GRAPH ?g {{ ?t ?p ?o }}
          FILTER(STRSTARTS(STR(?g), "{ONTOLOGY_GRAPHS}") && STRSTARTS(STR(?t), "{STKG}")) }}""",
            default_graphs=[],
            named_graphs=graphs,
        )
        .rows
    )
    terms: dict[str, dict[str, Any]] = {}
    for g, t, p, o in rows:
        term = terms.setdefault(
            t.value,
            {
                "iri": t.value,
                "name": compact(t.value),
                **{k: None for k in TEXTS},
                **{k: [] for k in RELATIONS},
                "alignments": [],
            },
        )
        if g.value != CORE_GRAPH and not o.value.startswith(STKG) and p.value != RDF_TYPE:
            term["alignments"].append(
                {"property": compact(p.value), "iri": o.value, "name": compact(o.value)}
            )
            continue
        for key, prop in TEXTS.items():
            if p.value == prop and (term[key] is None or getattr(o, "language", None) == "en"):
                term[key] = o.value
        for key, prop in RELATIONS.items():
            if p.value == prop and hasattr(o, "value") and "://" in o.value:
                item = {"iri": o.value, "name": compact(o.value)}
                if item not in term[key]:
                    term[key].append(item)
    subclasses: dict[str, list[dict[str, str]]] = defaultdict(list)
    for term in terms.values():
        for parent in term["superclasses"] + term["superproperties"]:
            subclasses[parent["iri"]].append({"iri": term["iri"], "name": term["name"]})
    sections = {key: [] for key, _, _ in SECTIONS}
    for term in sorted(terms.values(), key=lambda x: x["name"].lower()):
        term["subterms"] = sorted(subclasses.get(term["iri"], []), key=lambda x: x["name"])
        types = {x["iri"] for x in term["types"]}
        for key, _, owl_type in SECTIONS:
            if owl_type is None or owl_type in types:
                if owl_type is None and not any(x["iri"].startswith(STKG) for x in term["types"]):
                    break  # neither a declared term nor an instance of an stkg class
                sections[key].append(term)
                break
    meta = (
        store()
        .query(
            """PREFIX dct: <http://purl.org/dc/terms/> PREFIX owl: <http://www.w3.org/2002/07/owl#>
        SELECT ?title ?description ?version ?license WHERE { BIND(<https://w3id.org/stkg> AS ?o)
          OPTIONAL { ?o dct:title ?title } OPTIONAL { ?o dct:description ?description }
          OPTIONAL { ?o owl:versionInfo ?version } OPTIONAL { ?o dct:license ?license }
        } LIMIT 1""",
            default_graphs=graphs,
        )
        .dicts()[0]
    )
    return {
        "ontology": {k: (v.value if v is not None else None) for k, v in meta.items()}
        | {"iri": "https://w3id.org/stkg", "graphs": graphs},
        "counts": {key: len(items) for key, items in sections.items()},
        "sections": [
            {"key": key, "title": title, "terms": sections[key]} for key, title, _ in SECTIONS
        ],
    }


def ontology_rdf(fmt: str) -> Response:
    """Both ontology modules (core and alignments) as one RDF document."""
    result = store().query(
        "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }", default_graphs=ontology_graphs()
    )
    body = result.serialize(fmt, PREFIXES if fmt == "turtle" else None)
    return Response(body, 200, content_type=CONTENT_TYPES[fmt])


@blueprint.get("/ontology")
def ontology_page() -> Response | str:
    explicit = request.args.get("format", "").strip().lower()
    if explicit:
        fmt = EXTENSIONS.get(explicit) or (explicit if explicit in RDF_FORMATS.values() else None)
        if explicit in ("html", "json"):
            fmt = explicit
        if fmt is None:
            abort(406, "format must be one of: html, json, turtle, jsonld, rdfxml, nt")
    else:
        offers = {"text/html": "html", "application/json": "json", **RDF_FORMATS}
        fmt = offers.get(request.accept_mimetypes.best_match(list(offers)) or "", "html")
    if fmt == "json":
        response = jsonify(ontology_data())
    elif fmt == "html":
        response = Response(render_template("ontology.html", data=ontology_data()))
    else:
        response = ontology_rdf(fmt)
    response.headers["Vary"] = "Accept"
    return response


@blueprint.get("/ontology.json")
def ontology_json() -> Response:
    return jsonify(ontology_data())


@blueprint.get("/ontology.<ext>")
def ontology_file(ext: str) -> Response:
    if ext not in EXTENSIONS:
        abort(404)
    return ontology_rdf(EXTENSIONS[ext])
