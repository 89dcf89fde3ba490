"""Coverage of one framework from another: levels, directions, and the named SPARQL query."""

from __future__ import annotations

import pytest

from mapping_fixtures import make_project, mapping, mappings_ttl
from stkg.errors import StkgError
from stkg.mappings.coverage import coverage, coverage_query
from stkg.mappings.infer import infer_store

TTL = mappings_ttl(
    mapping("m:test\\/1", "fa:A1", "fb:B1", "Equal"),
    mapping("m:test\\/2", "fb:B2", "fa:A2", "SubsetOf"),  # reversed: A2 superset of B2 -> full
    mapping("m:test\\/3", "fa:A3", "fb:B3", "SubsetOf"),  # partial
    mapping("m:test\\/4", "fa:A4", "fb:B3"),  # untyped: indeterminate alone
    mapping("m:test\\/5", "fb:B1", "fc:C1", "SubsetOf"),
    mapping("m:test\\/6", "fa:A1", "fc:C2", "NoRelationship"),
    mapping("m:test\\/7", "fa:A2", "fc:C3", "Equal", "stkg:reviewStatus stkg:Rejected"),
)


@pytest.fixture
def store(tmp_path):
    return make_project(tmp_path / "p", TTL).open_store()


def levels(result):
    return {row.notation: row.level for row in result.rows}


def test_levels_from_a_to_b(store):
    result = coverage(store, "fw-a", "fw-b")
    assert levels(result) == {"B1": "full", "B2": "full", "B3": "partial"}
    assert result.counts() == {"full": 2, "partial": 1, "indeterminate": 0, "none": 0}


def test_direction_matters_through_the_inverse(store):
    # B2 ⊂ A2: from B, A2 is only partly covered; B3 ⊃ A3: A3 fully; A4 only untyped.
    assert levels(coverage(store, "fw-b", "fw-a")) == {
        "A1": "full",
        "A2": "partial",
        "A3": "full",
        "A4": "indeterminate",
    }


def test_no_relationship_and_rejected_mappings_reach_nothing(store):
    assert levels(coverage(store, "fw-a", "fw-c")) == {"C1": "none", "C2": "none", "C3": "none"}


def test_chained_mappings_count_once_inferred_and_only_as_far_as_they_determine(store):
    infer_store(store)
    # A1 = B1 ⊂ C1, so from A, C1 is partly covered (A1 ⊂ C1), never "full".
    assert levels(coverage(store, "fw-a", "fw-c"))["C1"] == "partial"
    assert levels(coverage(store, "fw-c", "fw-a"))["A1"] == "full"


def test_sources_name_the_requirements_that_reach(store):
    rows = {row.notation: row for row in coverage(store, "fw-b", "fw-a").rows}
    assert rows["A4"].sources == ("B3",)
    assert rows["A1"].sources == ("B1",)


def test_frameworks_by_iri_or_short_name(store):
    by_iri = coverage(
        store,
        "https://w3id.org/stkg/framework/fw-a",
        "https://w3id.org/stkg/framework/fw-b",
    )
    assert by_iri.rows == coverage(store, "fw-a", "fw-b").rows


def test_an_unknown_framework_is_a_user_error(store):
    with pytest.raises(StkgError, match=r"unknown framework 'nope'.*fw-a"):
        coverage(store, "nope", "fw-b")


def test_the_named_query_unbound_gives_every_pair_with_the_same_levels(store):
    result = store.query(coverage_query()).dicts()
    pairs = {(r["sourceFramework"].value, r["targetFramework"].value) for r in result}
    assert len(pairs) == 6
    b_from_a = {
        r["notation"].value: r["level"].value
        for r in result
        if r["sourceFramework"].value.endswith("fw-a")
        and r["targetFramework"].value.endswith("fw-b")
    }
    assert b_from_a == levels(coverage(store, "fw-a", "fw-b"))


def test_the_query_is_a_project_named_query(project):
    names = {path.stem for path in project.query_files()}
    assert "mapping-coverage" in names
