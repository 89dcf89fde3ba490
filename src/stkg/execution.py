"""Running queries with a hard time limit and a row cap.

A pyoxigraph query running in a thread cannot be cancelled, and one bad REGEX can hold a
core for minutes. So network queries run in a small pool of worker *processes*, each with
a read-only view of a snapshot of the store (an on-disk copy: a RocksDB backup of an on-disk
store, or a bulk-loaded copy of an in-memory one, opened with `Store.read_only`). A query
that runs past its time limit has its worker killed and replaced; the caller gets
`QueryTimeout` (HTTP 503). Workers are fresh processes, never forked (the server is threaded), and
die with their parent (a watchdog thread, and end-of-file on their socket).

The worker process itself (the query gate, the network filter, the memory cap) is
`stkg.query_worker`. Results cross the process boundary as SPARQL TSV or N-Triples, which
carry every term exactly. Rows beyond `max_rows`, and rows past `max_bytes` of answer, are
not sent; the answer says it was truncated and by which cap. A worker that runs out of its
memory cap dies (Rust aborts on a failed allocation) and is replaced; the caller gets
`QueryMemoryLimit` (503).

`LocalExecutor` runs in the calling thread with the same caps and no time limit: for the
CLI, and for apps configured with `STKG_QUERY_WORKERS=0`.
"""

from __future__ import annotations

import atexit
import contextlib
import io
import queue
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import weakref
from collections.abc import Sequence
from dataclasses import astuple, dataclass, replace
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, Protocol

import pyoxigraph as ox

from stkg.errors import SourceError, StkgError
from stkg.results import QueryResult
from stkg.sandbox import Limits, QueryRefused, check_query
from stkg.store import QueryRequest, Store, Term, query_error

DEFAULT_TIMEOUT = 10.0  # seconds
TRANSFER_LIMIT = 16 * 1024 * 1024 - 64 * 1024  # Oxigraph's result parsers stop at 16 MiB lines
DEFAULT_MAX_ROWS = 10_000
DEFAULT_MAX_BYTES = 64 * 1024 * 1024  # of answer, as the workers send it
DEFAULT_WORKER_MEMORY = 1024  # MiB of data per worker process (RLIMIT_DATA)


class QueryTimeout(StkgError):
    """A query ran out of time (or found no free worker in time): HTTP 503."""


class QueryMemoryLimit(StkgError):
    """A query needed more memory than a worker may have: HTTP 503."""


class AnswerTooLarge(StkgError):
    """One row (one value) of an answer is larger than the answer may be: HTTP 413."""


@dataclass
class Answer:
    """A query result and whether rows (or triples) beyond a cap were left out: `limit` is
    the cap that cut it, "rows" or "bytes"."""

    result: QueryResult
    truncated: bool = False
    limit: str | None = None


class Executor(Protocol):
    """Runs a `QueryRequest` (or a bare query text) under the caps: `LocalExecutor`,
    `WorkerPool`."""

    def query(self, request: QueryRequest | str) -> Answer: ...

    def reload(self) -> None: ...

    def close(self) -> None: ...


class LocalExecutor:
    """Runs queries on the store in the calling thread, with the caps but no time limit.

    With `limits`, every query passes the gate first (`stkg.sandbox.check_query`, FROM only
    for graphs in the store); without, the caller has checked it (`stkg query`) or wrote it.
    """

    def __init__(
        self,
        store: Store,
        max_rows: int = DEFAULT_MAX_ROWS,
        *,
        limits: Limits | None = None,
        max_bytes: int | None = None,
    ) -> None:
        self.store = store
        self.max_rows = max_rows
        self.limits = limits
        self.max_bytes = max_bytes

    def query(self, request: QueryRequest | str) -> Answer:
        request = QueryRequest.of(request)
        if self.limits is not None:
            plan = check_query(
                request.sparql, self.store.graph_names(), self.limits, base_iri=request.base_iri
            )
            default_graphs, named_graphs = plan.dataset(
                request.default_graphs, request.named_graphs
            )
            request = replace(request, default_graphs=default_graphs, named_graphs=named_graphs)
        result = self.store.query(request.sparql, **request.options())
        return cap(result, self.max_rows, self.max_bytes)

    def reload(self) -> None:
        """Nothing to do: the calling thread reads the store itself."""

    def close(self) -> None:
        """Nothing to release."""


def cap(result: QueryResult, max_rows: int, max_bytes: int | None = None) -> Answer:
    """Keep at most `max_rows` rows or triples, and (given `max_bytes`) the rows that fit in
    that many bytes of N-Triples terms; a single row over `max_bytes` is AnswerTooLarge."""
    if result.kind == "ask":
        return Answer(result)
    rows: list[Any] = result.triples if result.kind == "graph" else result.rows
    keep, limit = min(len(rows), max_rows), "rows" if len(rows) > max_rows else None
    if max_bytes is not None:
        size = 0
        for i, row in enumerate(rows[:keep]):
            length = sum(len(str(term)) + 1 for term in row if term is not None)
            if length > max_bytes:
                raise _too_large(length, max_bytes)
            size += length
            if size > max_bytes:
                keep, limit = i, "bytes"
                break
    if limit is None:
        return Answer(result)
    if result.kind == "graph":
        result.triples = result.triples[:keep]
    else:
        result.rows = result.rows[:keep]
    return Answer(result, truncated=True, limit=limit)


def _too_large(length: int, limit: int) -> AnswerTooLarge:
    why = (
        "rows cross between processes in at most 16 MiB"
        if limit >= TRANSFER_LIMIT
        else "STKG_MAX_ANSWER_BYTES"
    )
    return AnswerTooLarge(
        f"one row of the answer is {length / 1048576:.1f} MiB, more than a row may be "
        f"({limit / 1048576:.1f} MiB: {why}); select a shorter value (SUBSTR) or fewer columns"
    )


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
                result = QueryResult.from_oxigraph(raw)
        except (MemoryError, SyntaxError, ValueError, OSError) as error:
            raise AnswerTooLarge(f"the answer could not be passed on: {error}") from None
        return Answer(result, bool(cut), limit)
    if kind == "too-large":
        raise _too_large(reply[1], reply[2])
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


class _Worker:
    """One worker: a fresh Python process (not multiprocessing's spawn, which re-imports the
    caller's __main__) talking over a socket pair with multiprocessing's message framing."""

    def __init__(self, snapshot: str, generation: int, memory: int) -> None:
        parent, child = socket.socketpair()
        code = "import sys; from stkg.query_worker import worker_entry; worker_entry(sys.argv[1:])"
        self.process = subprocess.Popen(
            [sys.executable, "-c", code, str(child.fileno()), snapshot, str(memory)],
            pass_fds=(child.fileno(),),
            stdin=subprocess.DEVNULL,
        )
        child.close()
        self.conn = Connection(parent.detach())
        self.generation = generation

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.poll() is None

    def exit_status(self) -> int | None:
        """How the process ended (a negative signal number), waiting a moment for it."""
        with contextlib.suppress(subprocess.TimeoutExpired):
            return self.process.wait(timeout=2)
        return None

    def wait_ready(self, timeout: float) -> bool:
        try:
            return self.conn.poll(timeout) and self.conn.recv() == ("ready",)
        except (EOFError, OSError):
            return False

    def kill(self) -> None:
        if self.alive():
            self.process.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=5)
        self.conn.close()


class WorkerPool:
    """Query worker processes over a snapshot of the store, with a hard time limit."""

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
    ) -> None:
        """`memory` is each worker's cap in MiB (0: none); `limits` the query gate's."""
        self.store = store
        self.size = max(1, workers)
        self.timeout = timeout
        self.max_rows = max_rows
        self.max_bytes = max_bytes
        self.memory = memory
        self.limits = limits or Limits()
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._lock = threading.Lock()
        self._all: set[_Worker] = set()
        self._tmp = Path(tempfile.mkdtemp(prefix="stkg-snapshot-"))
        self._generation = 0
        self._closed = False
        self._snapshot = self._take_snapshot()
        for _ in range(self.size):
            self._spawn()
        # Close on interpreter exit, and when the pool is garbage collected.
        self._finalizer = weakref.finalize(self, WorkerPool._cleanup, self._all, self._tmp)
        atexit.register(self._finalizer)

    def _take_snapshot(self) -> str:
        target = self._tmp / f"snapshot-{self._generation}"
        self.store.snapshot(target)  # workers open it read-only
        return str(target)

    def _spawn(self) -> None:
        with self._lock:  # a snapshot and its generation, read together (reload sets both)
            snapshot, generation = self._snapshot, self._generation
        worker = _Worker(snapshot, generation, self.memory)
        with self._lock:  # close() sets _closed under this lock: no worker escapes cleanup
            if self._closed:
                worker.kill()
                return
            self._all.add(worker)
        if worker.wait_ready(60):
            self._idle.put(worker)
        else:
            self._discard(worker)

    def _discard(self, worker: _Worker) -> None:
        worker.kill()
        with self._lock:
            self._all.discard(worker)

    def _replace(self, worker: _Worker) -> None:
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
            # dead, or started on a snapshot older than the store: a spawn begun before the
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
        if worker.generation == self._generation:
            self._idle.put(worker)
        else:  # the store changed while it ran; its replacement is already starting
            self._discard(worker)
        return _decode(reply)

    def reload(self) -> None:
        """Take a new snapshot after the store changed; workers move to it one by one."""
        with self._lock:
            self._generation += 1
            self._snapshot = self._take_snapshot()
        while True:
            try:
                self._discard(self._idle.get_nowait())
            except queue.Empty:
                break
        for _ in range(self.size):
            threading.Thread(target=self._spawn, daemon=True).start()

    def pids(self) -> list[int]:
        with self._lock:
            return [w.pid for w in self._all]

    def close(self) -> None:
        """Stop every worker and remove the snapshots."""
        with self._lock:
            self._closed = True
        self._finalizer()

    @staticmethod
    def _cleanup(workers: set[_Worker], tmp: Path) -> None:
        for worker in list(workers):
            with contextlib.suppress(Exception):
                worker.conn.send(None)
            worker.kill()
        workers.clear()
        shutil.rmtree(tmp, ignore_errors=True)
