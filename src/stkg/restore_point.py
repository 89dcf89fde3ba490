"""A restore point beside an on-disk store, so that a reload is all-or-nothing.

Replacing a graph is "drop the old graph, bulk-load the new file", and neither step can
share one transaction with the other: Oxigraph's bulk loader writes outside transactions,
and moving a staged graph into place in one transaction (`MOVE GRAPH`) took 9.4 s and
202 s with 3.8 GB of memory at 101k and 842k triples (docs/decisions.md). A RocksDB
checkpoint, by contrast, hard-links the store's files and took 2 ms at 842k triples.

So a load first makes `STORE.restore` (a checkpoint, renamed into place only once
complete), then writes, then discards it (renamed away, then deleted). The next open of a
store that still has one — the load was killed — puts it back in place of the store:
the store holds the old content, or the new content once the restore point is gone,
never neither. Nothing half-loaded is ever visible, because only the process holding
the store's lock reads it, and that process rolls back before anything else.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pyoxigraph as ox

_SUFFIXES = ("restore", "restore-partial", "restore-discarded", "rolled-back")


def _sibling(path: Path, suffix: str) -> Path:
    return path.with_name(f"{path.name}.{suffix}")


def restore_dir(path: Path) -> Path:
    """Where the restore point of the store at `path` lives while a load runs."""
    return _sibling(path, "restore")


def create(store: ox.Store, path: Path) -> None:
    """Checkpoint the store; the restore point exists only once it is complete."""
    clean(path)
    store.flush()
    partial = _sibling(path, "restore-partial")
    store.backup(str(partial))
    os.rename(partial, restore_dir(path))
    _sync_folder(path.parent)


def discard(path: Path) -> None:
    """The load is complete and flushed: forget the old content."""
    discarded = _sibling(path, "restore-discarded")
    os.rename(restore_dir(path), discarded)
    _sync_folder(path.parent)
    shutil.rmtree(discarded, ignore_errors=True)


def pending(path: Path) -> bool:
    return restore_dir(path).is_dir()


def roll_back(path: Path) -> None:
    """Put the restore point in place of the store (which must be closed). Each step is a
    rename, so a kill during a roll back is finished by the next open."""
    rolled = _sibling(path, "rolled-back")
    shutil.rmtree(rolled, ignore_errors=True)
    os.rename(path, rolled)
    os.rename(restore_dir(path), path)
    _sync_folder(path.parent)
    shutil.rmtree(rolled, ignore_errors=True)


def finish_interrupted_roll_back(path: Path) -> None:
    """A roll back killed between its two renames left no store but a restore point."""
    if not path.exists() and pending(path):
        os.rename(restore_dir(path), path)


def clean(path: Path) -> None:
    """Remove what a killed load or roll back left beside the store, except a complete
    restore point (call only while holding the store's lock)."""
    for suffix in _SUFFIXES[1:]:
        shutil.rmtree(_sibling(path, suffix), ignore_errors=True)


def _sync_folder(folder: Path) -> None:
    """Make the renames durable (a rename is atomic, but lives in the folder's entry)."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)
