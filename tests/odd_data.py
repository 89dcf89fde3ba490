"""The example portfolio with odd triples added, as a fresh app, and every page requested.

The example project is loaded once per session and its quads kept; each app gets its own
in-memory store filled from them (tens of milliseconds) plus the odd triples, so the
explorer's per-store-version caches start empty and see the odd data.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import cache
from pathlib import Path

import flask
import pyoxigraph as ox
from flask import Flask

from page_urls import page_urls
from stkg.project import GRAPH_BASE, Project
from stkg.store import OxigraphStore
from stkg.web import create_app

ODD_GRAPH = ox.NamedNode(GRAPH_BASE + "data/odd.ttl")
PREFIXES = """\
@prefix stkg: <https://w3id.org/stkg#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix ex: <https://w3id.org/stkg/example/acme/> .
@prefix nist: <https://w3id.org/stkg/framework/nist-ai-rmf/> .
@prefix odd: <https://odd.example/> .
"""


@cache
def base_quads(root: str) -> tuple[ox.Quad, ...]:
    """The project's quads, loaded once."""
    store = Project(Path(root)).open_store()
    return tuple(ox.parse(store.export("nquads"), format=ox.RdfFormat.N_QUADS))


def odd_app(project: Project, quads: Iterable[ox.Quad]) -> Flask:
    """An app over the example portfolio plus `quads` (in the graph of a data file)."""
    store = OxigraphStore()
    store.add_quads(base_quads(str(project.root)))
    store.add_quads(ox.Quad(q.subject, q.predicate, q.object, ODD_GRAPH) for q in quads)
    return create_app({"STKG_QUERY_WORKERS": 0}, project=project, store=store)


def turtle_quads(text: str) -> list[ox.Quad]:
    return list(ox.parse(PREFIXES + text, format=ox.RdfFormat.TURTLE))


def server_errors(app: Flask, focus: Sequence[str], limit: int = 5) -> list[str]:
    """Every page requested (parameters from the data and `focus`); each 5xx with the
    exception behind it."""
    errors: list[str] = []
    failures: list[str] = []

    def record(sender: Flask, exception: BaseException, **extra: object) -> None:
        failures.append(f"{type(exception).__name__}: {exception}")

    client = app.test_client()
    with flask.got_request_exception.connected_to(record, app):
        for url in page_urls(app, focus, limit):
            failures.clear()
            status = client.get(url).status_code
            if status >= 500:
                errors.append(f"{status} {url} {'; '.join(failures)}")
    return errors
