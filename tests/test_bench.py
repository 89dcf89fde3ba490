"""The benchmark harness runs end to end at a tiny size. Only the structure of its report is
checked here: benchmarks report times, tests never assert them."""

from __future__ import annotations

import re

import pytest

from stkg.project import Project
from stkg.queries import named_queries

bench = pytest.importorskip("bench.run", reason="bench/ is in the source checkout only")

TARGETS = (
    "load ≤ 30 s",
    "each named query p50 ≤ 200 ms",
    "full validation ≤ 60 s",
    "validation ≥ 20× faster than pySHACL",
    "identical results to pySHACL",
    "EU AI Act classification ≤ 30 s",
    "peak RSS ≤ 4 GiB",
    "`stkg serve` ready ≤ 2 s",
    "≥ 300 named-query requests/s, 2 workers",
)


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bench")
    out = bench.main(
        [
            "--sizes", "20", "--runs", "2", "--requests", "20", "--http-seconds", "10",
            "--rdflib-max", "20", "--pyshacl-max", "20", "--owlrl-max", "20",
            "--query-timeout", "5", "--ready-runs", "1",
            "--work", str(folder / "work"), "--out", str(folder / "result.md"),
        ]
    )  # fmt: skip
    return folder, out.read_text(encoding="utf-8")


@pytest.mark.slow
def test_the_report_has_every_target_with_a_verdict(report):
    _, text = report
    rows = [line for line in text.splitlines() if line.startswith("| ") and " | " in line]
    for target in TARGETS:
        row = next(r for r in rows if r.startswith(f"| {target} |"))
        verdict = row.rstrip(" |").rsplit("| ", 1)[1]
        assert re.match(r"(met|not met( \(gap: .+\))?|not measured)$", verdict), row


@pytest.mark.slow
def test_every_named_query_is_measured_on_both_engines(report, project: Project):
    _, text = report
    for name in named_queries(project):
        row = next(line for line in text.splitlines() if line.startswith(f"| `{name}` |"))
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert re.match(r"[\d.]+ (ms|s)$", cells[2]), row  # stkg p50
        assert re.match(r"([\d.]+ (ms|s)|> \d+ s \(timeout\)|error: .+)$", cells[4]), row  # rdflib


@pytest.mark.slow
def test_both_validators_ran_and_agree(report):
    _, text = report
    row = next(line for line in text.splitlines() if line.startswith("| full validation ("))
    assert "pySHACL: " in row
    assert "same results" in row


@pytest.mark.slow
def test_load_reasoning_http_and_memory_are_reported(report):
    _, text = report
    assert "## 20 systems (" in text
    assert re.search(r"\| load the portfolio \(N-Triples\) \| [\d.]+ (ms|s) \| rdflib: ", text)
    assert "owlrl RDFS: " in text and "owlrl OWL RL: " in text
    assert re.search(r"HTTP \(.*\): [\d,]+ requests/s, p50 ", text)
    assert re.search(r"Peak RSS per step process: stkg [\d,]+ MiB", text)
    assert re.search(r"first 200 on `/`: [\d.]+", text)
    assert re.search(r"\| high-impact systems \| [\d,]+ \| [\d.]+ (ms|s) \| ", text)


@pytest.mark.slow
def test_generated_data_and_stores_are_cleaned_up(report):
    folder, _ = report
    assert list((folder / "work").iterdir()) == []


@pytest.mark.slow
def test_the_explorer_benchmark_requests_every_page(capsys):
    explorer = pytest.importorskip("bench.explorer")
    text = explorer.main(["--systems", "20", "--runs", "2"])
    rows = [line for line in text.splitlines() if line.startswith("| `/")]
    assert len(rows) == len(explorer.PAGES)
    for row in rows:
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert cells[1] == "200", row
        assert re.match(r"[\d,]+ ms$", cells[3]) and re.match(r"[\d,]+ ms$", cells[4]), row
    assert text in capsys.readouterr().out


@pytest.mark.slow
def test_the_run_is_saved_beside_its_table_and_renders_the_same(report):
    from bench import report as render

    folder, text = report
    run = render.load(folder / "result.json")
    assert list(run["sizes"]) == [20]
    assert render.markdown(run, run["date"]) == text
