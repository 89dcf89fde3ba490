"""Pausing Python's cycle collector around steps that make millions of small objects."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused() -> Iterator[None]:
    """Pause the cycle collector while a step crosses a large graph into Python objects
    (dicts, sets, tuples, terms) none of which are in cycles, so the collector's passes over
    them only cost time: several seconds at 100,000 systems in `classify`; half of checking
    and building an inventory import. Restored afterwards, also on error."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
