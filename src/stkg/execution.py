"""Running queries with a hard time limit and a row cap.

What every executor shares: the answer (`Answer`, with the cap that cut it), the caps
(`cap`: rows beyond `max_rows`, and rows past `max_bytes` of answer, are not kept; the answer
says it was truncated and by which cap), the errors a query can end in, and two executors.
`LocalExecutor` runs in the calling thread with the same caps and no time limit: for the
CLI, and for apps configured with `STKG_QUERY_WORKERS=0`. `CachingExecutor` keeps answers
until the store changes. The pool of worker processes with the time limit, for the network,
is `stkg.worker_pool.WorkerPool`.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from stkg.errors import StkgError
from stkg.results import QueryResult, TsvResult
from stkg.sandbox import Limits, check_query
from stkg.store import QueryRequest, Store

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
    _body: tuple[str, bytes] | None = field(default=None, repr=False, compare=False)

    def body(self, fmt: str, serialize: Callable[[str], bytes]) -> bytes:
        """The answer serialised in `fmt` by `serialize`, kept for the next request in the
        same format: an answer from `CachingExecutor` is otherwise serialised again on every
        request (55 ms for 10,000 rows as SPARQL JSON). One body only, so a cached answer
        holds at most about twice its text."""
        kept = self._body
        if kept is not None and kept[0] == fmt:
            return kept[1]
        body = serialize(fmt)
        self._body = (fmt, body)
        return body


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
        # the text and one body (Answer.body; SPARQL JSON is about 1.8 times the TSV); the
        # endpoint serialises from the text and never reads the rows
        return 3 * len(result.tsv)
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
                raise row_too_large(length, max_bytes)
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


def row_too_large(length: int, limit: int) -> AnswerTooLarge:
    why = (
        "rows cross between processes in at most 16 MiB"
        if limit >= TRANSFER_LIMIT
        else "STKG_MAX_ANSWER_BYTES"
    )
    return AnswerTooLarge(
        f"one row of the answer is {length / 1048576:.1f} MiB, more than a row may be "
        f"({limit / 1048576:.1f} MiB: {why}); select a shorter value (SUBSTR) or fewer columns"
    )
