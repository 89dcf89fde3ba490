"""`python -m bench.load` runs end to end, bounded, and stops by itself. Only the structure
of its report is checked: benchmarks report times, tests never assert them."""

from __future__ import annotations

import sys

import pytest

from conftest import REPO

if str(REPO) not in sys.path:  # bench/ sits beside src/, as `python -m bench.load` runs it
    sys.path.insert(0, str(REPO))
load = pytest.importorskip("bench.load", reason="bench/ is in the source checkout only")


@pytest.mark.slow
def test_the_load_bench_reports_each_kind_of_request_and_the_servers_memory(capsys, tmp_path):
    run = load.main(
        [
            "--heavy", "1", "--named", "1", "--pages", "1", "--seconds", "4",
            "--mixed-requests", "40", "--requests", "30", "--endurance-seconds", "20",
            "--query-timeout", "1", "--json", str(tmp_path / "load.json"),
        ]
    )  # fmt: skip
    kinds = {row["kind"]: row for row in run["mixed"]["rows"]}
    assert set(kinds) == {"heavy", "named", "page"}
    assert set(kinds["heavy"]["statuses"]) <= {"503", "503 busy"}  # stopped or refused
    assert kinds["named"]["statuses"] == {"200": kinds["named"]["requests"]}
    endurance = run["endurance"]
    assert sum(row["requests"] for row in endurance["rows"]) == 30
    assert len(endurance["rss"]) >= 3 and all(rss for _, rss in endurance["rss"])
    printed = capsys.readouterr().out
    assert "| heavy | `/sparql` |" in printed and "| requests | server RSS |" in printed
    assert (tmp_path / "load.json").is_file()
