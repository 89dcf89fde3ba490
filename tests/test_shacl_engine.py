"""`stkg.shacl.engine` through `stkg.validate`: the compiled engine finds exactly what pySHACL
finds on the example data and on a generated portfolio of 1,000 systems, and incremental
validation recomputes only what one system's change can affect."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import URIRef

from stkg.generate import plan, write
from stkg.project import external_source
from stkg.shacl.engine import neighbourhood, result_keys
from stkg.store import OxigraphStore
from stkg.validate import (
    RESULTS_GRAPH,
    data_graph_names,
    revalidate,
    store_results,
    validate,
    validate_focus,
)

EX = "https://w3id.org/stkg/example/acme/"
STKG = "https://w3id.org/stkg#"


def portfolio(project, tmp_path: Path, systems: int, seed: int = 11) -> OxigraphStore:
    """The project's store plus a generated portfolio of `systems` systems."""
    path = tmp_path / f"portfolio-{systems}.nt"
    with path.open("w", encoding="utf-8") as out:
        write(plan(systems, seed), out, "nt")
    store = project.open_store()
    store.load([external_source(path)])
    return store


def same(compiled, reference) -> None:
    assert compiled.engine.name == "sparql" and compiled.engine.fallback == ()
    assert reference.engine.name == "pyshacl"
    assert result_keys(compiled.graph) == result_keys(reference.graph)
    assert compiled.results == reference.results  # messages, requirements, systems too
    assert compiled.labels == reference.labels


def test_identical_results_on_the_example_data(store):
    compiled = validate(store, engine="sparql")
    assert compiled.results, "the examples have known gaps"
    same(compiled, validate(store, engine="pyshacl"))


def test_identical_results_on_a_generated_portfolio_of_1000_systems(project, tmp_path):
    store = portfolio(project, tmp_path, 1000)
    compiled = validate(store, engine="sparql")
    assert len({s for r in compiled.results for s in r.systems}) > 100
    same(compiled, validate(store, engine="pyshacl"))


# --- incremental validation -----------------------------------------------------------------


def stored_results(store) -> list[tuple]:
    """The results in the stored results graph, blank nodes made anonymous."""
    answer = store.query(
        "PREFIX sh: <http://www.w3.org/ns/shacl#> SELECT ?f ?path ?v ?shape ?sev ?c ?m WHERE {"
        f" GRAPH <{RESULTS_GRAPH}> {{ ?report sh:result ?r . ?r sh:focusNode ?f ;"
        " sh:sourceShape ?shape ; sh:resultSeverity ?sev ; sh:sourceConstraintComponent ?c ;"
        " sh:resultMessage ?m OPTIONAL { ?r sh:resultPath ?path } OPTIONAL { ?r sh:value ?v } } }"
    )
    return sorted(tuple("_" if t is None or t.__class__.__name__ == "BlankNode" else str(t)
                        for t in row) for row in answer.rows)  # fmt: skip


def change_loan_approval(store) -> None:
    """Drop the users of one system and give it a risk register entry."""
    store.update(f"DELETE WHERE {{ GRAPH ?g {{ <{EX}LoanApproval> <{STKG}hasUser> ?u }} }}")
    store.update(
        f"INSERT DATA {{ GRAPH <urn:test:edit> {{ <{EX}LoanApproval> <{STKG}hasRisk> <urn:r> ."
        f" <urn:r> a <{STKG}Risk> . <{EX}LoanApproval> <{STKG}supportsDecision> <urn:d> . }} }}"
    )


def test_results_after_an_incremental_update_equal_a_full_revalidation(project):
    store = project.open_store()
    store_results(store, validate(store))
    before = stored_results(store)
    change_loan_approval(store)
    report = revalidate(store, [EX + "LoanApproval"])
    assert report.engine.focus_nodes is not None
    after = stored_results(store)
    assert after != before, "the change must change the results"
    fresh = project.open_store()
    change_loan_approval(fresh)
    store_results(fresh, validate(fresh))
    assert after == stored_results(fresh)
    conforms = store.query(
        f"ASK {{ GRAPH <{RESULTS_GRAPH}> {{ ?r <http://www.w3.org/ns/shacl#conforms> false }} }}"
    )
    assert conforms.boolean is True


def test_validate_focus_equals_the_full_results_for_those_nodes(project):
    store = project.open_store()
    change_loan_approval(store)
    nodes = neighbourhood(store, [URIRef(EX + "LoanApproval")], data_graph_names(store))
    focused = validate_focus(store, nodes)
    full = validate(store)
    wanted = {str(n) for n in nodes}
    assert focused.results == [r for r in full.results if r.focus_node in wanted]
    assert {r.focus_node for r in focused.results} >= {EX + "LoanApproval", "urn:d"}


def test_incremental_cost_follows_the_system_not_the_portfolio(project, tmp_path):
    """Counted, not timed: the same change in portfolios of 0 and 300 extra systems evaluates
    the same focus nodes with the same number of queries."""
    costs = []
    for systems in (0, 300):
        store = portfolio(project, tmp_path, systems) if systems else project.open_store()
        store_results(store, validate(store))
        change_loan_approval(store)
        report = revalidate(store, [EX + "LoanApproval"])
        costs.append((report.engine.focus_nodes, report.engine.queries))
        nodes = neighbourhood(store, [URIRef(EX + "LoanApproval")], data_graph_names(store))
        assert report.engine.focus_nodes <= len(nodes) * len(report.engine.compiled)
    assert costs[0] == costs[1]
    assert 0 < costs[0][0] < 60


def test_without_stored_results_revalidate_validates_everything(project):
    store = project.open_store()
    report = revalidate(store, [EX + "LoanApproval"])
    assert report.engine.focus_nodes is None  # a full run
    count = store.query(
        "PREFIX sh: <http://www.w3.org/ns/shacl#> SELECT (COUNT(DISTINCT ?r) AS ?n) WHERE {"
        f" GRAPH <{RESULTS_GRAPH}> {{ ?report sh:result ?r }} }}"
    )
    assert int(count.rows[0][0].value) == len(report.results)


@pytest.mark.parametrize("engine", ["sparql", "pyshacl"])
def test_the_engine_is_reported(store, engine):
    assert validate(store, engine=engine).engine.name == engine
