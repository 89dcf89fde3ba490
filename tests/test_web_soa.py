"""`/frameworks/<slug>/soa`: the statement of applicability page and its downloads say what
`stkg report --soa` says (the same data function), through the Flask test client."""

from __future__ import annotations

import csv
import io

from openpyxl import load_workbook

from page_checks import assert_accessible_page

SOA = "/frameworks/iso-iec-42001/soa"


def test_the_page_and_its_json_twin_agree(explorer):
    data = explorer.get(SOA + ".json?kind=control").get_json()
    assert data["counts"]["requirements"] == 38 and data["kind"] == "control"
    html = explorer.get(SOA + "?kind=control").get_data(as_text=True)
    assert_accessible_page(html)
    for entry in data["requirements"]:
        assert f'href="/resource?iri={entry["iri"]}">{entry["notation"]}</a>' in html
    monitoring = next(e for e in data["requirements"] if e["notation"] == "A.6.2.6")
    assert monitoring["applies"] == "yes" and monitoring["status"] == "implemented, with gaps"
    assert any(s["label"] == "Collections prioritisation" for s in monitoring["failing_systems"])
    assert 'href="/frameworks/iso-iec-42001/soa.xlsx?kind=control"' in html


def test_downloads_hold_the_same_rows(explorer):
    data = explorer.get(SOA + ".json?kind=control").get_json()
    codes = [e["notation"] for e in data["requirements"]]
    answer = explorer.get(SOA + ".csv?kind=control")
    assert answer.content_type.startswith("text/csv")
    assert 'filename="soa-iso-iec-42001.csv"' in answer.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(answer.get_data(as_text=True))))
    assert [r["requirement"] for r in rows] == codes
    book = explorer.get(SOA + ".xlsx?kind=control")
    assert book.content_type.startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(book.data)).active
    assert [r[0] for r in sheet.iter_rows(min_row=4, values_only=True)] == codes
    markdown = explorer.get(SOA + ".md?kind=control").get_data(as_text=True)
    assert markdown.startswith("# Statement of applicability")
    assert all(f"[{code}](" in markdown for code in codes)


def test_the_page_lists_a_few_failing_systems_and_the_downloads_all(explorer):
    data = explorer.get(SOA + ".json").get_json()
    busiest = max(data["requirements"], key=lambda e: len(e["failing_systems"]))
    html = explorer.get(SOA).get_data(as_text=True)
    assert len(busiest["failing_systems"]) >= 1
    assert all(s["label"] in html for s in busiest["failing_systems"][:10])


def test_unknown_framework_kind_or_format(explorer):
    assert explorer.get("/frameworks/iso-27001/soa").status_code == 404
    assert explorer.get(SOA + ".pdf").status_code == 404
    answer = explorer.get(SOA + "?kind=contrl")
    assert answer.status_code == 400
    assert "no requirement of kind 'contrl'" in answer.get_data(as_text=True)
