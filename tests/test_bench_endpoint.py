"""`bench.endpoint`: the text it POSTs for each named query and the tables it makes
(timings are not checked)."""

from __future__ import annotations

import pyoxigraph as ox
from bench.endpoint import (
    FIRST_SYSTEM,
    PageTiming,
    QueryTiming,
    bound_text,
    cases,
    page_table,
    query_table,
)

from conftest import REPO
from stkg.project import Project
from stkg.queries import find_query


def _rows(table: str) -> list[list[str]]:
    return [
        [cell.strip() for cell in line.strip("|").split("|")] for line in table.splitlines()[2:]
    ]


def test_a_query_with_a_system_runs_for_one_and_if_optional_also_for_all():
    found = cases()
    assert found["system-profile"] == ("system-profile", {"system": FIRST_SYSTEM})
    assert found["system-users"] == ("system-users", {})
    assert found["system-users (one system)"] == ("system-users", {"system": FIRST_SYSTEM})
    assert found["systems-without-owner"] == ("systems-without-owner", {})
    assert "systems-without-owner (one system)" not in found


def test_the_posted_text_binds_the_defaults_and_answers_as_the_bound_query():
    text, portfolio = bound_text("crosswalk", {})
    assert portfolio
    assert "VALUES" in text
    project = Project(REPO)
    store = project.open_store()
    query = find_query(project, "crosswalk")
    expected = store.query(query.sparql, bindings=query.bindings({})).rows
    assert expected  # the example project has a NIST AI RMF to ISO/IEC 42001 crosswalk
    sent = store.query(text).rows
    assert sorted(map(str, sent)) == sorted(map(str, expected))


def test_a_per_system_query_with_its_system_is_not_portfolio_wide():
    text, portfolio = bound_text("system-profile", {"system": FIRST_SYSTEM})
    assert not portfolio
    assert str(ox.NamedNode(FIRST_SYSTEM)) in text


def test_the_query_table_checks_the_limit_on_portfolio_queries_only():
    timings = [
        QueryTiming(10, "b", 5, 5, [0.010] * 3, 0.050, [0.030] * 3, [0.002] * 3, True),
        QueryTiming(10, "a", 3, 3, [0.100] * 3, 0.400, [0.300] * 3, [0.004] * 3, True),
        QueryTiming(10, "c", 1, 1, [0.001] * 3, 0.010, [0.005] * 3, [0.001] * 3, False),
    ]
    rows = _rows(query_table(timings))
    assert [r[1] for r in rows] == ["a", "b", "c"]
    # a: 300 ms cold against 2 x 100 + 20 = 220 ms, over 200 ms
    assert rows[0][3:] == ["100", "400", "300", "300", "4", "4", "220", "no", "no"]
    assert rows[1][9:] == ["40", "yes", "yes"]
    assert rows[2][9:] == ["-", "-", "yes"]


def test_the_page_table_says_whether_the_first_answer_carried_the_notice():
    timings = [
        PageTiming(10, "/gaps", 200, 0.150, False, 0.2, [0.010, 0.020, 0.030]),
        PageTiming(10, "/", 200, 0.300, True, 4.5, [0.030]),
    ]
    rows = _rows(page_table(timings))
    assert rows[0] == ["10", "`/`", "200", "300", "still computing", "4.5", "30", "30"]
    assert rows[1][1:] == ["`/gaps`", "200", "150", "-", "0.2", "20", "30"]


def test_an_error_answer_shows_its_status_instead_of_rows():
    timing = QueryTiming(10, "q", 4, -503, [0.1], 10.0, [10.0], [10.0], True)
    [row] = _rows(query_table([timing]))
    assert row[2] == "4 (HTTP 503)"
