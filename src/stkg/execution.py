"""Running queries with a hard time limit and a row cap.

A pyoxigraph query running in a thread cannot be cancelled, and one bad REGEX can hold a
core for minutes. So network queries run in a small pool of worker *processes*, each with
a read-only view of a snapshot of the store (an on-disk copy: a RocksDB backup of an on-disk
store, or a bulk-loaded copy of an in-memory one, opened with `Store.read_only`). A query
that runs past its time limit has its worker killed and replaced; the caller gets
`QueryTimeout` (HTTP 503). Workers are fresh processes, never forked (the server is threaded), and
die with their parent (a watchdog thread, and end-of-file on their socket).

Results cross the process boundary as SPARQL TSV or N-Triples, which carry every term
exactly. Rows beyond `max_rows` are not sent; the answer says it was truncated.

`LocalExecutor` runs in the calling thread with the same row cap and no time limit: for the
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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, Protocol

import pyoxigraph as ox

from stkg.errors import SourceError, StkgError
from stkg.results import QueryResult
from stkg.store import Store, Term, query_error, query_options

DEFAULT_TIMEOUT = 10.0  # seconds
DEFAULT_MAX_ROWS = 10_000


class QueryTimeout(StkgError):
    """A query ran out of time (or found no free worker in time): HTTP 503."""


@dataclass
class Answer:
    """A query result and whether rows (or triples) beyond the cap were left out."""

    result: QueryResult
    truncated: bool = False


class Executor(Protocol):
    def query(
        self,
        sparql: str,
        *,
        bindings: Mapping[str, Term] | None = None,
        default_graphs: Sequence[str] | None = None,
        named_graphs: Sequence[str] | None = None,
        base_iri: str | None = None,
    ) -> Answer: ...

    def reload(self) -> None: ...

    def close(self) -> None: ...


class LocalExecutor:
    """Runs queries on the store in the calling thread, with the row cap only."""

    def __init__(self, store: Store, max_rows: int = DEFAULT_MAX_ROWS) -> None:
        self.store = store
        self.max_rows = max_rows

    def query(
        self,
        sparql: str,
        *,
        bindings: Mapping[str, Term] | None = None,
        default_graphs: Sequence[str] | None = None,
        named_graphs: Sequence[str] | None = None,
        base_iri: str | None = None,
    ) -> Answer:
        result = self.store.query(
            sparql,
            bindings=bindings,
            default_graphs=default_graphs,
            named_graphs=named_graphs,
            base_iri=base_iri,
        )
        return cap(result, self.max_rows)

    def reload(self) -> None:
        """Nothing to do: the calling thread reads the store itself."""

    def close(self) -> None:
        """Nothing to release."""


def cap(result: QueryResult, max_rows: int) -> Answer:
    """Keep at most `max_rows` rows or triples."""
    if len(result) <= max_rows:
        return Answer(result)
    if result.kind == "graph":
        result.triples = result.triples[:max_rows]
    else:
        result.rows = result.rows[:max_rows]
    return Answer(result, truncated=True)


# --- The worker process ---------------------------------------------------------------------


def _die_with_parent() -> None:
    """End this worker when the server process goes away, even in the middle of a query.

    (Linux's PR_SET_PDEATHSIG would fire when the *thread* that started the worker ends,
    and replacements are started from short-lived threads; so a watchdog thread polls.)"""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(0)

    threading.Thread(target=watch, daemon=True, name="stkg-parent-watch").start()


def _encode_terms(names: Sequence[str], terms: Sequence[Term | None]) -> str:
    """One SPARQL TSV document: a header and rows, every term in N-Triples form."""
    out = io.StringIO()
    out.write("\t".join(f"?{name}" for name in names) + "\n")
    out.write("\t".join("" if term is None else str(term) for term in terms) + "\n")
    return out.getvalue()


def _worker_entry(argv: list[str]) -> None:
    """Entry point of a worker process: `argv` is the socket's file descriptor and the
    snapshot folder."""
    _worker_main(Connection(int(argv[0])), argv[1])


def _worker_main(conn: Connection, snapshot: str) -> None:
    """Answer queries from `conn` on a read-only view of the snapshot until told to stop."""
    _die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C goes to the server; it stops us
    store = ox.Store.read_only(snapshot)
    conn.send(("ready",))
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        if message is None:
            return
        conn.send(_run(store, *message))


def _run(
    store: ox.Store,
    sparql: str,
    bindings_tsv: str | None,
    default_graphs: Sequence[str] | None,
    named_graphs: Sequence[str] | None,
    max_rows: int,
    base_iri: str | None = None,
) -> tuple[Any, ...]:
    bindings = None
    if bindings_tsv is not None:
        solution = next(iter(ox.parse_query_results(bindings_tsv, ox.QueryResultsFormat.TSV)))
        names = bindings_tsv.split("\n", 1)[0].split("\t")
        bindings = {n[1:]: solution[n[1:]] for n in names}
    options = query_options(bindings, default_graphs, named_graphs, base_iri)
    try:
        raw = store.query(sparql, **options)
        if isinstance(raw, ox.QueryBoolean):
            return ("ask", bool(raw))
        if isinstance(raw, ox.QueryTriples):
            triples = []
            for triple in raw:
                if len(triples) == max_rows:
                    return ("graph", ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES), True)
                triples.append(triple)
            return ("graph", ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES), False)
        names = [v.value for v in raw.variables]
        out = io.StringIO()
        out.write("\t".join(f"?{name}" for name in names) + "\n")
        for count, solution in enumerate(raw):
            if count == max_rows:
                return ("select", out.getvalue(), True)
            out.write("\t".join("" if t is None else str(t) for t in solution) + "\n")
        return ("select", out.getvalue(), False)
    except SyntaxError as error:
        return ("syntax", str(error))
    except (RuntimeError, OSError, ValueError) as error:
        return ("error", str(error))


def _decode(reply: tuple[Any, ...]) -> Answer:
    kind = reply[0]
    if kind == "ask":
        return Answer(QueryResult("ask", boolean=reply[1]))
    if kind == "graph":
        triples = [
            ox.Triple(q.subject, q.predicate, q.object)
            for q in ox.parse(reply[1], format=ox.RdfFormat.N_TRIPLES)
        ]
        return Answer(QueryResult("graph", triples=triples), reply[2])
    if kind == "select":
        text = reply[1]
        raw = ox.parse_query_results(text, ox.QueryResultsFormat.TSV)
        return Answer(QueryResult.from_oxigraph(raw), reply[2])
    if kind == "syntax":
        raise query_error(SyntaxError(reply[1]))
    raise SourceError(reply[1], "query")


# --- The pool --------------------------------------------------------------------------------


class _Worker:
    """One worker: a fresh Python process (not multiprocessing's spawn, which re-imports the
    caller's __main__) talking over a socket pair with multiprocessing's message framing."""

    def __init__(self, snapshot: str, generation: int) -> None:
        parent, child = socket.socketpair()
        code = "import sys; from stkg.execution import _worker_entry; _worker_entry(sys.argv[1:])"
        self.process = subprocess.Popen(
            [sys.executable, "-c", code, str(child.fileno()), snapshot],
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
    ) -> None:
        self.store = store
        self.size = max(1, workers)
        self.timeout = timeout
        self.max_rows = max_rows
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
        worker = _Worker(self._snapshot, self._generation)
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

    def query(
        self,
        sparql: str,
        *,
        bindings: Mapping[str, Term] | None = None,
        default_graphs: Sequence[str] | None = None,
        named_graphs: Sequence[str] | None = None,
        base_iri: str | None = None,
    ) -> Answer:
        """Run a query in a worker; relative IRIs resolve against `base_iri`."""
        if self._closed:
            raise StkgError("the query workers have been shut down")
        try:
            worker = self._idle.get(timeout=self.timeout)
        except queue.Empty:
            raise QueryTimeout(
                f"all {self.size} query workers stayed busy for {self.timeout:g} s; try again later"
            ) from None
        if not worker.alive():
            self._replace(worker)
            return self.query(
                sparql,
                bindings=bindings,
                default_graphs=default_graphs,
                named_graphs=named_graphs,
                base_iri=base_iri,
            )
        encoded = _encode_terms(list(bindings), list(bindings.values())) if bindings else None
        try:
            worker.conn.send(
                (
                    sparql,
                    encoded,
                    list(default_graphs) if default_graphs is not None else None,
                    list(named_graphs) if named_graphs is not None else None,
                    self.max_rows,
                    base_iri,
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
            self._replace(worker)
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
