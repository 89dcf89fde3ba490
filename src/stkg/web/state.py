"""The web app's state: one typed object, built by `create_app`, reached with `state()`.

It holds the store and project, the limits taken from the config, the query executors and
the admission (each started on first use, under its own lock), and `Caches`: the one way
the explorer keeps what it computes once per version of the store (validation results,
the portfolio and search indexes, counts, the EU AI Act tiers). A write through the app
(SPARQL Update, `POST /import`, `/graph`) calls `store_changed()`: the caches move to a new
version and every query worker reloads its snapshot.

While the background warm-up runs (`STKG_BACKGROUND`), a page asking for a cache that is
not built yet gets a placeholder at once instead of waiting, and the cache's name is
recorded for the request (`still_computing()`): the page says "Still computing …", its
JSON twin has `"still_computing": [...]` and the answer the `X-STKG-Computing` header. A
value computed from a placeholder is never kept. The caches are saved with an on-disk store
(`explorer-cache/caches.pickle`, keyed by the store's version), so a restart on an
unchanged store serves complete pages at once.
"""

from __future__ import annotations

import logging
import os
import pickle
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, fields, is_dataclass
from pathlib import Path
from typing import Any, TypeVar

from flask import Flask, current_app, g, has_request_context

from stkg import __version__
from stkg.execution import CachingExecutor, Executor, LocalExecutor
from stkg.project import Project
from stkg.sandbox import Limits
from stkg.store import Store
from stkg.web.admission import NAMED, Admission
from stkg.worker_pool import WorkerPool

T = TypeVar("T")
log = logging.getLogger(__name__)
CACHE_FILE = Path("explorer-cache") / "caches.pickle"
# The caches worth saving: each costs seconds at 100,000 systems; the rest is cheap.
SAVED = (
    "classification",
    "gaps",
    "portfolio",
    "search",
    "summary",
    "attention",
    "implementing",
    "soa",
    "frameworks",
)


@dataclass(frozen=True)
class Settings:
    """The limits and sizes the app was configured with (`STKG_*`, see `create_app`)."""

    workers: int
    reserved: int
    timeout: float
    max_rows: int
    max_bytes: int
    memory: int
    copy: bool
    answer_cache: int
    queue: int
    limits: Limits

    @classmethod
    def of(cls, config: Any) -> Settings:
        return cls(
            workers=int(config["STKG_QUERY_WORKERS"]),
            reserved=int(config["STKG_NAMED_QUERY_WORKERS"]),
            timeout=float(config["STKG_QUERY_TIMEOUT"]),
            max_rows=int(config["STKG_MAX_ROWS"]),
            max_bytes=int(config["STKG_MAX_ANSWER_BYTES"]),
            memory=int(config["STKG_WORKER_MEMORY"]),
            copy=bool(config["STKG_WORKER_COPY"]),
            answer_cache=int(config["STKG_ANSWER_CACHE_BYTES"]),
            queue=int(config["STKG_ADHOC_QUEUE"]),
            limits=Limits(
                length=int(config["STKG_MAX_QUERY_LENGTH"]),
                nesting=int(config["STKG_MAX_NESTING"]),
                expression=int(config["STKG_MAX_EXPRESSION_LENGTH"]),
                path=int(config["STKG_MAX_PATH_LENGTH"]),
                patterns=int(config["STKG_MAX_PATTERN_LENGTH"]),
            ),
        )


class Caches:
    """Values computed once per version of the store. Concurrent callers of one name wait
    on its lock and never compute twice; a value whose computation overlapped a write
    (`changed()`) is returned but not kept."""

    def __init__(self) -> None:
        self.version = 0
        self.computed: dict[str, int] = {}  # computations per name, for the bench and tests
        self._values: dict[str, tuple[int, Any]] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._lock = threading.Lock()
        self._local = threading.local()  # the computations under way in this thread
        self.warming = threading.Event()  # set while the background warm-up runs

    def get(self, name: str, compute: Callable[[], T], pending: Callable[[], T] | None = None) -> T:
        """`compute()`'s value for this store version. During the background warm-up a
        caller in a request gets `pending()` at once if the value is not ready."""
        found = self._values.get(name)
        if found is not None and found[0] == self.version:
            return found[1]
        if pending is not None and self.warming.is_set() and not self._in_warm_up():
            self._served_pending(name)
            return pending()
        with self._lock:
            lock = self._locks.setdefault(name, threading.Lock())
        with lock:
            found = self._values.get(name)
            if found is not None and found[0] == self.version:
                return found[1]
            version = self.version
            stack = self._stack()
            stack.append(False)  # becomes True if a placeholder went into this value
            try:
                value = compute()
            finally:
                tainted = stack.pop()
            if tainted:
                if stack:
                    stack[-1] = True
            elif version == self.version:
                self._values[name] = (version, value)
                self.computed[name] = self.computed.get(name, 0) + 1
            return value

    def ready(self, name: str) -> bool:
        found = self._values.get(name)
        return found is not None and found[0] == self.version

    def changed(self) -> None:
        """A new version of the store: every value is stale."""
        with self._lock:
            self.version += 1
            self._values.clear()

    def _stack(self) -> list[bool]:
        if not hasattr(self._local, "stack"):
            self._local.stack = []
        return self._local.stack

    def _in_warm_up(self) -> bool:
        return getattr(self._local, "warm_up", False)

    def mark_warm_up(self) -> None:
        """The calling thread is the warm-up: it computes, never takes placeholders."""
        self._local.warm_up = True

    def _served_pending(self, name: str) -> None:
        stack = self._stack()
        if stack:
            stack[-1] = True
        if has_request_context():
            computing = g.setdefault("stkg_still_computing", [])
            if name not in computing:
                computing.append(name)

    # --- saved with the store --------------------------------------------------------------

    def save(self, path: Path, key: Any) -> None:
        """Write the saved caches of this version atomically beside the store."""
        values = {n: v for n, (version, v) in self._values.items() if version == self.version}
        kept = {n: v for n, v in values.items() if n.split(" ")[0] in SAVED}
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".caches-")
        try:
            with os.fdopen(handle, "wb") as out:
                pickle.dump({"key": key, "values": kept}, out, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def restore(self, path: Path, key: Any) -> bool:
        """Take the saved caches if they were saved for this version; a file that is
        missing, unreadable or of another version is ignored."""
        try:
            with path.open("rb") as saved:
                document = pickle.load(saved)  # our own file, in the store folder
            if not isinstance(document, dict) or document.get("key") != key:
                return False
            values = {n: v for n, v in dict(document["values"]).items() if _complete(v)}
        except Exception as error:  # a broken file only costs the recomputation
            if not isinstance(error, FileNotFoundError):
                log.warning("%s: saved explorer caches ignored: %s", path, error)
            return False
        with self._lock:
            for name, value in values.items():
                self._values[name] = (self.version, value)
        return True


def _complete(value: Any) -> bool:
    """Whether a saved value has every field its class has now. One pickled by an older
    class (a gap index from before gap-type titles were kept) unpickles without the new
    field and would fail on first use: it is recomputed instead. A field missing but with
    a plain default reads the class's default, which is harmless."""
    if not is_dataclass(value) or isinstance(value, type):
        return True
    return all(hasattr(value, f.name) for f in fields(value))


@dataclass
class WebState:
    """Everything the app holds besides its config."""

    store: Store
    project: Project
    settings: Settings
    caches: Caches = field(default_factory=Caches)
    admission: Admission | None = None
    warm_up: threading.Thread | None = None
    _executors: dict[str, Executor] = field(default_factory=dict)
    # One lock per thing started on first use: starting a pool takes seconds, and must not
    # hold up the other pool or the admission.
    _locks: dict[str, threading.Lock] = field(
        default_factory=lambda: {k: threading.Lock() for k in ("ad-hoc", "named", "admission")}
    )

    def executor(self, which: str) -> Executor:
        """The query executor of a lane, started on first use: warm worker processes,
        ad-hoc ones (`STKG_QUERY_WORKERS`) and ones reserved for named queries and pages
        (`STKG_NAMED_QUERY_WORKERS`), or the calling thread for both when
        `STKG_QUERY_WORKERS` is 0 or the store has no snapshot for workers (a remote
        store: the server runs the query, within the store's request time limit)."""
        s = self.settings
        key = "named" if which == NAMED and s.workers > 0 and s.reserved > 0 else "ad-hoc"
        if key not in self._executors:
            with self._locks[key]:
                if key not in self._executors:
                    size = s.reserved if key == "named" else s.workers
                    running: Executor = (
                        WorkerPool(
                            self.store,
                            workers=size,
                            timeout=s.timeout,
                            max_rows=s.max_rows,
                            max_bytes=s.max_bytes,
                            memory=s.memory,
                            copy=s.copy,
                            limits=s.limits,
                        )
                        if size > 0 and self.store.capabilities.snapshots
                        else LocalExecutor(
                            self.store, s.max_rows, limits=s.limits, max_bytes=s.max_bytes
                        )
                    )
                    if s.answer_cache > 0 and self.store.capabilities.snapshots:
                        running = CachingExecutor(running, s.answer_cache)  # only stkg writes it
                    self._executors[key] = running
        return self._executors[key]

    def executors(self) -> list[Executor]:
        """The executors started so far (to reload after a write, or to close). One being
        started now is waited for: its snapshot may be older than the write that asks."""
        found = []
        for key in ("ad-hoc", "named"):
            with self._locks[key]:
                if key in self._executors:
                    found.append(self._executors[key])
        return found

    def get_admission(self) -> Admission:
        """One slot per ad-hoc worker process, a wait queue of `STKG_ADHOC_QUEUE`
        requests, each waiting at most the time limit."""
        if self.admission is None:
            with self._locks["admission"]:
                if self.admission is None:
                    s = self.settings
                    self.admission = Admission(slots=s.workers, queue=s.queue, wait=s.timeout)
        return self.admission

    def graphs(self) -> dict[str, int]:
        """Named graphs and their sizes, for this store version."""
        return self.caches.get("graphs", self.store.graphs)

    def store_changed(self) -> None:
        """After a write: the caches move to the new version, the saved ones are removed
        and every query worker reloads its snapshot."""
        self.caches.changed()
        if self.cache_file is not None:
            self.cache_file.unlink(missing_ok=True)
        for running in self.executors():
            running.reload()

    def close(self) -> None:
        for running in self.executors():
            running.close()

    # --- saved caches -------------------------------------------------------------------

    @property
    def cache_file(self) -> Path | None:
        folder = getattr(self.store, "path", None)
        return Path(folder) / CACHE_FILE if folder is not None else None

    def version_key(self) -> tuple:
        """What identifies a store version across restarts: the stkg version and every
        graph with its size (the store keeps no version number of its own). The sizes are
        the cached ones (`graphs()`), counted once per version for this key, the start page
        and the endpoint's service description."""
        return (__version__, tuple(sorted(self.graphs().items())))

    def restore_caches(self) -> bool:
        path = self.cache_file
        return path is not None and self.caches.restore(path, self.version_key())

    def save_caches(self) -> None:
        path = self.cache_file
        if path is not None:
            try:
                self.caches.save(path, self.version_key())
            except (OSError, pickle.PicklingError, TypeError, AttributeError) as error:
                log.warning("%s: explorer caches not saved: %s", path, error)


def state(app: Flask | None = None) -> WebState:
    """The app's state (the current app's by default)."""
    return (app or current_app).extensions["stkg"]


def store_changed(app: Flask | None = None) -> None:
    """A write went into the store: drop what was built on the old version."""
    state(app).store_changed()


def still_computing() -> list[str]:
    """The caches this request got a placeholder for."""
    return list(g.get("stkg_still_computing", [])) if has_request_context() else []


def register_computing(app: Flask) -> None:
    """Say on every answer which caches it lacked: a note in the page (the template's
    `still_computing`), `"still_computing"` in a JSON object, the `X-STKG-Computing` header."""
    import json

    @app.context_processor
    def _computing() -> dict[str, Any]:
        return {"still_computing": still_computing()}

    @app.after_request
    def _mark(response: Any) -> Any:
        names = still_computing()
        if not names:
            return response
        response.headers["X-STKG-Computing"] = ", ".join(names)
        response.headers["Cache-Control"] = "no-store"
        if response.mimetype == "application/json" and not response.direct_passthrough:
            document = json.loads(response.get_data())
            if isinstance(document, dict):
                document["still_computing"] = names
                response.set_data(json.dumps(document))
        return response
