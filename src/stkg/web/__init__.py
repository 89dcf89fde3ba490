"""The web app: a Flask application factory.

`create_app()` builds everything when it is called, never at import: it finds the project,
opens the store and loads the project into it. Every page is a data function plus a render
step, and every HTML page has a JSON twin computed by the same data function.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask

from stkg import __version__
from stkg.project import Project
from stkg.store import Store


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
    )
    if config:
        app.config.update(config)
    app.json.sort_keys = False  # keep the data functions' order
    app.debug = False  # the Werkzeug debugger is remote code execution; never on

    project = project or Project.find(app.config["STKG_PROJECT"])
    if store is None:
        store = project.open_store(app.config["STKG_STORE"])
    app.extensions["stkg"] = {"project": project, "store": store}

    from stkg.web import index

    app.register_blueprint(index.blueprint)

    @app.context_processor
    def _globals() -> dict[str, Any]:
        return {"stkg_version": __version__}

    return app
