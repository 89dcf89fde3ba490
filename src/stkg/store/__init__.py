"""The quad store behind stkg: one `Store` protocol, and `open_store` choosing the backend.

`stkg.store.base` holds the protocol and the values it trades in; `stkg.store.embedded` the
embedded Oxigraph backend. Callers import from here.
"""

from __future__ import annotations

import re
from pathlib import Path

from stkg.errors import StkgError
from stkg.rdf_files import RDF_FORMATS, Source, check_syntax, read_quads
from stkg.store.base import (
    EXPORT_FORMATS,
    PREFIXES,
    Capabilities,
    LoadReport,
    QueryOptions,
    QueryRequest,
    Store,
    Term,
)
from stkg.store.embedded import OxigraphStore, query_error, query_options

__all__ = [
    "EXPORT_FORMATS",
    "PREFIXES",
    "RDF_FORMATS",
    "Capabilities",
    "LoadReport",
    "OxigraphStore",
    "QueryOptions",
    "QueryRequest",
    "Source",
    "Store",
    "Term",
    "check_syntax",
    "open_store",
    "query_error",
    "query_options",
    "read_quads",
]

_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


def open_store(spec: str | Path | None = None) -> Store:
    """The store `spec` names: nothing for an embedded store in memory, a folder path for an
    embedded store on disk. A URL is never taken for a folder name."""
    if spec is None or isinstance(spec, Path):
        return OxigraphStore(spec)
    if _URL.match(spec):
        raise StkgError(
            f"{spec}: a remote SPARQL store is not supported by this version of stkg; "
            "give a folder for an embedded store"
        )
    return OxigraphStore(spec)
