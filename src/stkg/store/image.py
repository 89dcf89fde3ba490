"""An on-disk store's image: its content as one N-Quads file, for fast in-memory copies.

Analytical work (validation, reports, classification, queries) on a RocksDB store reads
every pattern from disk: `stkg --store DIR validate` was 6x slower than in memory. Loading
the store's N-Quads into a new in-memory Oxigraph store is much faster than reading RocksDB
for every pattern (docs/decisions.md, "An on-disk store reads from its image"), so the
embedded backend keeps `DIR/stkg-image.nq` beside RocksDB, which stays the durable copy.

Safe under kill -9 and never stale: before a write touches RocksDB, `invalidate` writes a
new version to `DIR/stkg-version`; after it, `write` dumps the store to a temporary file,
fsyncs it, renames it into place and records, in `DIR/stkg-image.json`, the version and the
image's size. An image is used only when its record names the current version and its size
is the recorded one; otherwise it is rebuilt from RocksDB.

`DIR/stkg-manifest.json` records, per graph loaded from a file, the file's path, size, mtime
and SHA-256, so that loading an unchanged file again (every command loads the project) skips
it. Any write other than a load forgets the graphs it may have changed.
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from pathlib import Path

import pyoxigraph as ox

from stkg.rdf_files import Source

IMAGE = "stkg-image.nq"
RECORD = "stkg-image.json"
VERSION = "stkg-version"
MANIFEST = "stkg-manifest.json"


def _write_atomically(path: Path, data: bytes) -> None:
    """Write `data` to `path` whole or not at all: a temporary file, fsync, rename, fsync the
    folder (a killed write leaves at most a temporary file nobody reads)."""
    temporary = path.with_name(f".{path.name}.tmp")
    with temporary.open("wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    os.replace(temporary, path)
    _sync_folder(path.parent)


def _sync_folder(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def version(folder: Path) -> str | None:
    try:
        return (folder / VERSION).read_text(encoding="utf-8").strip() or None
    except OSError:
        return None


def invalidate(folder: Path) -> None:
    """Before a write: a new store version, so the image on disk is stale from now on."""
    _write_atomically(folder / VERSION, uuid.uuid4().hex.encode())


def write(store: ox.Store, folder: Path) -> Path:
    """Dump the store as the image of the current version (made if there is none)."""
    current = version(folder)
    if current is None:
        invalidate(folder)
        current = version(folder)
    image = folder / IMAGE
    temporary = image.with_name(f".{IMAGE}.tmp")
    with temporary.open("wb") as out:
        store.dump(out, format=ox.RdfFormat.N_QUADS)
        out.flush()
        os.fsync(out.fileno())
    os.replace(temporary, image)
    _sync_folder(folder)
    record = {"version": current, "size": image.stat().st_size}
    _write_atomically(folder / RECORD, json.dumps(record).encode())
    return image


def current(folder: Path) -> Path | None:
    """The image, when it holds the store's current content; None when stale or damaged."""
    image = folder / IMAGE
    try:
        record = json.loads((folder / RECORD).read_text(encoding="utf-8"))
        size = image.stat().st_size
    except (OSError, ValueError):
        return None
    if not isinstance(record, dict) or record.get("version") != version(folder):
        return None
    return image if record.get("size") == size else None


def load(image: Path) -> ox.Store:
    """A new in-memory store from an image. With `load`, not `bulk_load`: the compiled
    validation queries took 5.2 s on a bulk-loaded in-memory store and 3.1 s on a loaded one
    (10,000 systems), for about the same load time. Lenient: the image is Oxigraph's own
    dump of terms it checked when they were loaded, and skipping the IRI and language tag
    checks parses it about 20% faster (2.7 s instead of 3.3 s for 840,000 triples)."""
    store = ox.Store()
    store.load(path=image, format=ox.RdfFormat.N_QUADS, lenient=True)
    return store


# --- the manifest of loaded files ------------------------------------------------------------


def fingerprint(source: Source) -> dict[str, object]:
    """What the manifest records of a file: path, size, mtime and SHA-256."""
    stat = source.path.stat()
    digest = hashlib.sha256()
    with source.path.open("rb") as file:
        while chunk := file.read(1 << 20):
            digest.update(chunk)
    return {
        "path": str(source.path.resolve()),
        "size": stat.st_size,
        "mtime": stat.st_mtime,
        "sha256": digest.hexdigest(),
    }


def manifest(folder: Path) -> dict[str, dict]:
    """Graph -> the fingerprint and triple count of the file loaded into it."""
    try:
        found = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return found if isinstance(found, dict) else {}


def unchanged(folder: Path, source: Source, graphs: set[str]) -> int | None:
    """The triple count of `source` when the same file is loaded in its graph already."""
    entry = manifest(folder).get(source.graph)
    if not isinstance(entry, dict) or source.graph not in graphs:
        return None
    try:
        stat = source.path.stat()
    except OSError:
        return None
    if entry.get("path") != str(source.path.resolve()) or entry.get("size") != stat.st_size:
        return None
    if entry.get("sha256") != fingerprint(source)["sha256"]:
        return None
    triples = entry.get("triples")
    return triples if isinstance(triples, int) else None


def record_loads(folder: Path, loaded: dict[str, tuple[Source, int]]) -> None:
    """After a load: these graphs hold these files (and these many triples)."""
    entries = manifest(folder)
    for graph, (source, triples) in loaded.items():
        entries[graph] = {**fingerprint(source), "triples": triples}
    _write_atomically(folder / MANIFEST, json.dumps(entries, indent=1).encode())


def forget(folder: Path, graphs: list[str] | None = None) -> None:
    """Before another write: these graphs (None: any) may no longer hold their files."""
    entries = manifest(folder)
    if not entries:
        return
    kept = {} if graphs is None else {g: e for g, e in entries.items() if g not in graphs}
    if kept != entries:
        _write_atomically(folder / MANIFEST, json.dumps(kept, indent=1).encode())
