"""`stkg` as a real process, for tests of what a user sees: exit code, stderr, no traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from conftest import MINI_DATA, MINI_ONTOLOGY, write_project

STKG = str(Path(sys.executable).with_name("stkg"))


def mini_project_dir(root: Path) -> Path:
    """A tiny project, so that each process loads it in a fraction of a second."""
    return write_project(
        root / "mini", {"ontology/core.ttl": MINI_ONTOLOGY, "data/systems.ttl": MINI_DATA}
    )


def stkg(
    *args: str, cwd: Path, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [STKG, *args],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def start_stkg(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.Popen:
    return subprocess.Popen(
        [STKG, *args],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def assert_one_line_error(result: subprocess.CompletedProcess, *, code: int = 1) -> str:
    """The failure a user can act on: one `Error: …` line, the exit code, no traceback."""
    lines = result.stderr.strip().splitlines()
    assert result.returncode == code, result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    return lines[0]
