"""`stkg report` through the CLI: groupings, formats, --output, exit codes."""

from __future__ import annotations

import csv
import io

from conftest import REPO
from stkg.cli import main
from stkg.report_formats import SYSTEM_COLUMNS


def run(runner, *args: str):
    return runner.invoke(main, ["--project", str(REPO), "report", *args])


def test_markdown_by_system_is_the_default_and_exits_0_despite_gaps(runner):
    result = run(runner)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("# Gap report by system")
    assert "## Customer-service chatbot" in result.stdout
    assert "EU AI Act: transparency obligations" in result.stdout


def test_by_framework_for_one_framework(runner):
    result = run(runner, "--by", "framework", "--framework", "iso-iec-42001")
    assert result.exit_code == 0, result.output
    assert "## ISO/IEC 42001:2023" in result.stdout and "## NIST AI RMF" not in result.stdout
    assert "**related by crosswalk** via [GOVERN 2.1]" in result.stdout


def test_csv_and_html_to_a_file(runner, tmp_path):
    out = tmp_path / "gaps.csv"
    result = run(runner, "--format", "csv", "--output", str(out))
    assert result.exit_code == 0 and result.stdout == ""
    rows = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert tuple(rows[0]) == SYSTEM_COLUMNS and len(rows) > 30
    page = tmp_path / "gaps.html"
    assert run(runner, "--by", "framework", "--format", "html", "-o", str(page)).exit_code == 0
    assert "<h1>Gap report by framework clause</h1>" in page.read_text(encoding="utf-8")


def test_bad_input_exit_codes(runner):
    unknown = run(runner, "--by", "framework", "--framework", "no-such-framework")
    assert unknown.exit_code == 1 and "unknown framework" in unknown.output
    assert run(runner, "--framework", "nist-ai-rmf").exit_code == 2  # needs --by framework
    assert run(runner, "--format", "pdf").exit_code == 2
