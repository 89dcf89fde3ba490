"""`bench.doors`: the table it makes and, on a tiny run, that every door finds the same
results (timings are not checked)."""

from __future__ import annotations

import os
import time

import pytest
from bench.doors import Timing, run, table

from conftest import REPO
from stkg.project import Project
from stkg.validate import validate_paths


def test_the_table_gives_each_door_its_speed_up_over_jena_at_the_same_size():
    timings = [
        Timing("stkg validate FILE", 10, 2.0, 100.0, 7),
        Timing("Jena shacl validate", 10, 8.0, 300.0, 7),
        Timing("stkg validate FILE", 20, 5.0, 120.0, 9),
        Timing("Jena shacl validate", 20, 5.0, 310.0, 9),
        Timing("pySHACL pyshacl", 20, 50.0, 90.0, 9),
    ]
    lines = table(timings).splitlines()
    assert lines[0].startswith("| systems | door |")
    rows = [[cell.strip() for cell in line.strip("|").split("|")] for line in lines[2:]]
    assert [r[:2] for r in rows] == [
        ["10", "Jena shacl validate"],
        ["10", "stkg validate FILE"],
        ["20", "Jena shacl validate"],
        ["20", "pySHACL pyshacl"],
        ["20", "stkg validate FILE"],
    ]
    assert [r[5] for r in rows] == ["1.00x", "4.00x", "1.00x", "0.10x", "1.00x"]
    assert rows[1][3:5] == ["100", "7"]


def test_a_stopped_door_is_a_lower_bound_and_the_others_are_at_least_that_much_faster():
    timings = [
        Timing("Jena shacl validate", 10, 16.0, 300.0, 7),
        Timing("stkg validate FILE", 10, 4.0, 100.0, 7),
        Timing("pySHACL pyshacl", 10, 400.0, 0.0, 0, stopped=True),
    ]
    text = table(timings)
    [row] = [line for line in text.splitlines() if "pySHACL" in line and line.startswith("|")]
    assert [cell.strip() for cell in row.strip("|").split("|")] == [
        "10", "pySHACL pyshacl", "> 400 (stopped)", "-", "-", "< 0.04x"
    ]  # fmt: skip
    assert "stkg validate FILE is at least 100x faster than pySHACL pyshacl" in text


def test_a_command_over_its_limit_is_stopped_with_its_children(tmp_path):
    from bench.doors import timed

    pid = tmp_path / "child.pid"
    slow = ["sh", "-c", f"sleep 300 & echo $! > {pid}; wait"]
    assert timed(slow, tmp_path / "slow.out", limit=1) is None
    child = int(pid.read_text())
    with pytest.raises(ProcessLookupError):  # the command's own child was stopped too
        for _ in range(100):  # a killed child may take a moment to be reaped
            os.kill(child, 0)
            time.sleep(0.05)
    seconds, peak = timed(["true"], tmp_path / "quick.out", limit=30)
    assert seconds >= 0 and peak > 0


def test_a_size_without_the_anchor_has_no_ratio():
    [row] = table([Timing("stkg validate FILE", 5, 1.0, 10.0, 3)]).splitlines()[2:]
    assert row.endswith("| - |")


def test_a_tiny_run_finds_the_same_results_at_every_door(tmp_path):
    timings = {t.door: t for t in run([20], tmp_path, REPO, pyshacl_max=20)}
    assert set(timings) == {
        "stkg validate FILE",
        "stkg --store DIR validate",
        "Jena shacl validate",
        "pySHACL pyshacl",
    }
    jena = timings["Jena shacl validate"].results
    assert jena > 0
    assert timings["stkg validate FILE"].results == jena == timings["pySHACL pyshacl"].results
    examples = sorted((REPO / "data" / "examples").glob("*.ttl"))
    own = len(validate_paths(Project(REPO), examples)[0].results)
    assert timings["stkg --store DIR validate"].results == jena + own  # the store has them too
