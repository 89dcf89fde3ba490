"""Query worker processes over a snapshot of the store, with a hard time limit.

A pyoxigraph query running in a thread cannot be cancelled, and one bad REGEX can hold a
core for minutes. So network queries run in a small pool of worker *processes* over a
snapshot of the store (a RocksDB backup of an on-disk store, or a bulk-loaded copy of an
in-memory one). A query that runs past its time limit has its worker killed and replaced;
the caller gets `QueryTimeout` (HTTP 503). The server is threaded, so it never forks: each
snapshot gets a *zygote*, a fresh single-threaded process that opens it read-only, copies
it into memory, and forks the workers, which share that copy (the engine reads RocksDB 3-14x
slower than its own memory). Workers die with their zygote, and the zygote with the server
(a watchdog thread, and end-of-file on their sockets).

The worker process itself (the query gate, the network filter, the memory cap) is
`stkg.query_worker`. Results cross the process boundary as SPARQL TSV or N-Triples, which
carry every term exactly; the caps of `stkg.execution` are applied in the worker. A worker
that runs out of its memory cap dies (Rust aborts on a failed allocation) and is replaced;
the caller gets `QueryMemoryLimit` (503).
"""

from __future__ import annotations

import atexit
import contextlib
import io
import queue
import shutil
import signal
import tempfile
import threading
import weakref
from collections.abc import Sequence
from dataclasses import astuple
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from stkg.errors import SourceError, StkgError
from stkg.execution import (
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_ROWS,
    DEFAULT_TIMEOUT,
    DEFAULT_WORKER_MEMORY,
    Answer,
    AnswerTooLarge,
    QueryMemoryLimit,
    QueryTimeout,
    row_too_large,
)
from stkg.results import QueryResult, TsvResult
from stkg.sandbox import Limits, QueryRefused
from stkg.store import QueryRequest, Store, Term, query_error
from stkg.zygote import WorkerProcess, Zygote

# --- Between the processes ----------------------------------------------------------------


def _listed(graphs: Sequence[str] | None) -> list[str] | None:
    return list(graphs) if graphs is not None else None


def _encode_terms(names: Sequence[str], terms: Sequence[Term | None]) -> str:
    """One SPARQL TSV document: a header and rows, every term in N-Triples form."""
    out = io.StringIO()
    out.write("\t".join(f"?{name}" for name in names) + "\n")
    out.write("\t".join("" if term is None else str(term) for term in terms) + "\n")
    return out.getvalue()


def _decode(reply: tuple[Any, ...]) -> Answer:
    kind = reply[0]
    if kind == "ask":
        return Answer(QueryResult("ask", boolean=reply[1]))
    if kind in ("graph", "select"):
        cut = reply[2]
        limit = ("bytes" if cut == "bytes" else "rows") if cut else None
        try:
            if kind == "graph":
                parsed = ox.parse(reply[1], format=ox.RdfFormat.N_TRIPLES)
                result = QueryResult(
                    "graph", triples=[ox.Triple(q.subject, q.predicate, q.object) for q in parsed]
                )
            else:
                raw = ox.parse_query_results(reply[1], ox.QueryResultsFormat.TSV)
                result = TsvResult([v.value for v in raw.variables], reply[1])
        except (MemoryError, SyntaxError, ValueError, OSError) as error:
            raise AnswerTooLarge(f"the answer could not be passed on: {error}") from None
        return Answer(result, bool(cut), limit)
    if kind == "too-large":
        raise row_too_large(reply[1], reply[2])
    if kind == "refused":
        raise QueryRefused(reply[1], reply[2])
    if kind == "gate-syntax":
        raise SourceError(reply[1], "query", reply[2], reply[3])
    if kind == "memory":
        raise QueryMemoryLimit("the query needed more memory than a query worker may use")
    if kind == "syntax":
        raise query_error(SyntaxError(reply[1]))
    raise SourceError(reply[1], "query")


# --- The pool --------------------------------------------------------------------------------


class WorkerPool:
    """Query worker processes over a snapshot of the store, with a hard time limit.

    Each snapshot has a zygote; workers are forked from it. With `copy` (the default) the
    zygote copies its snapshot into memory once the first workers are up, and workers move
    to the copy one by one, as they come back idle."""

    def __init__(
        self,
        store: Store,
        *,
        workers: int = 2,
        timeout: float = DEFAULT_TIMEOUT,
        max_rows: int = DEFAULT_MAX_ROWS,
        max_bytes: int = DEFAULT_MAX_BYTES,
        memory: int = DEFAULT_WORKER_MEMORY,
        limits: Limits | None = None,
        copy: bool = True,
    ) -> None:
        """`memory` is each worker's cap in MiB (0: none); `limits` the query gate's."""
        self.store = store
        self.size = max(1, workers)
        self.timeout = timeout
        self.max_rows = max_rows
        self.max_bytes = max_bytes
        self.memory = memory
        self.limits = limits or Limits()
        self.copy = copy
        self._idle: queue.Queue[WorkerProcess] = queue.Queue()
        self._lock = threading.Lock()
        self._all: set[WorkerProcess] = set()
        self._zygotes: dict[int, Zygote] = {}
        self._tmp = Path(tempfile.mkdtemp(prefix="stkg-snapshot-"))
        self._generation = 0
        self._closed = False
        # Close on interpreter exit, and when the pool is garbage collected.
        self._finalizer = weakref.finalize(
            self, WorkerPool._cleanup, self._all, self._zygotes, self._tmp
        )
        atexit.register(self._finalizer)
        self._zygote = self._start_generation()
        for _ in range(self.size):
            self._spawn()
        self._copy_later(self._zygote)

    def _start_generation(self) -> Zygote:
        """A snapshot of the store as it is now, and its zygote (the caller holds the lock
        or is the constructor)."""
        target = self._tmp / f"snapshot-{self._generation}"
        self.store.snapshot(target)  # the zygote opens it read-only
        return self._start_zygote(str(target), self._generation)

    def _start_zygote(self, snapshot: str, generation: int) -> Zygote:
        zygote = Zygote(snapshot, generation, self.memory)
        self._zygotes[generation] = zygote
        return zygote

    def _copy_later(self, zygote: Zygote) -> None:
        """Have the zygote copy its snapshot into memory, then move the idle workers."""
        if not self.copy:
            zygote.copy_ended.set()
            return

        def run() -> None:
            try:
                zygote.copy()
                self._move_idle_workers()
            except (EOFError, OSError):  # the zygote died (killed, or out of memory)
                pass
            finally:
                zygote.copy_ended.set()

        threading.Thread(target=run, daemon=True, name="stkg-snapshot-copy").start()

    def _move_idle_workers(self) -> None:
        """Replace the idle workers that are not on the current copy in memory."""
        idle = []
        while True:
            try:
                idle.append(self._idle.get_nowait())
            except queue.Empty:
                break
        for worker in idle:
            if self._current(worker):
                self._idle.put(worker)
            else:
                self._replace(worker)

    def _current(self, worker: WorkerProcess) -> bool:
        """On the latest snapshot, and on its copy in memory once there is one."""
        return worker.generation == self._generation and (worker.copied or not worker.zygote.copied)

    def _spawn(self) -> None:
        with self._lock:  # the zygote of the current snapshot (reload replaces it)
            zygote = self._zygote
        try:
            worker = WorkerProcess(zygote)  # waits while the zygote copies its snapshot
        except (EOFError, OSError):  # the zygote died (killed): start another on its snapshot
            with self._lock:
                if self._zygote is zygote and not self._closed:
                    self._zygotes.pop(zygote.generation, None)
                    zygote.close()
                    self._zygote = self._start_zygote(zygote.snapshot, zygote.generation)
                    self._copy_later(self._zygote)
            return
        with self._lock:  # close() sets _closed under this lock: no worker escapes cleanup
            zygote.workers += 1
            self._all.add(worker)
            closed = self._closed
        if closed:
            self._discard(worker)
        elif worker.wait_ready(60):
            self._idle.put(worker)
        else:
            self._discard(worker)

    def _discard(self, worker: WorkerProcess) -> None:
        worker.kill()
        with self._lock:
            if worker not in self._all:
                return
            self._all.discard(worker)
            zygote = worker.zygote
            zygote.workers -= 1
            if zygote is not self._zygote and zygote.workers == 0:
                self._zygotes.pop(zygote.generation, None)
            else:
                return
        zygote.close()  # an older snapshot's, now unused

    def _replace(self, worker: WorkerProcess) -> None:
        self._discard(worker)
        if not self._closed:
            threading.Thread(target=self._spawn, daemon=True).start()

    def query(self, request: QueryRequest | str) -> Answer:
        """Run a query in a worker; relative IRIs resolve against its `base_iri`."""
        request = QueryRequest.of(request)
        if self._closed:
            raise StkgError("the query workers have been shut down")
        try:
            worker = self._idle.get(timeout=self.timeout)
        except queue.Empty:
            raise QueryTimeout(
                f"all {self.size} query workers stayed busy for {self.timeout:g} s; try again later"
            ) from None
        if not worker.alive() or worker.generation != self._generation:
            # dead, or forked from a snapshot older than the store: a spawn begun before the
            # last reload can put one here after reload emptied the queue
            if worker.generation == self._generation:
                self._replace(worker)
            else:
                self._discard(worker)
            return self.query(request)
        bindings = request.bindings
        encoded = _encode_terms(list(bindings), list(bindings.values())) if bindings else None
        try:
            worker.conn.send(
                (
                    request.sparql,
                    encoded,
                    _listed(request.default_graphs),
                    _listed(request.named_graphs),
                    self.max_rows,
                    request.base_iri,
                    astuple(self.limits),
                    self.max_bytes,
                )
            )
            if not worker.conn.poll(self.timeout):
                self._replace(worker)
                raise QueryTimeout(
                    f"the query ran longer than the time limit of {self.timeout:g} s and "
                    "was stopped; simplify it or add LIMIT"
                )
            reply = worker.conn.recv()
        except (EOFError, OSError, BrokenPipeError):
            status = worker.exit_status()
            self._replace(worker)
            if status in (-signal.SIGABRT, -signal.SIGKILL):  # a failed allocation; the OOM killer
                raise QueryMemoryLimit(
                    f"the query needed more than the memory limit of a query worker "
                    f"({self.memory} MiB, STKG_WORKER_MEMORY) and was stopped; add LIMIT or "
                    "narrow the patterns"
                ) from None
            raise StkgError(
                "the query worker stopped unexpectedly; the query was not run"
            ) from None
        if self._current(worker):
            self._idle.put(worker)
        elif worker.generation == self._generation:  # its zygote has the copy in memory now
            self._replace(worker)
        else:  # the store changed while it ran; its replacement is already starting
            self._discard(worker)
        return _decode(reply)

    def reload(self) -> None:
        """Take a new snapshot after the store changed; workers move to it one by one."""
        with self._lock:
            self._generation += 1
            self._zygote = self._start_generation()
            zygote = self._zygote
        while True:
            try:
                self._discard(self._idle.get_nowait())
            except queue.Empty:
                break
        for _ in range(self.size):
            threading.Thread(target=self._spawn, daemon=True).start()
        self._copy_later(zygote)

    def in_memory(self, timeout: float = 0) -> bool:
        """Whether the current snapshot is copied into memory, waiting up to `timeout`
        seconds: then the idle workers have been replaced by ones forked from the copy, and
        busy ones are replaced when they finish."""
        with self._lock:
            zygote = self._zygote
        zygote.copy_ended.wait(timeout)
        return zygote.copied

    def pids(self) -> list[int]:
        """The workers' process ids."""
        with self._lock:
            return [w.pid for w in self._all]

    def zygote_pids(self) -> list[int]:
        """The process ids of the zygotes still running (one per snapshot in use)."""
        with self._lock:
            return [z.process.pid for z in self._zygotes.values() if z.alive()]

    def close(self) -> None:
        """Stop every worker and remove the snapshots."""
        with self._lock:
            self._closed = True
        self._finalizer()

    @staticmethod
    def _cleanup(workers: set[WorkerProcess], zygotes: dict[int, Zygote], tmp: Path) -> None:
        for worker in list(workers):
            with contextlib.suppress(Exception):
                worker.conn.send(None)
            worker.kill()
        workers.clear()
        for zygote in list(zygotes.values()):
            with contextlib.suppress(Exception):
                zygote.close()
        zygotes.clear()
        shutil.rmtree(tmp, ignore_errors=True)
