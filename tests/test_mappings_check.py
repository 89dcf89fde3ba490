"""`check`: contradictions, dangling IRIs, relationships without inverses, cycles, unreached."""

from __future__ import annotations

from mapping_fixtures import make_project, mapping, mappings_ttl
from stkg.mappings.check import check_store

M = "https://w3id.org/stkg/mapping/test/"


def findings(tmp_path, *rows, extra=""):
    store = make_project(tmp_path / "p", mappings_ttl(*rows) + extra).open_store()
    return check_store(store)


def errors(found, kind=None):
    return [f for f in found if f.severity == "error" and (kind is None or f.kind == kind)]


def test_a_consistent_crosswalk_has_no_errors(tmp_path):
    found = findings(
        tmp_path,
        mapping("m:test\\/1", "fa:A1", "fb:B1", "SubsetOf"),
        mapping("m:test\\/2", "fb:B1", "fa:A1", "SupersetOf"),  # the declared inverse: fine
        mapping("m:test\\/3", "fa:A2", "fb:B2"),
    )
    assert errors(found) == []


def test_equal_beside_no_relationship_is_a_contradiction(tmp_path):
    found = findings(
        tmp_path,
        mapping("m:test\\/1", "fa:A1", "fb:B1", "Equal"),
        mapping("m:test\\/2", "fb:B1", "fa:A1", "NoRelationship"),
    )
    [finding] = errors(found, "contradiction")
    assert "equal" in finding.message and "no relationship" in finding.message
    assert {M + "1", M + "2"} <= set(finding.subjects)


def test_a_reverse_assertion_contradicting_the_inverse_is_reported(tmp_path):
    found = findings(
        tmp_path,
        mapping("m:test\\/1", "fa:A1", "fb:B1", "SubsetOf"),
        mapping("m:test\\/2", "fb:B1", "fa:A1", "IntersectsWith"),
    )
    assert len(errors(found, "contradiction")) == 1


def test_untyped_links_contradict_nothing(tmp_path):
    found = findings(
        tmp_path,
        mapping("m:test\\/1", "fa:A1", "fb:B1", "NoRelationship"),
        mapping("m:test\\/2", "fa:A1", "fb:B1"),
    )
    assert errors(found) == []


def test_rejected_mappings_are_not_checked(tmp_path):
    found = findings(
        tmp_path,
        mapping("m:test\\/1", "fa:A1", "fb:B1", "Equal"),
        mapping(
            "m:test\\/2", "fa:A1", "fb:B1", "NoRelationship", "stkg:reviewStatus stkg:Rejected"
        ),
    )
    assert errors(found) == []


def test_dangling_source_and_missing_target_are_errors(tmp_path):
    found = findings(
        tmp_path,
        mapping("m:test\\/1", "fa:A9", "fb:B1", "Equal"),
        extra="m:test\\/2 a stkg:Mapping ; stkg:mappingSource fa:A1 .\n",
    )
    [dangling] = errors(found, "dangling")
    assert "https://w3id.org/stkg/framework/fw-a/A9" in dangling.message
    assert any("no mapping target" in f.message for f in errors(found, "malformed"))


def test_strength_outside_one_to_ten_is_an_error(tmp_path):
    found = findings(tmp_path, mapping("m:test\\/1", "fa:A1", "fb:B1", "Equal", "stkg:strength 11"))
    assert [f.kind for f in errors(found)] == ["malformed"]


def test_a_relationship_without_a_declared_inverse_is_reported(tmp_path):
    found = findings(
        tmp_path,
        "m:test\\/1 a stkg:Mapping ; stkg:mappingSource fa:A1 ; stkg:mappingTarget fb:B1 ;"
        " stkg:relationship <https://example.org/overlaps> .\n",
    )
    kinds = sorted(f.kind for f in errors(found))
    assert kinds == ["malformed", "missing-inverse"]


def test_subset_cycle_implies_equivalence(tmp_path):
    found = findings(
        tmp_path,
        mapping("m:test\\/1", "fa:A1", "fb:B1", "SubsetOf"),
        mapping("m:test\\/2", "fb:B1", "fc:C1", "SubsetOf"),
        mapping("m:test\\/3", "fa:A1", "fc:C1", "SupersetOf"),
    )
    [cycle] = errors(found, "cycle")
    assert "A1, B1, C1" in cycle.message
    assert errors(found, "contradiction") == []


def test_a_two_step_subset_cycle_is_one_cycle_not_also_a_contradiction(tmp_path):
    found = findings(
        tmp_path,
        mapping("m:test\\/1", "fa:A1", "fb:B1", "SubsetOf"),
        mapping("m:test\\/2", "fb:B1", "fa:A1", "SubsetOf"),
    )
    assert [f.kind for f in errors(found)] == ["cycle"]


def test_equal_links_alone_make_no_cycle(tmp_path):
    found = findings(
        tmp_path,
        mapping("m:test\\/1", "fa:A1", "fb:B1", "Equal"),
        mapping("m:test\\/2", "fb:B1", "fc:C1", "Equal"),
        mapping("m:test\\/3", "fc:C1", "fa:A1", "Equal"),
    )
    assert errors(found) == []


def test_unreached_requirements_are_warnings_per_framework(tmp_path):
    found = findings(tmp_path, mapping("m:test\\/1", "fa:A1", "fb:B1", "NoRelationship"))
    warnings = {f.subjects[0].rsplit("/", 1)[-1]: f for f in found if f.kind == "unreached"}
    assert set(warnings) == {"fw-a", "fw-b", "fw-c"}
    assert all(f.severity == "warning" for f in warnings.values())
    assert "4 of 4" in warnings["fw-a"].message  # no relationship reaches nothing


def test_a_skos_mapping_link_reaches_its_ends(tmp_path):
    # as the NIST AI 600-1 catalogue links each action to its AI RMF subcategory
    found = findings(
        tmp_path,
        mapping("m:test\\/1", "fa:A1", "fb:B1", "Equal"),
        extra="fc:C1 skos:broadMatch fa:A2 . fc:C2 skos:closeMatch fb:B2 .\n",
    )
    warnings = {f.subjects[0].rsplit("/", 1)[-1]: f for f in found if f.kind == "unreached"}
    assert "2 of 4" in warnings["fw-a"].message  # A3, A4
    assert "1 of 3" in warnings["fw-b"].message  # B3
    assert warnings["fw-c"].subjects[1:] == ("https://w3id.org/stkg/framework/fw-c/C3",)


def test_the_shipped_nist_ai_600_1_actions_are_all_reached(project):
    store = project.open_store()
    unreached = [f for f in check_store(store) if f.kind == "unreached"]
    assert not [f for f in unreached if "nist-ai-600-1" in f.message], unreached
