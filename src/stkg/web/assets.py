"""`/assets/…`: the front-end libraries (YASGUI, Cytoscape.js), served from `node_modules`.

They come from the npm registry through `package.json` and its lock file, installed by
`scripts/setup` into the ignored `node_modules/` folder: nothing third-party is committed,
and a wheel carries none of it. Only the files named in `ASSETS` are served, so the route
never exposes the rest of the folder. When a file is missing, `asset_url()` answers None and
the pages leave the script out: they work, more plainly, without it.

The folder is the app's `STKG_NODE_MODULES` setting, else the environment variable of the
same name, else `node_modules/` in the project folder or in the source checkout.
"""

from __future__ import annotations

import os
from pathlib import Path

from flask import Blueprint, Response, abort, current_app, send_file, url_for

from stkg.web.state import state

blueprint = Blueprint("assets", __name__)

# URL path under /assets/ → path under node_modules/. The whole whitelist.
ASSETS = {
    "yasgui/yasgui.min.js": "@zazuko/yasgui/build/yasgui.min.js",
    "yasgui/yasgui.min.css": "@zazuko/yasgui/build/yasgui.min.css",
    "cytoscape/cytoscape.min.js": "cytoscape/dist/cytoscape.min.js",
}
MAX_AGE = 3600  # seconds; the files change only when the lock file does


def node_modules() -> Path | None:
    """The node_modules folder to serve from, or None when there is none."""
    configured = current_app.config.get("STKG_NODE_MODULES") or os.environ.get("STKG_NODE_MODULES")
    if configured:
        candidates = [Path(configured)]
    else:
        project = state().project
        checkout = Path(__file__).resolve().parents[3]  # src/stkg/web/assets.py → checkout
        candidates = [project.root / "node_modules", checkout / "node_modules"]
    return next((c for c in candidates if c.is_dir()), None)


def asset_path(name: str) -> Path | None:
    """The file behind a whitelisted asset name, when it is installed."""
    if name not in ASSETS:
        return None
    folder = node_modules()
    if folder is None:
        return None
    path = folder / ASSETS[name]
    return path if path.is_file() else None


def asset_url(name: str) -> str | None:
    """The URL of an installed asset, or None: templates include a script only if present."""
    return url_for("assets.asset", name=name) if asset_path(name) else None


@blueprint.get("/assets/<path:name>")
def asset(name: str) -> Response:
    path = asset_path(name)
    if path is None:
        abort(404)
    return send_file(path, max_age=MAX_AGE, conditional=True)


@blueprint.app_context_processor
def _asset_helpers() -> dict[str, object]:
    return {"asset_url": asset_url}
