"""The web app: a Flask application factory.

`create_app()` builds everything when it is called, never at import: it finds the project,
opens the store and loads the project into it. Every page is a data function plus a render
step, and every HTML page has a JSON twin computed by the same data function.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from typing import Any

from flask import Flask

from stkg import __version__
from stkg.project import Project
from stkg.store import Store
from stkg.web.admission import AD_HOC, NAMED
from stkg.web.state import Settings, WebState, register_computing, state


def create_app(
    config: Mapping[str, Any] | None = None,
    *,
    project: Project | None = None,
    store: Store | None = None,
) -> Flask:
    """Build the app. Config keys: `STKG_PROJECT` (folder), `STKG_STORE` (on-disk store
    folder); an already opened `project` and `store` may be passed instead."""
    app = Flask(__name__)
    app.config.update(
        STKG_PROJECT=None,
        STKG_STORE=None,
        MAX_CONTENT_LENGTH=1 * 1024 * 1024,  # Flask has no request size limit by default
        # The SPARQL endpoint (stkg.web.sparql, README "SPARQL endpoint and named queries").
        STKG_QUERY_TIMEOUT=10.0,  # seconds; a query past it is stopped and answered 503
        STKG_QUERY_WORKERS=2,  # ad-hoc worker processes; 0 runs queries in the server, untimed
        STKG_NAMED_QUERY_WORKERS=1,  # workers reserved for named queries (stkg.web.admission)
        STKG_ADHOC_QUEUE=4,  # ad-hoc requests that may wait for a worker; more get 503
        STKG_MAX_ROWS=10_000,  # rows (or triples) per answer; more are cut and flagged
        STKG_MAX_ANSWER_BYTES=64 * 1024 * 1024,  # bytes per answer; more are cut and flagged
        STKG_WORKER_MEMORY=1024,  # MiB of data per query worker (RLIMIT_DATA); 0: no cap
        STKG_WORKER_COPY=True,  # workers share a copy of the snapshot in memory
        STKG_ANSWER_CACHE_BYTES=64 * 1024 * 1024,  # answers kept until the store changes
        # The query gate (stkg.sandbox, docs/security.md): each over-limit query gets 400.
        STKG_MAX_QUERY_LENGTH=100_000,  # characters
        STKG_MAX_NESTING=256,  # brackets, braces and parentheses
        STKG_MAX_EXPRESSION_LENGTH=1000,  # operators in one expression
        STKG_MAX_PATH_LENGTH=100,  # steps in one property path
        STKG_MAX_PATTERN_LENGTH=256,  # triple patterns in one group
        STKG_CORS_ORIGINS="*",  # comma-separated origins; "" sends no CORS headers
        STKG_UPDATE_TOKEN=None,  # SPARQL Update is refused (403) unless this is set
        # The explorer's caches (stkg.web.state): built in a background thread at start while
        # pages answer with what is ready (`stkg serve` turns it on), saved with the store.
        STKG_BACKGROUND=False,
        STKG_WARM_GATE=None,  # a threading.Event the warm-up waits for (tests hold it back)
        STKG_WARM_DONE=None,  # called with the warm-up's seconds when it ends (`stkg serve`)
    )
    if config:
        app.config.update(config)
    app.json.sort_keys = False  # keep the data functions' order
    app.debug = False  # the Werkzeug debugger is remote code execution; never on

    project = project or Project.find(app.config["STKG_PROJECT"])
    if store is None:
        store = project.open_store(app.config["STKG_STORE"])
    web = WebState(store=store, project=project, settings=Settings.of(app.config))
    app.extensions["stkg"] = web
    web.restore_caches()  # saved for this store version: every page complete at once
    register_computing(app)

    from stkg.web import errors, index

    errors.register(app)  # one plain-text error format, Allow on every 405
    app.register_blueprint(index.blueprint)

    # The explorer (README "Explorer"): one module per page noun.
    from stkg.web import crosswalk, frameworks, gaps, ontology, resource, search, system, systems

    for module in (systems, system, resource, frameworks, crosswalk, gaps, search, ontology):
        app.register_blueprint(module.blueprint)
    from stkg.web import soa, write

    app.register_blueprint(soa.blueprint)  # /frameworks/<slug>/soa (issue 15)
    app.register_blueprint(write.blueprint)  # POST /import, /graph (issue 15)

    from stkg.web import queries, sparql

    app.register_blueprint(sparql.blueprint)
    app.register_blueprint(queries.blueprint)

    from stkg.web import assets, editor, openapi

    app.register_blueprint(assets.blueprint)
    app.register_blueprint(editor.blueprint)
    app.register_blueprint(openapi.blueprint)  # /openapi.json: every route above, described

    from stkg.web.tables import counted, thousands

    app.add_template_filter(thousands)  # the one number format: 10,015
    app.add_template_filter(counted)  # "1 system", "2 systems"

    @app.context_processor
    def _globals() -> dict[str, Any]:
        return {"stkg_version": __version__}

    if app.config["STKG_BACKGROUND"]:
        start_warm_up(app)
    return app


def start_warm_up(app: Flask) -> threading.Thread:
    """Warm the caches in a background thread; until it ends, pages take placeholders for
    what is not ready and say so. The caches are saved with the store when it ends."""
    web = state(app)
    web.caches.warming.set()
    thread = threading.Thread(target=_warm_up, args=(app,), name="stkg-warm", daemon=True)
    web.warm_up = thread
    thread.start()
    return thread


def _warm_up(app: Flask) -> None:
    web = state(app)
    web.caches.mark_warm_up()
    try:
        for lane in (NAMED, AD_HOC):  # start the query workers before the first query
            web.executor(lane)
        gate = app.config["STKG_WARM_GATE"]
        if gate is not None:
            gate.wait()
        before = sum(web.caches.computed.values())
        started = time.monotonic()
        warm(app)
        if sum(web.caches.computed.values()) > before:  # else they came from the saved file
            web.save_caches()
        done = app.config["STKG_WARM_DONE"]
        if done is not None:
            done(time.monotonic() - started)
    except Exception as error:  # a page computes it again and reports it; serving goes on
        app.logger.exception("could not prepare the explorer's caches: %s", error)
    finally:
        web.caches.warming.clear()


def warm(app: Flask) -> None:
    """Compute what the explorer pages cache (EU AI Act tiers, validation results, the
    portfolio and search indexes, the counts on the start page and the framework pages)
    before the first visitor needs it: at 100,000 systems that is over a minute, which
    would otherwise fall on the first page view. `stkg serve` runs this in a background
    thread; pages that arrive earlier wait on the same locks, never compute twice."""
    from stkg.web.classification import classifications
    from stkg.web.frameworks import framework_data, frameworks_data
    from stkg.web.gaps import gap_index
    from stkg.web.index import dashboard_data, summary
    from stkg.web.portfolio import portfolio_index
    from stkg.web.search import search_index
    from stkg.web.soa import cached_statement

    with app.test_request_context():  # the dashboard's links need a request's URL adapter
        summary()  # the start page's counts: cheap, and asked for by every start page
        classifications()
        portfolio_index()
        search_index()
        gap_index().worst_first()  # the order of /gaps and the dashboard's worst first
        portfolio_index().ordered("label", "asc")  # the table's default order
        summary()
        dashboard_data()  # the unfiltered facet counts
        for framework in frameworks_data()["frameworks"]:  # their implementation counts
            framework_data(framework["iri"])
            cached_statement(framework["iri"])  # its statement of applicability
