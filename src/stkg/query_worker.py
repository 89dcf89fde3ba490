"""The query worker processes: a zygote per snapshot, and the workers it forks.

`stkg.worker_pool.WorkerPool` starts the zygote as a fresh Python process. It forbids itself
the network (stkg.netguard), opens the snapshot read-only, loads the query gate's parser,
and forks workers on request; then, asked to, it copies the snapshot into memory, and the
workers forked after that answer from the copy, shared copy-on-write (3-14x faster than the
on-disk snapshot at 10,000 systems; docs/decisions.md). A worker caps its memory (RLIMIT_DATA:
what it holds once forked plus `STKG_WORKER_MEMORY` for the queries); every query then passes
`stkg.sandbox.check_query` here, where a slow or deep parse costs only this process and is
bounded by the time limit. Answers go back as SPARQL TSV or N-Triples, written by Oxigraph
and cut at the row cap and at the answer-byte cap (which stops the query there); one value
too large to move between processes is an error, never a broken answer.

RLIMIT_DATA and not RLIMIT_AS: RocksDB and the Rust allocator reserve address space they
never touch, so a cap on address space fails a worker long before it uses the memory
(docs/decisions.md has the measurements).
"""

from __future__ import annotations

import contextlib
import os
import resource
import signal
import socket
import threading
import time
from collections.abc import Iterator, Sequence
from multiprocessing.connection import Connection
from multiprocessing.reduction import send_handle
from typing import Any

import pyoxigraph as ox

from stkg.errors import SourceError
from stkg.execution import TRANSFER_LIMIT
from stkg.negation import minus_for_not_exists
from stkg.netguard import forbid_network
from stkg.sandbox import Limits, QueryRefused, check_query
from stkg.store import query_options
from stkg.store.embedded import filled

_CHECKED_CACHE = 256


def worker_entry(argv: list[str]) -> None:
    """Entry point of a zygote: `argv` is the socket's file descriptor, the snapshot folder
    and each worker's memory cap in MiB (0: none)."""
    _zygote_main(Connection(int(argv[0])), argv[1], int(argv[2]))


def _zygote_main(conn: Connection, snapshot: str, memory_mib: int) -> None:
    """Open the snapshot read-only, then fork a query worker for each ("fork",) message;
    ("copy",) replaces the snapshot with a copy in memory that later workers share.

    The zygote is single-threaded but for its parent watch, so a fork copies no lock held
    by another thread; workers forked after the copy share its pages (copy-on-write: the
    engine only reads them). Workers are reaped when the pool says ("reap", pid); until
    then the pool reads a dead one's exit status from /proc."""
    _die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C goes to the server; it stops us
    forbid_network()
    store = ox.Store.read_only(snapshot)
    graphs = {g.value for g in store.named_graphs() if isinstance(g, ox.NamedNode)}
    check_query("ASK {}", graphs, Limits())  # the gate's parser loads once, for every worker
    for message in _messages(conn):
        if message[0] == "fork":
            _fork(conn, store, graphs, memory_mib)
        elif message[0] == "copy":
            store = filled(store)  # blank nodes keep their ids: workers answer as before
            conn.send(("copied", len(store)))
        elif message[0] == "reap":
            with contextlib.suppress(ChildProcessError):
                os.waitpid(message[1], 0)


def _fork(conn: Connection, store: ox.Store, graphs: set[str], memory_mib: int) -> None:
    """Fork one worker and hand the pool its end of a new socket pair."""
    ours, theirs = socket.socketpair()
    pid = os.fork()
    if pid == 0:  # the worker
        try:
            conn.close()
            ours.close()
            _worker_main(Connection(theirs.detach()), store, graphs, memory_mib)
        finally:
            os._exit(0)
    theirs.close()
    conn.send(("forked", pid))
    send_handle(conn, ours.fileno(), os.getppid())
    ours.close()


def _worker_main(conn: Connection, store: ox.Store, graphs: set[str], memory_mib: int) -> None:
    """Answer queries from `conn` until told to stop."""
    _die_with_parent()
    if memory_mib > 0:
        cap = _data_size() + memory_mib * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_DATA, (cap, cap))
    checked: dict[tuple[Any, ...], Any] = {}
    for message in _messages(conn):
        try:
            reply = _run(store, graphs, checked, *message)
        except MemoryError:
            reply = ("memory",)
        conn.send(reply)


def _messages(conn: Connection) -> Iterator[Any]:
    """Say ready, then yield what arrives on `conn` until it closes or says None (stop)."""
    conn.send(("ready",))
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        if message is None:
            return
        yield message


def _data_size() -> int:
    """This process's data segment now (VmData, bytes): the worker's own share, which the
    memory cap adds to rather than takes from (the gate's parser and the open store alone
    are about 120 MiB, and grow with what the worker imports)."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmData:"):
                return int(line.split()[1]) * 1024
    return 0


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


def _run(
    store: ox.Store,
    graphs: set[str],
    checked: dict[tuple[Any, ...], Any],
    sparql: str,
    bindings_tsv: str | None,
    default_graphs: Sequence[str] | None,
    named_graphs: Sequence[str] | None,
    max_rows: int,
    base_iri: str | None,
    limits: tuple[int, ...],
    max_bytes: int,
) -> tuple[Any, ...]:
    key = (sparql, base_iri, limits)
    try:
        if key not in checked:  # named queries send the same text on every request
            if len(checked) >= _CHECKED_CACHE:
                checked.clear()
            checked[key] = check_query(sparql, graphs, Limits(*limits), base_iri=base_iri)
    except QueryRefused as refused:
        return ("refused", refused.message, refused.status)
    except SourceError as error:
        return ("gate-syntax", error.message, error.line, error.column)
    default_graphs, named_graphs = checked[key].dataset(default_graphs, named_graphs)
    bindings = None
    if bindings_tsv is not None:
        solution = next(iter(ox.parse_query_results(bindings_tsv, ox.QueryResultsFormat.TSV)))
        names = bindings_tsv.split("\n", 1)[0].split("\t")
        bindings = {n[1:]: solution[n[1:]] for n in names}
    options = query_options(bindings, default_graphs, named_graphs, base_iri)
    if bindings is None:  # see stkg.negation for why not with bindings
        sparql = minus_for_not_exists(sparql)
    try:
        raw = store.query(sparql, **options)
        if isinstance(raw, ox.QueryBoolean):
            return ("ask", bool(raw))
        if isinstance(raw, ox.QueryTriples):
            return _graph(raw, max_rows, max_bytes)
        return _select(raw, max_rows, max_bytes)
    except SyntaxError as error:
        return ("syntax", str(error))
    except (RuntimeError, OSError, ValueError) as error:
        return ("error", str(error))


def _graph(raw: ox.QueryTriples, max_rows: int, max_bytes: int) -> tuple[Any, ...]:
    lines = _Lines(max_rows, max_bytes, header=False)
    return lines.run("graph", raw, ox.RdfFormat.N_TRIPLES)


def _select(raw: ox.QuerySolutions, max_rows: int, max_bytes: int) -> tuple[Any, ...]:
    lines = _Lines(max_rows, max_bytes, header=True)
    return lines.run("select", raw, ox.QueryResultsFormat.TSV)


class _Enough(Exception):
    """The answer has every line it may keep: stops Oxigraph's serialiser mid-answer."""


class _Lines:
    """A binary sink for Oxigraph's line-based serialisers (SPARQL TSV, N-Triples): keeps the
    header line (`header`), then whole lines, at most `max_rows` of them and `max_bytes` of
    them in all; past a cap it raises `_Enough`, which stops the serialiser and with it the
    query (without ORDER BY, DISTINCT or GROUP BY, rows after the cap are never computed).

    Oxigraph writes every term in its exact form and escapes newlines inside values, so one
    line is one row. Serialising there and cutting the text is 2-4x faster than building
    each row as Python objects and joining their `str()`; the query itself stops as early."""

    def __init__(self, max_rows: int, max_bytes: int, *, header: bool) -> None:
        self.max_rows = max_rows
        self.max_bytes = max_bytes
        self.line_limit = min(max_bytes, TRANSFER_LIMIT)
        self.header = b"" if header else None  # None: no header line to keep
        self.wants_header = header
        self.kept: list[bytes] = []
        self.partial = b""  # the start of a line not yet ended
        self.rows = 0
        self.size = 0
        self.cut: bool | str = False
        self.too_large = 0  # the length of a line too long to keep, once it ended

    def run(
        self,
        kind: str,
        raw: ox.QuerySolutions | ox.QueryTriples,
        fmt: ox.QueryResultsFormat | ox.RdfFormat,
    ) -> tuple[Any, ...]:
        with contextlib.suppress(_Enough):
            raw.serialize(self, format=fmt)  # type: ignore[arg-type]
        if self.too_large:
            return ("too-large", abs(self.too_large), self.line_limit)
        text = b"".join([self.header or b"", *self.kept]).decode("utf-8")
        return (kind, text, self.cut)

    def write(self, chunk: bytes) -> int:
        if self.too_large < 0:  # inside a line too long to keep: find where it ends
            end = bytes(chunk).find(b"\n")
            self.too_large -= len(chunk) if end < 0 else end + 1
            if end >= 0:
                self.too_large = -self.too_large
                raise _Enough
            return len(chunk)
        data = self.partial + bytes(chunk)
        end = data.rfind(b"\n") + 1
        lines, self.partial = data[:end], data[end:]
        if self.wants_header and lines:
            first = lines.index(b"\n") + 1
            self.header, lines, self.wants_header = lines[:first], lines[first:], False
        count = lines.count(b"\n")
        if (
            self.rows + count <= self.max_rows
            and self.size + len(lines) <= self.max_bytes
            and len(lines) <= self.line_limit
        ):
            self.kept.append(lines)  # the common case: the whole chunk fits
            self.rows += count
            self.size += len(lines)
        elif lines:
            for line in lines[:-1].split(b"\n"):
                self._keep(line + b"\n")
        if self.partial and (self.rows == self.max_rows or len(self.partial) > self.line_limit):
            self._keep(self.partial)  # another row past the cap, or one too long to keep
        return len(chunk)

    def _keep(self, line: bytes) -> None:
        if self.rows == self.max_rows:
            self.cut = True
            raise _Enough
        if len(line) > self.line_limit:
            if line.endswith(b"\n"):
                self.too_large = len(line)
                raise _Enough
            self.too_large, self.partial = -len(line), b""
            return
        if self.size + len(line) > self.max_bytes:
            self.cut = "bytes"
            raise _Enough
        self.kept.append(line)
        self.rows += 1
        self.size += len(line)

    def flush(self) -> None:
        """Nothing buffered here."""
