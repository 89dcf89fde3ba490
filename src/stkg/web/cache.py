"""What the explorer computes once per version of the store and keeps in memory.

Validation results, the search index and the portfolio index cost seconds at a hundred
thousand systems; each is built the first time a page needs it (or by `stkg.web.warm` at
start-up) and kept in `app.extensions["stkg"][name]` beside the store's graph list it was
built from (`stkg.web.sparql.store_graphs`). An update through `/sparql` replaces that list,
so the next page builds afresh. Concurrent requests wait on one lock per name and never
build twice. A build must not change the store itself (derive the classification graph
first: `stkg.web.classification.ensure_classification`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

from flask import current_app

from stkg.web.sparql import store_graphs

T = TypeVar("T")
_locks: dict[str, threading.Lock] = {}
_locks_lock = threading.Lock()


def per_store_version(name: str, build: Callable[[], T]) -> T:
    """`build()`'s value, computed once per version of the store's graphs."""
    state = current_app.extensions["stkg"]
    cached = state.get(name)
    if cached is not None and cached[0] is store_graphs():
        return cached[1]
    with _locks_lock:
        lock = _locks.setdefault(name, threading.Lock())
    with lock:
        cached = state.get(name)
        if cached is not None and cached[0] is store_graphs():
            return cached[1]
        token = store_graphs()  # before building: an update meanwhile makes the value stale
        value = build()
        state[name] = (token, value)
        return value
