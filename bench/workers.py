"""Child processes with time limits: measurement steps and the real `stkg serve`.

Each child runs in its own process group, so a step past its limit is killed with everything
it started; nothing outlives the benchmark."""

from __future__ import annotations

import contextlib
import json
import os
import queue
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
STKG = [str(Path(sys.executable).with_name("stkg"))]  # the installed command, as users run it


class StepTimeout(Exception):
    """A step (or one query of it) ran past its limit and was killed."""


LIVE: set[Child] = set()  # children still running: killed when the benchmark ends


def kill_all() -> None:
    """End every child still running (on normal exit, Ctrl-C, SIGTERM or an error)."""
    for child in list(LIVE):
        child.kill()


class Child:
    """A child process whose standard output is read line by line, with a deadline."""

    def __init__(self, args: list[str], env: dict[str, str] | None = None) -> None:
        self.errors = tempfile.TemporaryFile(mode="w+", encoding="utf-8")  # noqa: SIM115
        self.process = subprocess.Popen(
            args,
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=self.errors,
            text=True,
            start_new_session=True,  # its own process group: killed as a whole
            env={**os.environ, **(env or {})},
        )
        LIVE.add(self)
        self.lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def next(self, timeout: float) -> str | None:
        """The next line, None at the end; StepTimeout (and the child killed) past `timeout`."""
        try:
            return self.lines.get(timeout=max(timeout, 0.0))
        except queue.Empty:
            self.kill()
            raise StepTimeout from None

    def wait(self) -> int:
        """Wait for the child to end by itself; its exit code."""
        code = self.process.wait()
        LIVE.discard(self)
        return code

    def stop(self, grace: float = 5.0) -> None:
        """SIGTERM (the server then stops its query workers), SIGKILL after `grace`."""
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(grace)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                self.kill()
        LIVE.discard(self)

    def error_tail(self, lines: int = 5) -> str:
        """The end of what the child wrote to standard error (why a step failed)."""
        self.errors.seek(0)
        return "\n".join(self.errors.read().splitlines()[-lines:])

    def kill(self) -> None:
        """SIGKILL to the child's process group, unless the child was already reaped (its
        PID, and so the group id, may then belong to someone else)."""
        if self.process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        LIVE.discard(self)


def run_step(args: list[str], timeout: float) -> tuple[list[dict[str, Any]], bool]:
    """Run `python -m bench.steps ARGS`; (measurements, timed out)."""
    child = Child([sys.executable, "-m", "bench.steps", *args])
    deadline = time.monotonic() + timeout
    found = []
    try:
        while (line := child.next(deadline - time.monotonic())) is not None:
            found.append(json.loads(line))
    except StepTimeout:
        return found, True
    if child.wait() != 0:
        found.append({"step": "error", "of": args[0], "stderr": child.error_tail()})
    return found, False


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_ready(url: str, child: Child, timeout: float) -> float | None:
    """Seconds until `url` answers 200, None if it does not within `timeout`."""
    start = time.perf_counter()
    while time.perf_counter() - start < timeout:
        if child.process.poll() is not None:
            return None
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:
                if answer.status == 200:
                    return time.perf_counter() - start
        except OSError:
            time.sleep(0.02)
    return None


def serve(store: Path | None, port: int, threads: int = 2, workers: int = 2) -> Child:
    """The real server on loopback: `stkg [--store DIR] serve`."""
    args = [*STKG] + (["--store", str(store)] if store else [])
    args += ["serve", "--host", "127.0.0.1", "--port", str(port), "--threads", str(threads)]
    args += ["--query-workers", str(workers)]
    return Child(args, env={"STKG_PROJECT": str(REPO)})


def peak_rss_mb(pid: int) -> float | None:
    """The peak resident memory of a running process (Linux VmHWM)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None
