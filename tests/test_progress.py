"""Progress: a bar on a terminal, nothing when output is piped."""

from __future__ import annotations

import io
import time

import pytest

from stkg import progress
from stkg.cli import main

BAR_MARKS = ("\r", "%|", "█", "it/s", "systems/s")


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        if self.closed:
            raise ValueError("I/O operation on closed file")
        return True


def test_progress_is_drawn_only_on_a_terminal():
    assert progress.enabled(Terminal())
    assert not progress.enabled(io.StringIO())
    closed = Terminal()
    closed.close()
    assert not progress.enabled(closed)


def test_a_bar_on_a_terminal_shows_the_count():
    screen = Terminal()
    with progress.bar(10, "Counting", unit="systems", stream=screen) as shown:
        for _ in range(10):
            shown.update(1)
    text = screen.getvalue()
    assert "Counting:   0%|" in text
    assert "systems/s" in text


def test_a_bar_into_a_pipe_writes_nothing():
    pipe = io.StringIO()
    with progress.bar(10, "Counting", stream=pipe) as shown:
        shown.update(10)
    assert pipe.getvalue() == ""


def test_a_status_on_a_terminal_shows_the_elapsed_time():
    screen = Terminal()
    with progress.status("Loading", stream=screen, interval=0.01):
        time.sleep(0.05)
    assert "Loading: 00:0" in screen.getvalue()


def test_a_status_into_a_pipe_writes_nothing_and_passes_errors_on():
    pipe = io.StringIO()
    with pytest.raises(KeyError), progress.status("Loading", stream=pipe):
        raise KeyError("boom")
    assert pipe.getvalue() == ""


@pytest.mark.parametrize(
    "args",
    [
        ["generate", "--systems", "50", "--out", "{tmp}/p.nt"],
        ["load", "{tmp}/p.nt"],
        ["validate", "{tmp}/p.nt"],
    ],
)
def test_piped_commands_show_no_bar(runner, tmp_path, args):
    runner.invoke(main, ["generate", "--systems", "20", "--out", str(tmp_path / "p.nt")])
    result = runner.invoke(main, [a.format(tmp=tmp_path) for a in args])
    assert result.exit_code in (0, 1), result.output
    for mark in BAR_MARKS:
        assert mark not in result.output


def test_a_terminal_gets_a_bar_while_generating(runner, tmp_path, monkeypatch):
    monkeypatch.setattr(progress, "enabled", lambda stream=None: True)
    result = runner.invoke(main, ["generate", "--systems", "3000", "--out", str(tmp_path / "p.nt")])
    assert result.exit_code == 0, result.output
    assert "Generating" in result.stderr
    assert "systems/s" in result.stderr
    assert "Generating" not in result.stdout
