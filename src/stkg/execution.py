"""Running queries with a hard time limit and a row cap.

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
import os
import queue
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import astuple, dataclass, replace
from multiprocessing.connection import Connection
from multiprocessing.reduction import recv_handle
from pathlib import Path
from typing import Any, Protocol

import pyoxigraph as ox

from stkg.errors import SourceError, StkgError
from stkg.results import QueryResult, TsvResult
from stkg.sandbox import Limits, QueryRefused, check_query
from stkg.store import QueryRequest, Store, Term, query_error

DEFAULT_TIMEOUT = 10.0  # seconds
TRANSFER_LIMIT = 16 * 1024 * 1024 - 64 * 1024  # Oxigraph's result parsers stop at 16 MiB lines
DEFAULT_MAX_ROWS = 10_000
DEFAULT_MAX_BYTES = 64 * 1024 * 1024  # of answer, as the workers send it
DEFAULT_WORKER_MEMORY = 1024  # MiB of data per worker process (RLIMIT_DATA)
DEFAULT_CACHE_BYTES = 64 * 1024 * 1024  # of answers kept until the store changes


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


class CachingExecutor:
    """An executor that keeps answers until the store changes (`reload`), up to `max_bytes`
    of them, least recently used first out: a store that only stkg writes (the embedded
    one) gives the same answer to the same request until then, and dashboards ask the same
    questions again and again. Errors are never kept; an answer that arrives after a reload
    began is not kept either (it may be from before the write)."""

    def __init__(self, inner: Executor, max_bytes: int = DEFAULT_CACHE_BYTES) -> None:
        self.inner = inner
        self.max_bytes = max_bytes
        self._answers: OrderedDict[tuple[Any, ...], tuple[Answer, int]] = OrderedDict()
        self._size = 0
        self._generation = 0
        self._lock = threading.Lock()

    @staticmethod
    def _key(request: QueryRequest) -> tuple[Any, ...]:
        bindings = tuple(sorted((k, str(v)) for k, v in (request.bindings or {}).items()))
        return (
            request.sparql,
            bindings,
            None if request.default_graphs is None else tuple(request.default_graphs),
            None if request.named_graphs is None else tuple(request.named_graphs),
            request.base_iri,
        )

    def query(self, request: QueryRequest | str) -> Answer:
        request = QueryRequest.of(request)
        key = self._key(request)
        with self._lock:
            kept = self._answers.get(key)
            if kept is not None:
                self._answers.move_to_end(key)
                return kept[0]
            generation = self._generation
        answer = self.inner.query(request)
        size = _answer_size(answer)
        with self._lock:
            if generation == self._generation and size <= self.max_bytes // 8:
                self._answers[key] = (answer, size)
                self._size += size
                while self._size > self.max_bytes:
                    _, (_, dropped) = self._answers.popitem(last=False)
                    self._size -= dropped
        return answer

    def reload(self) -> None:
        with self._lock:
            self._generation += 1
            self._answers.clear()
            self._size = 0
        self.inner.reload()

    def close(self) -> None:
        self.inner.close()

    def __getattr__(self, name: str) -> Any:  # pids(), in_memory() of a WorkerPool
        return getattr(self.inner, name)


def _answer_size(answer: Answer) -> int:
    """About how many bytes an answer holds (its terms as text)."""
    result = answer.result
    if result.kind == "ask":
        return 64
    if isinstance(result, TsvResult) and result.tsv is not None:
        return 2 * len(result.tsv)  # the text, and the rows once read
    rows: Sequence[Any] = result.triples if result.kind == "graph" else result.rows
    return sum(3 * 8 + sum(len(str(term)) for term in row if term is not None) for row in rows)


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
                result = TsvResult([v.value for v in raw.variables], reply[1])
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


class _Zygote:
    """The process that holds one snapshot and forks the workers on it: a fresh Python
    process (not multiprocessing's spawn, which re-imports the caller's __main__) talking
    over a socket pair with multiprocessing's message framing (stkg.query_worker)."""

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
        self.snapshot = snapshot
        self.generation = generation
        self.copied = False  # workers forked from now on answer from memory
        self.copy_ended = threading.Event()  # copied, or the copy failed
        self.workers = 0  # alive, forked from this zygote
        self._lock = threading.Lock()  # one request and its reply at a time
        self._reaps: list[int] = []
        try:
            ready = self.conn.poll(60) and self.conn.recv() == ("ready",)
        except (EOFError, OSError):
            ready = False
        if not ready:
            self.close()
            raise StkgError("the query workers could not open the store's snapshot")

    def alive(self) -> bool:
        return self.process.poll() is None

    def fork(self) -> tuple[int, Connection]:
        """A new worker's process id and its end of the socket."""
        with self._lock:
            self._send_reaps()
            self.conn.send(("fork",))
            _, pid = self.conn.recv()
            return pid, Connection(recv_handle(self.conn))

    def copy(self) -> None:
        """Copy the snapshot into memory (seconds to a minute: 4.6 s at 10,000 systems)."""
        with self._lock:
            self._send_reaps()
            self.conn.send(("copy",))
            self.conn.recv()
        self.copied = True

    def reap(self, pid: int) -> None:
        """Have the zygote reap a worker that ended: now, or with the next request when
        the zygote is busy (copying), so that a caller never waits for it."""
        self._reaps.append(pid)
        if self._lock.acquire(blocking=False):
            try:
                self._send_reaps()
            finally:
                self._lock.release()

    def _send_reaps(self) -> None:
        while self._reaps:
            pid = self._reaps.pop()
            with contextlib.suppress(OSError):
                self.conn.send(("reap", pid))

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.conn.send(None)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=2)
        if self.alive():
            self.process.kill()
            self.process.wait(timeout=5)
        self.conn.close()


class _Worker:
    """One worker, forked by the zygote of its snapshot; it dies with the zygote."""

    def __init__(self, zygote: _Zygote) -> None:
        self.zygote = zygote
        self.generation = zygote.generation
        self.copied = zygote.copied
        self.pid, self.conn = zygote.fork()
        self._gone = False

    def _stat(self) -> list[str] | None:
        """/proc/PID/stat after the command name (state first, exit code last), None once
        the process is reaped."""
        try:
            text = Path(f"/proc/{self.pid}/stat").read_text()
        except OSError:
            return None
        return text[text.rindex(")") + 2 :].split()

    def alive(self) -> bool:
        stat = self._stat()
        return stat is not None and stat[0] not in ("Z", "X")

    def exit_status(self) -> int | None:
        """How the process ended (a negative signal number), waiting a moment for it: read
        from /proc while it is a zombie (the zygote reaps it when told)."""
        for _ in range(40):
            stat = self._stat()
            if stat is None:
                return None
            if stat[0] in ("Z", "X"):
                code = int(stat[-1])
                return -(code & 0x7F) if code & 0x7F else code >> 8
            time.sleep(0.05)
        return None

    def wait_ready(self, timeout: float) -> bool:
        try:
            return self.conn.poll(timeout) and self.conn.recv() == ("ready",)
        except (EOFError, OSError):
            return False

    def kill(self) -> None:
        """Stop the process (if it still runs) and have the zygote reap it; once only."""
        if self._gone:
            return
        self._gone = True
        if self.alive():
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
            self.exit_status()  # dead once this returns
        self.zygote.reap(self.pid)
        self.conn.close()


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
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._lock = threading.Lock()
        self._all: set[_Worker] = set()
        self._zygotes: dict[int, _Zygote] = {}
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

    def _start_generation(self) -> _Zygote:
        """A snapshot of the store as it is now, and its zygote (the caller holds the lock
        or is the constructor)."""
        target = self._tmp / f"snapshot-{self._generation}"
        self.store.snapshot(target)  # the zygote opens it read-only
        return self._start_zygote(str(target), self._generation)

    def _start_zygote(self, snapshot: str, generation: int) -> _Zygote:
        zygote = _Zygote(snapshot, generation, self.memory)
        self._zygotes[generation] = zygote
        return zygote

    def _copy_later(self, zygote: _Zygote) -> None:
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

    def _current(self, worker: _Worker) -> bool:
        """On the latest snapshot, and on its copy in memory once there is one."""
        return worker.generation == self._generation and (worker.copied or not worker.zygote.copied)

    def _spawn(self) -> None:
        with self._lock:  # the zygote of the current snapshot (reload replaces it)
            zygote = self._zygote
        try:
            worker = _Worker(zygote)  # waits while the zygote copies its snapshot
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

    def _discard(self, worker: _Worker) -> None:
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
    def _cleanup(workers: set[_Worker], zygotes: dict[int, _Zygote], tmp: Path) -> None:
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
