"""`stkg serve` as a real process on a free loopback port, for the real-server tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    base: str
    process: subprocess.Popen
    log: Path


@contextmanager
def running_server(
    workdir: Path, env: dict[str, str] | None = None, timeout: float = 60
) -> Iterator[Server]:
    """Start `stkg serve` in `workdir`, wait until /index.json answers complete (the caches
    warmed), stop it afterwards."""
    port = free_port()
    environment = {**os.environ, **(env or {}), "STKG_PORT": str(port)}
    log = workdir / "server.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(Path(sys.executable).with_name("stkg")), "serve"],
            cwd=workdir,
            env=environment,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    server = Server(f"http://127.0.0.1:{port}", process, log)
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                with urllib.request.urlopen(f"{server.base}/index.json", timeout=5) as answer:
                    if "X-STKG-Computing" not in answer.headers:  # the caches are warm
                        break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(log.read_text())
            time.sleep(0.2)
        yield server
    finally:
        process.terminate()
        process.wait(timeout=15)
