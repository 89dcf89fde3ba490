"""The processes behind `stkg.worker_pool.WorkerPool`: a zygote holding one snapshot of the
store, and the workers it forks.

The zygote is a fresh Python process (not multiprocessing's spawn, which re-imports the
caller's __main__) running `stkg.query_worker`; the pool talks to it over a socket pair with
multiprocessing's message framing. Workers die with their zygote, and the zygote with the
server.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from multiprocessing.connection import Connection
from multiprocessing.reduction import recv_handle
from pathlib import Path

from stkg.errors import StkgError


class Zygote:
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


class WorkerProcess:
    """One worker, forked by the zygote of its snapshot; it dies with the zygote."""

    def __init__(self, zygote: Zygote) -> None:
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
