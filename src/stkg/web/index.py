"""The start page: what was loaded. `/` and its JSON twin `/index.json`."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, jsonify, render_template

from stkg import __version__
from stkg.summary import summarize

blueprint = Blueprint("index", __name__)


def index_data() -> dict[str, Any]:
    stkg = current_app.extensions["stkg"]
    return {"version": __version__, **summarize(stkg["store"], stkg["project"])}


@blueprint.get("/")
def index() -> str:
    return render_template("index.html", data=index_data())


@blueprint.get("/index.json")
def index_json() -> Response:
    return jsonify(index_data())
