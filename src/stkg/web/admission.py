"""Admission: ad-hoc SPARQL never takes what pages and named queries need.

Measured before this existed (issue 11): with 32 clients, 10% of them sending queries that
ran into the 10 s time limit, the four waitress threads were all held by heavy requests;
`GET /`, which runs no SPARQL, waited 19.6 s (p50), cheap named queries 10.4 s.

So requests go down one of two lanes. The *ad-hoc* lane is what a stranger can send: the
`/sparql` endpoint and the editor. At most `slots` ad-hoc queries run at once (one per
ad-hoc worker process), at most `queue` more wait for a slot, each for at most `wait`
seconds; any other is answered `503` with `Retry-After` at once, before it holds a thread
or a worker. The *named* lane (named queries, and the explorer's pages) runs on worker
processes of its own, so it never waits behind an ad-hoc query. `stkg serve` gives waitress
`slots + queue` threads beyond the ones for pages, so the ad-hoc lane can never hold them
all.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from flask import has_request_context, request

from stkg.sandbox import QueryRefused

AD_HOC = "ad-hoc"
NAMED = "named"
# Blueprints whose queries come from the request (stkg.web.sparql, stkg.web.editor).
AD_HOC_BLUEPRINTS = frozenset({"sparql", "editor"})


class ServerBusy(QueryRefused):
    """Every ad-hoc slot is taken and the wait queue is full (or the wait ran out): 503,
    with the seconds after which a slot will have come free."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message, 503)
        self.retry_after = retry_after


def lane() -> str:
    """The lane of the current request: ad-hoc for text a client sent, named otherwise."""
    if has_request_context() and request.blueprint in AD_HOC_BLUEPRINTS:
        return AD_HOC
    return NAMED


class Admission:
    """At most `slots` holders at once and at most `queue` waiting, each at most `wait` s."""

    def __init__(self, slots: int, queue: int, wait: float) -> None:
        self.slots = max(1, slots)
        self.queue = max(0, queue)
        self.wait = wait
        self.retry_after = max(1, math.ceil(wait))  # by then every running query has ended
        self._changed = threading.Condition()
        self._running = 0
        self._waiting = 0

    @contextmanager
    def slot(self) -> Iterator[None]:
        """Hold a slot for the duration of the block; ServerBusy when none comes free."""
        with self._changed:
            if self._running >= self.slots:
                if self._waiting >= self.queue:
                    raise ServerBusy(
                        f"the server is busy: {self.slots} ad-hoc queries are running and "
                        f"{self._waiting} waiting; try again in {self.retry_after} s",
                        self.retry_after,
                    )
                self._waiting += 1
                try:
                    free = self._changed.wait_for(lambda: self._running < self.slots, self.wait)
                finally:
                    self._waiting -= 1
                if not free:
                    raise ServerBusy(
                        f"the server is busy: no ad-hoc query slot came free in {self.wait:g} s; "
                        f"try again in {self.retry_after} s",
                        self.retry_after,
                    )
            self._running += 1
        try:
            yield
        finally:
            with self._changed:
                self._running -= 1
                self._changed.notify()

    def load(self) -> tuple[int, int]:
        """(running, waiting): for tests and the bench."""
        with self._changed:
            return self._running, self._waiting
