"""Progress bars for long CLI work: a bar on a terminal, nothing when output is piped.

Built on tqdm (docs/decisions.md): it draws on standard error, so data written to standard
output stays clean, and it works out the terminal width and rate by itself. Whether to draw
is decided once, by `enabled`, from the stream the bar would write to.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

from tqdm import tqdm


def enabled(stream: TextIO | None = None) -> bool:
    """Draw progress only on an interactive terminal: never into pipes, files or CI logs."""
    stream = sys.stderr if stream is None else stream
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty and isatty())
    except ValueError:  # a closed stream
        return False


@contextmanager
def bar(
    total: int | None, desc: str, unit: str = "it", stream: TextIO | None = None
) -> Iterator[tqdm]:
    """A progress bar to `update(n)`; a silent stand-in when `stream` is not a terminal."""
    stream = sys.stderr if stream is None else stream
    progress = tqdm(
        total=total,
        desc=desc,
        unit=unit,
        file=stream,
        disable=not enabled(stream),
        unit_scale=True,
        leave=False,
        dynamic_ncols=True,
    )
    try:
        yield progress
    finally:
        progress.close()


@contextmanager
def status(desc: str, stream: TextIO | None = None, interval: float = 0.25) -> Iterator[None]:
    """An elapsed-time indicator for one long call that cannot report its own progress (a
    store load, a validation run): redrawn from a background thread until the call ends."""
    stream = sys.stderr if stream is None else stream
    if not enabled(stream):
        yield
        return
    progress = tqdm(total=None, desc=desc, file=stream, leave=False, bar_format="{desc}: {elapsed}")
    done = threading.Event()

    def tick() -> None:
        while not done.wait(interval):
            progress.refresh()

    ticker = threading.Thread(target=tick, daemon=True)
    ticker.start()
    try:
        yield
    finally:
        done.set()
        ticker.join()
        progress.close()
