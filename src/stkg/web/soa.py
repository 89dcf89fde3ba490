"""`/frameworks/<slug>/soa`: a framework's statement of applicability, with downloads.

The data is `stkg.soa.soa_data` over the validation results the explorer already holds
(`gap_index().report`); the page is its HTML, the twins are JSON,
CSV, XLSX and Markdown from `stkg.soa.formats` — the same files `stkg report --soa` writes.
`?kind=control` keeps one kind of requirement (ISO/IEC 42001's Annex A controls).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, jsonify, render_template, request, url_for
from markupsafe import Markup

from stkg.soa import requirement_kinds, soa_data
from stkg.soa.formats import FORMATS, MEDIA_TYPES, SUFFIXES, to_html
from stkg.web.errors import plain
from stkg.web.frameworks import resolve_framework
from stkg.web.gaps import gap_index
from stkg.web.state import state, still_computing
from stkg.web.terms import describe, store

blueprint = Blueprint("soa", __name__)

PAGE_SYSTEMS = 10  # failing systems listed per requirement on the page; downloads hold all
DOWNLOADS = ("csv", "xlsx", "markdown")
COMPUTING = (
    "Still computing the validation results this statement rests on; "
    "it appears here when they are ready (reload in a moment)."
)


def statement(slug: str) -> dict[str, Any]:
    """The statement of `slug`'s framework (404 for none), for `?kind=` if given, over the
    validation results the explorer keeps; once per store version and kind (0.8 s at
    10,000 systems, about 8 s at 100,000), saved with the store's caches."""
    framework = resolve_framework(slug)
    kind = request.args.get("kind") or None
    if kind is not None:
        known = requirement_kinds(store(), framework)
        if kind not in known:
            listed = ", ".join(known) or "none"
            abort(400, f"no requirement of kind {kind!r} in {slug} (kinds: {listed})")
    gap_index()
    if "gaps" in still_computing():  # a statement from no results would claim compliance
        label = describe([framework]).get(framework)
        return {
            "framework": {"iri": framework, "slug": slug, "label": label.label if label else slug},
            "kind": kind,
            "computing": True,
        }
    return cached_statement(framework, kind)


def cached_statement(framework: str, kind: str | None = None) -> dict[str, Any]:
    """The statement of `framework` (an IRI) for this store version; wait for the gap
    report first (a statement from no results would claim compliance)."""
    return state().caches.get(
        f"soa {framework} {kind or ''}",
        lambda: soa_data(store(), framework, gap_index().report, kind),
    )


@blueprint.get("/frameworks/<slug>/soa")
def soa_page(slug: str) -> str:
    data = statement(slug)
    if data.get("computing"):
        body = Markup(f"<p>{COMPUTING}</p>")
    else:
        body = Markup(to_html(data, page="report/soa_body.html", limit=PAGE_SYSTEMS, link=_link))
    return render_template("soa.html", data=data, slug=slug, body=body, downloads=DOWNLOADS)


def _link(iri: str) -> str:
    return url_for("resource.resource_page", iri=iri)


@blueprint.get("/frameworks/<slug>/soa.json")
def soa_json(slug: str) -> Response:
    return jsonify(statement(slug))


@blueprint.get("/frameworks/<slug>/soa.<ext>")
def soa_download(slug: str, ext: str) -> Response:
    name = {"md": "markdown"}.get(ext, ext)
    if name not in DOWNLOADS:
        abort(404, f"no statement of applicability as {ext!r} (formats: json, csv, xlsx, md)")
    data = statement(slug)
    if data.get("computing"):
        return plain(503, COMPUTING, {"Retry-After": "5"})
    response = Response(FORMATS[name](data), 200, content_type=MEDIA_TYPES[name])
    filename = f"soa-{data['framework']['slug']}.{SUFFIXES[name]}"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
