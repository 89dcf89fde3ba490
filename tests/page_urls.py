"""Every page of the app as a URL to request, with its parameters filled from the data.

The list is derived from `app.url_map`: each endpoint has a filler that names the URLs to
try for it (a system page for each system of interest, a framework page for each framework,
a named query with each of its parameters set to an IRI of interest, …). An endpoint without
a filler fails the test that asks for the URLs, so a new route cannot be forgotten.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from urllib.parse import urlencode

from flask import Flask

from stkg.web.assets import ASSETS
from stkg.web.ontology import EXTENSIONS
from stkg.web.state import state

SYSTEM_CLASS = "https://w3id.org/stkg#SocialTechnicalSystem"
FRAMEWORK_BASE = "https://w3id.org/stkg/framework/"
FACETS = {
    "impact": "https://w3id.org/stkg#impactLevel",
    "stage": "https://w3id.org/stkg#lifecycleStage",
    "tier": "https://w3id.org/stkg#euAIActTier",
}


class Data:
    """What the fillers need from the store, asked once."""

    def __init__(self, app: Flask, focus: Iterable[str], limit: int) -> None:
        store = state(app).store
        self.project = state(app).project
        self.focus = sorted(set(focus))

        def values(text: str) -> list[str]:
            return sorted({row[0].value for row in store.query(text).rows if row[0] is not None})

        systems = values(
            "SELECT DISTINCT ?s WHERE { ?c <http://www.w3.org/2000/01/rdf-schema#subClassOf>* "
            f"<{SYSTEM_CLASS}> . ?s a ?c FILTER(isIRI(?s)) }}"
        )
        self.systems = [s for s in self.focus if s in systems][:limit] + systems[:1]
        self.frameworks = values(
            "SELECT DISTINCT ?f WHERE { ?c <http://www.w3.org/2000/01/rdf-schema#subClassOf>* "
            "<https://w3id.org/stkg#Framework> . ?f a ?c }"
        )
        self.facet_values = {
            name: values(f"SELECT DISTINCT ?o WHERE {{ ?s <{p}> ?o }}")
            for name, p in FACETS.items()
        }
        self.iris = [i for i in self.focus if "://" in i][:limit] or systems[:1]
        self.graphs = sorted(store.graph_names())[:2]


def _url(path: str, **params: str) -> str:
    return path + ("?" + urlencode(params) if params else "")


def _slugs(data: Data) -> list[str]:
    slugs = [f[len(FRAMEWORK_BASE) :] for f in data.frameworks if f.startswith(FRAMEWORK_BASE)]
    return [s for s in slugs if s and "/" not in s] + ["no-such-framework"]


def _systems(data: Data, path: str) -> list[str]:
    urls = [path, _url(path, q="a"), _url(path, sort="stage", dir="desc")]
    urls += [_url(path, sort=s) for s in ("impact", "tier", "system")]
    for name, found in data.facet_values.items():
        urls += [_url(path, **{name: v}) for v in found[:20]] + [_url(path, **{name: "none"})]
    urls += [_url(path, shape=i) for i in data.iris[:3]]
    urls += [_url(path, framework=f) for f in data.frameworks[:3]]
    urls += [_url(path, implements=i) for i in data.iris[:3]]
    return urls


def _crosswalk(data: Data, path: str) -> list[str]:
    urls = [path]
    pairs = list(zip(data.frameworks, data.frameworks[1:] + data.frameworks[:1], strict=True))
    for source, target in pairs[:3]:
        urls.append(_url(path, source=source, target=target))
        urls += [_url(path, source=source, target=target, row=i, col=i) for i in data.iris[:3]]
    return urls


def _gaps(data: Data, path: str) -> list[str]:
    urls = [path, _url(path, group="requirement")]
    urls += [_url(path, sort="name"), _url(path, view="matrix"), _url(path, tier="high-risk")]
    urls += [_url(path, group="requirement", sort="priority", view="matrix")]
    urls += [_url(path, tier=v, severity="Violation") for v in data.facet_values["tier"][:3]]
    urls += [_url(path, system=i) for i in data.iris[:5]]
    urls += [_url(path, framework=f, group="requirement") for f in data.frameworks[:3]]
    urls += [_url(path, requirement=i, group="requirement") for i in data.iris[:3]]
    return urls


def _queries(data: Data, ext: str) -> list[str]:
    from stkg.queries import named_queries

    urls = []
    for query in named_queries(data.project).values():
        urls += [f"/queries/{query.id}{ext}", f"/queries/{query.id}{ext}?page=2&per_page=1"]
        for iri in data.iris[:3]:
            urls.append(_url(f"/queries/{query.id}{ext}", **{p.name: iri for p in query.params}))
    return [*urls, f"/queries/no-such-query{ext}"]


def _sparql(data: Data, path: str) -> list[str]:
    return [path] + [
        _url(path, query=f"SELECT * WHERE {{ <{i}> ?p ?o }} LIMIT 20") for i in data.iris[:3]
    ]


def _static(app: Flask) -> list[str]:
    folder = Path(app.static_folder or "")
    return [f"/static/{p.name}" for p in sorted(folder.glob("*")) if p.is_file()]


FILLERS: dict[str, Callable[[Flask, Data], list[str]]] = {
    "static": lambda app, d: _static(app),
    "index.index": lambda app, d: ["/"],
    "index.index_json": lambda app, d: ["/index.json"],
    "systems.systems_page": lambda app, d: _systems(d, "/systems"),
    "systems.systems_json": lambda app, d: _systems(d, "/systems.json"),
    "systems.systems_csv": lambda app, d: _systems(d, "/systems.csv"),
    "system.system_page": lambda app, d: [_url("/system", iri=s) for s in d.systems + d.iris],
    "system.system_json": lambda app, d: [_url("/system.json", iri=s) for s in d.systems + d.iris],
    "resource.resource_page": lambda app, d: [
        _url("/resource", iri=i, **f) for i in d.iris for f in ({}, {"format": "turtle"})
    ],
    "resource.resource_json": lambda app, d: [_url("/resource.json", iri=i) for i in d.iris],
    "frameworks.frameworks_page": lambda app, d: ["/frameworks"],
    "frameworks.frameworks_json": lambda app, d: ["/frameworks.json"],
    "frameworks.framework_page": lambda app, d: [f"/frameworks/{s}" for s in _slugs(d)],
    "frameworks.framework_json": lambda app, d: [f"/frameworks/{s}.json" for s in _slugs(d)],
    "frameworks.framework_csv": lambda app, d: [f"/frameworks/{s}.csv" for s in _slugs(d)],
    "crosswalk.crosswalk_page": lambda app, d: _crosswalk(d, "/crosswalk"),
    "crosswalk.crosswalk_json": lambda app, d: _crosswalk(d, "/crosswalk.json"),
    "crosswalk.crosswalk_csv": lambda app, d: _crosswalk(d, "/crosswalk.csv"),
    "gaps.gaps_page": lambda app, d: _gaps(d, "/gaps"),
    "gaps.gaps_json": lambda app, d: _gaps(d, "/gaps.json"),
    "gaps.gaps_csv": lambda app, d: _gaps(d, "/gaps.csv"),
    "search.search_page": lambda app, d: ["/search", "/search?q=loan"],
    "search.search_json": lambda app, d: ["/search.json?q=system"],
    "ontology.ontology_page": lambda app, d: ["/ontology", "/ontology?format=turtle"],
    "ontology.ontology_json": lambda app, d: ["/ontology.json"],
    "ontology.ontology_file": lambda app, d: [f"/ontology.{e}" for e in EXTENSIONS],
    "sparql.sparql": lambda app, d: _sparql(d, "/sparql"),
    "queries.query_list": lambda app, d: ["/queries"],
    "queries.query_list_json": lambda app, d: ["/queries.json"],
    "queries.query_page": lambda app, d: _queries(d, ""),
    "queries.query_json": lambda app, d: _queries(d, ".json"),
    "queries.query_csv": lambda app, d: _queries(d, ".csv"),
    "assets.asset": lambda app, d: [f"/assets/{name}" for name in ASSETS],
    "editor.editor": lambda app, d: [*_sparql(d, "/editor"), "/editor?example=system-profile"],
    "editor.editor_json": lambda app, d: _sparql(d, "/editor.json"),
    "openapi.openapi": lambda app, d: ["/openapi.json"],
    # one framework's statement and downloads (each is a validation's worth of work)
    "soa.soa_page": lambda app, d: [
        *(f"/frameworks/{s}/soa" for s in _slugs(d)[:1]),
        "/frameworks/no-such-framework/soa",
        *(f"/frameworks/{s}/soa?kind=control" for s in _slugs(d)[:1]),
    ],
    "soa.soa_json": lambda app, d: [f"/frameworks/{s}/soa.json" for s in _slugs(d)[:1]],
    "soa.soa_download": lambda app, d: [
        f"/frameworks/{s}/soa.{e}" for s in _slugs(d)[:1] for e in ("csv", "xlsx", "md", "pdf")
    ],
    "write.import_page": lambda app, d: ["/import"],
    "write.import_json": lambda app, d: ["/import.json"],
    "write.graph_get": lambda app, d: [
        "/graph",
        *(_url("/graph", graph=g) for g in [*d.graphs, *d.iris]),
    ],
}


def page_urls(app: Flask, focus: Iterable[str] = (), limit: int = 5) -> list[str]:
    """Every GET route's URLs, filled from the data; `focus` IRIs are the ones of interest
    (system, resource and query parameters; at most `limit` of them). Raises KeyError for a
    route without a filler."""
    data = Data(app, focus, limit)
    urls: list[str] = []
    for rule in app.url_map.iter_rules():
        if "GET" not in (rule.methods or ()):
            continue
        if rule.endpoint not in FILLERS:
            raise KeyError(f"no URLs to request for {rule.rule} ({rule.endpoint}): add a filler")
        urls += FILLERS[rule.endpoint](app, data)
    return list(dict.fromkeys(urls))
