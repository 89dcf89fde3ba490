"""Statements of applicability (`stkg report --soa FRAMEWORK`): per requirement, applies or not
and why, the controls implementing it, their evidence, the systems failing it; in HTML, CSV,
XLSX and Markdown. Through the real command, on the example portfolio with a few recorded
applicability decisions and an item of evidence loaded on top."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from openpyxl import load_workbook

from commands import stkg
from conftest import REPO

ISO = "https://w3id.org/stkg/framework/iso-iec-42001/"
DECISIONS = """\
@prefix stkg: <https://w3id.org/stkg#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix iso:  <https://w3id.org/stkg/framework/iso-iec-42001/> .
@prefix ex:   <https://example.org/soa/> .

ex:NoCustomers a stkg:ApplicabilityDecision ;
    stkg:decidesApplicabilityOf iso:A.10.4 ;
    stkg:applicable false ;
    stkg:applicabilityJustification "No AI system is offered to customers as a product." .

ex:ResourcesApply a stkg:ApplicabilityDecision ;
    stkg:decidesApplicabilityOf iso:A.4.2 ;
    stkg:applicable true ;
    stkg:applicabilityJustification "Every system's resources are to be documented." .

ex:SuppliersApply a stkg:ApplicabilityDecision ;
    stkg:decidesApplicabilityOf iso:A.10.3 ; stkg:applicable true .
ex:SuppliersDoNot a stkg:ApplicabilityDecision ;
    stkg:decidesApplicabilityOf iso:A.10.3 ; stkg:applicable false .

<https://w3id.org/stkg/example/acme/DriftMonitoringControl>
    stkg:hasEvidence ex:DriftDashboardLog .
ex:DriftDashboardLog a stkg:Evidence ; rdfs:label "Monthly drift dashboard sign-off log" .
"""


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("soa")
    (folder / "decisions.ttl").write_text(DECISIONS, encoding="utf-8")
    done = stkg("--project", str(REPO), "--store", str(folder / "store"), "load",
                str(folder / "decisions.ttl"), cwd=folder)  # fmt: skip
    assert done.returncode == 0, done.stderr
    return folder / "store"


def soa(store: Path, *args: str) -> str:
    done = stkg("--project", str(REPO), "--store", str(store), "report", "--soa", *args,
                cwd=store.parent)  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def rows(store) -> dict[str, dict[str, str]]:
    text = soa(store, "iso-iec-42001", "--kind", "control", "--format", "csv")
    return {row["requirement"]: row for row in csv.DictReader(io.StringIO(text))}


def test_every_annex_a_control_has_a_row(rows):
    assert len(rows) == 38
    assert {"A.2.2", "A.6.2.6", "A.10.4"} <= set(rows)


def test_a_control_makes_a_requirement_apply_and_its_failures_are_listed(rows):
    row = rows["A.6.2.6"]
    assert row["applies"] == "yes"
    assert row["why"].startswith("implemented by ")
    assert "Drift and fairness thresholds with monthly monitoring" in row["controls"]
    assert "Monthly drift dashboard sign-off log" in row["evidence"]
    assert row["status"] == "implemented, with gaps"
    assert "Collections prioritisation" in row["failing_systems"]


def test_failures_without_a_control_make_it_apply_not_implemented(rows):
    row = rows["A.2.2"]
    assert (row["applies"], row["status"], row["controls"]) == ("yes", "not implemented", "")
    assert "fail checks of it" in row["why"]
    assert "Next-best-offer" in row["failing_systems"]


def test_a_recorded_decision_excludes_with_its_justification(rows):
    row = rows["A.10.4"]
    assert (row["applies"], row["status"]) == ("no", "excluded")
    assert row["why"] == "No AI system is offered to customers as a product."


def test_a_recorded_decision_to_apply_without_a_control_is_not_implemented(rows):
    row = rows["A.4.2"]
    assert (row["applies"], row["status"]) == ("yes", "not implemented")
    assert row["why"] == "Every system's resources are to be documented."


def test_nothing_recorded_is_to_decide_never_guessed(rows):
    row = rows["A.2.3"]
    assert (row["applies"], row["status"]) == ("to decide", "")
    assert "no decision recorded" in row["why"]
    assert rows["A.10.3"]["applies"] == "to decide"  # decisions that disagree
    assert "disagree" in rows["A.10.3"]["why"]


def test_a_control_without_evidence_says_so(rows):
    row = rows["A.3.3"]
    assert row["controls"] and row["evidence"] == "none recorded"


def test_markdown_html_and_xlsx_say_what_csv_says(store, rows, tmp_path):
    markdown = soa(store, "iso-iec-42001", "--kind", "control")
    assert markdown.startswith("# Statement of applicability: ISO/IEC 42001")
    assert "38 requirements: " in markdown
    assert f"| [A.10.4]({ISO}A.10.4) | Customers | no | No AI system is offered" in markdown
    html = soa(store, "iso-iec-42001", "--kind", "control", "--format", "html")
    assert "<script" not in html and "Monthly drift dashboard sign-off log" in html
    assert html.count("<tr>") == 39  # header and 38 requirements
    book = tmp_path / "soa.xlsx"
    soa(store, "iso-iec-42001", "--kind", "control", "--format", "xlsx", "-o", str(book))
    sheet = load_workbook(book).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[2][0] == "Requirement"
    by_code = {v[0]: v for v in values[3:]}
    assert set(by_code) == set(rows)
    assert by_code["A.10.4"][2:5] == ("no", rows["A.10.4"]["why"], "excluded")


def test_every_framework_has_a_statement(store):
    for framework in ("nist-ai-rmf", "eu-ai-act"):
        text = soa(store, framework, "--format", "csv")
        assert len(list(csv.DictReader(io.StringIO(text)))) > 20


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--soa", "iso-27001"], "unknown framework 'iso-27001' (known: "),
        (["--soa", "iso-iec-42001", "--kind", "contrl"], "no requirement of kind 'contrl'"),
        (["--format", "xlsx"], "--format xlsx needs --soa"),
        (["--kind", "control"], "--kind needs --soa"),
    ],
)
def test_bad_options_are_refused(store, args, message):
    done = stkg("--project", str(REPO), "--store", str(store), "report", *args, cwd=store.parent)
    assert done.returncode in (1, 2)
    assert message in done.stderr and "Traceback" not in done.stderr
