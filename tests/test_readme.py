"""Every command line the README shows in a shell block runs as the README says.

Each ```sh block runs, its commands in order, in a temporary copy of the bundled project (so
`data/examples/*.ttl` and `scripts/…` resolve, and what the commands write stays there), with
the venv's `stkg` first on PATH and `.venv/bin/python` the interpreter running these tests.
A command exits 0 unless its line says otherwise with a comment `# exits N`; output lines shown
after a `$ ` command (without an ellipsis) must be in what it prints. `stkg … serve` is started
as a real server (tests/servers.py) and answers `/`. Commands that cannot run here are listed
in NOT_RUN with the reason; a command line that is neither runnable nor listed fails, so a new
README example cannot go untested.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from conftest import REFERENCE, REPO
from servers import running_server
from test_validate import GOVERNED

README = REPO / "README.md"
PROJECT_FOLDERS = ("ontology", "shapes", "queries", "rules", "data", "scripts")
IGNORED = shutil.ignore_patterns("__pycache__")
RUNNABLE = ("stkg ", ".venv/bin/python scripts/")
NOT_RUN = {
    "scripts/run": "sets up the machine (apt, npm ci), then serves forever; `stkg serve`, which "
    "it ends in, is started below",
    "scripts/test": "sets up the machine, then runs this test suite itself",
    "curl": "talks to a server started with a token; tests/test_web_write.py sends the same "
    "requests to a real `stkg serve`",
}
# Placeholder files the README names, given real content: a fully governed system.
PLACEHOLDERS = {
    "my-inventory.ttl": GOVERNED,
    "credit-scoring.ttl": (REPO / "tests" / "airo" / "credit-scoring.ttl").read_text("utf-8"),
}
EXITS = re.compile(r"\s#\s*exits (\d+)")
# Global options of `stkg` and the environment variables that set them (README, Using stkg).
SERVE_OPTIONS = {"--store": "STKG_STORE", "--project": "STKG_PROJECT"}


@dataclass
class Command:
    line: int  # README line number, for messages
    text: str
    exit_code: int = 0
    output: list[str] = field(default_factory=list)


def complete(text: str) -> bool:
    """Whether a shell command is complete: its quotes closed, no trailing backslash."""
    if text.rstrip().endswith("\\"):
        return False
    try:
        shlex.split(text, comments=True)
    except ValueError:
        return False
    return True


def blocks(readme: str) -> list[tuple[int, list[Command]]]:
    """The README's ```sh blocks, each as the commands it shows (with continuation lines)."""
    found, lines = [], readme.splitlines()
    i = 0
    while i < len(lines):
        if lines[i].strip() != "```sh":
            i += 1
            continue
        start, body = i + 1, []
        i += 1
        while lines[i].strip() != "```":
            body.append((i + 1, lines[i]))
            i += 1
        found.append((start, commands(body)))
    return found


def commands(body: list[tuple[int, str]]) -> list[Command]:
    prompted = any(text.startswith("$ ") for _, text in body)
    out: list[Command] = []
    pending: Command | None = None
    for number, text in body:
        if pending is not None:
            pending.text += "\n" + text
        elif prompted and not text.startswith("$ "):
            if out and text.strip() and "…" not in text:
                out[-1].output.append(text.strip())
            continue
        elif text.strip() and not text.lstrip().startswith("#"):
            pending = Command(number, text.removeprefix("$ "))
        if pending is not None and complete(pending.text):
            exits = EXITS.search(pending.text)
            pending.exit_code = int(exits.group(1)) if exits else 0
            out.append(pending)
            pending = None
    return out


def program(part: str) -> str:
    return shlex.split(part, comments=True)[0]


def kind(part: str) -> str:
    """`run`, `serve` or `not run`; a command that is none of them fails the test."""
    if part.startswith(RUNNABLE):
        words = shlex.split(part, comments=True)
        return "serve" if words[0] == "stkg" and "serve" in words else "run"
    if program(part) in NOT_RUN:
        return "not run"
    raise AssertionError(
        f"the README shows `{part}`: make it runnable here or list it in NOT_RUN with the reason"
    )


BLOCKS = blocks(README.read_text(encoding="utf-8"))


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """A copy of the bundled project, with `.venv/bin/python` the interpreter running the tests."""
    for folder in PROJECT_FOLDERS:
        shutil.copytree(
            REPO / folder, tmp_path / folder, ignore=shutil.ignore_patterns("__pycache__")
        )
    (tmp_path / "reference").symlink_to(REFERENCE)
    python = tmp_path / ".venv" / "bin" / "python"
    python.parent.mkdir(parents=True)
    python.write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n', encoding="utf-8")
    python.chmod(0o755)
    for name, text in PLACEHOLDERS.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    return tmp_path


def environment() -> dict[str, str]:
    source = str(REPO / "src")
    path = os.pathsep.join(p for p in (source, os.environ.get("PYTHONPATH")) if p)
    bin_dir = str(Path(sys.executable).parent)
    env = {**os.environ, "PYTHONPATH": path, "PATH": bin_dir + os.pathsep + os.environ["PATH"]}
    env.pop("STKG_PROJECT", None)
    env.pop("STKG_STORE", None)
    return env


def run(part: str, workdir: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["bash", "-c", part], cwd=workdir, env=environment(), capture_output=True, text=True,
        timeout=120, check=False,
    )  # fmt: skip


def serve(part: str, workdir: Path) -> None:
    """Start the README's `stkg … serve` line as a real server and fetch `/` once."""
    words = shlex.split(part, comments=True)
    words = words[1 : words.index("serve")]
    env = {}
    while words:
        option, value, *words = words
        assert option in SERVE_OPTIONS, f"`{part}`: add {option} to SERVE_OPTIONS"
        env[SERVE_OPTIONS[option]] = str((workdir / value).resolve())
    with (
        running_server(workdir, {**environment(), **env}) as server,
        urllib.request.urlopen(server.base + "/", timeout=30) as answer,
    ):
        assert answer.status == 200
        assert "text/html" in answer.headers["Content-Type"]


def test_the_readme_shows_commands():
    shown = [command for _, found in BLOCKS for command in found]
    assert len(shown) >= 10
    listed = {program(part) for c in shown for part in c.text.split(" && ")}
    stale = sorted(set(NOT_RUN) - listed)
    assert not stale, f"NOT_RUN lists commands the README no longer shows: {stale}"


@pytest.mark.slow
@pytest.mark.parametrize("found", [b[1] for b in BLOCKS], ids=[f"line-{b[0]}" for b in BLOCKS])
def test_every_readme_command_exits_as_documented(found, workdir):
    for command in found:
        parts = command.text.split(" && ")
        for number, part in enumerate(parts, 1):
            how = kind(part)
            if how == "not run":
                continue
            if how == "serve":
                serve(part, workdir)
                continue
            result = run(part, workdir)
            expected = command.exit_code if number == len(parts) else 0
            assert result.returncode == expected, (
                f"README line {command.line}: `{part}` exited {result.returncode}, "
                f"expected {expected}\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}"
            )
            if number == len(parts):
                missing = [line for line in command.output if line not in result.stdout]
                assert not missing, (
                    f"README line {command.line}: `{part}` did not print {missing}\n"
                    f"{result.stdout[-2000:]}"
                )
