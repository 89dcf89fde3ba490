"""The quad store behind stkg: one `Store` protocol, and `open_store` choosing the backend.

`stkg.store.base` holds the protocol and the values it trades in; `stkg.store.embedded` the
embedded Oxigraph backend; `stkg.store.remote` a SPARQL server over HTTP, with
`stkg.store.probe` and `stkg.store.rewrite` keeping its answers right. Callers import from here.
"""

from __future__ import annotations

import os
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
from stkg.store.remote import RemoteStore, is_url
from stkg.store.remote_wire import AnswerCut

__all__ = [
    "EXPORT_FORMATS",
    "PREFIXES",
    "RDF_FORMATS",
    "AnswerCut",
    "Capabilities",
    "LoadReport",
    "OxigraphStore",
    "QueryOptions",
    "QueryRequest",
    "RemoteStore",
    "Source",
    "Store",
    "Term",
    "check_syntax",
    "for_reading",
    "is_remote",
    "open_store",
    "query_error",
    "query_options",
    "read_quads",
]

_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


def is_remote(spec: object) -> bool:
    """Whether a store spec names a server (an http(s) URL) rather than a folder."""
    return is_url(spec)


def for_reading(store: Store) -> Store:
    """The store to read from for analytical work (validation, reports, classification,
    queries): its in-memory copy when it has one (an on-disk store: 2-3x faster than reading
    RocksDB, docs/decisions.md), else the store itself (in memory already, or a server)."""
    return store.memory_copy() if store.capabilities.memory_copy else store


def open_store(
    spec: str | Path | None = None,
    *,
    update_url: str | None = None,
    user: str | None = None,
    password: str | None = None,
    timeout: float | None = None,
) -> Store:
    """The store `spec` names: nothing for an embedded store in memory, a folder path for an
    embedded store on disk, an http(s) URL for a SPARQL server's query endpoint. For a
    server, what is not given comes from `STKG_UPDATE_URL`, `STKG_STORE_USER` and
    `STKG_STORE_PASSWORD`. A URL is never taken for a folder name."""
    if spec is None or isinstance(spec, Path):
        return OxigraphStore(spec)
    if is_url(spec):
        return RemoteStore(
            spec,
            update_url=update_url or os.environ.get("STKG_UPDATE_URL") or None,
            user=user or os.environ.get("STKG_STORE_USER") or None,
            password=password or os.environ.get("STKG_STORE_PASSWORD") or None,
            timeout=timeout,
        )
    if _URL.match(spec):
        raise StkgError(f"{spec}: a store is a folder or an http(s):// URL of a SPARQL endpoint")
    return OxigraphStore(spec)
