"""`stkg classify` through the CLI: formats, --explain, --store-results, exit codes."""

from __future__ import annotations

import csv
import io
import json

from rdflib import Graph, URIRef

from conftest import REPO
from stkg.cli import main
from stkg.cli.classify import CSV_COLUMNS

EX = "https://w3id.org/stkg/example/acme/"
TIER = "https://w3id.org/stkg/framework/eu-ai-act/tier/"


def run(runner, *args: str):
    return runner.invoke(main, ["--project", str(REPO), *args])


def test_table_lists_every_system_with_its_tier(runner):
    result = run(runner, "classify")
    assert result.exit_code == 0, result.output
    assert (
        "ex:TriageAssistant" in result.output
        and "high-risk (product safety route)" in result.output
    )
    assert "(17 derivations for 15 systems)" in result.output


def test_json_counts_each_tier_once_per_system(runner):
    data = json.loads(run(runner, "classify", "--format", "json").stdout)
    assert data["systems"][EX + "TriageAssistant"] == [
        TIER + "high-risk-annex-i", TIER + "high-risk-annex-iii", TIER + "transparency"
    ]  # fmt: skip
    assert data["counts"][TIER + "minimal"] == 1
    assert sum(data["counts"].values()) == sum(len(t) for t in data["systems"].values())
    loan = next(c for c in data["classifications"] if c["system"] == EX + "LoanApproval")
    assert loan["rule_label"] == "high-risk, Annex III point (Art. 6(2))"
    assert [b["notation"] for b in loan["legal_basis"]] == ["Art. 6", "III.5(b)"]


def test_csv_has_one_row_per_derivation(runner):
    rows = list(csv.reader(io.StringIO(run(runner, "classify", "--format", "csv").stdout)))
    assert tuple(rows[0]) == CSV_COLUMNS and len(rows) == 18
    assert all(len(row) == len(CSV_COLUMNS) for row in rows)


def test_turtle_is_the_classification_graph(runner):
    text = run(runner, "classify", "--format", "turtle").stdout
    graph = Graph().parse(data=text, format="turtle")
    tier = URIRef("https://w3id.org/stkg#euAIActTier")
    assert (URIRef(EX + "FraudDetection"), tier, URIRef(TIER + "minimal")) in graph
    assert len(set(graph.subjects(tier))) == 15


def test_explain_gives_the_rule_the_facts_and_the_legal_basis(runner):
    result = run(runner, "classify", "--explain", "ex:SpeechAnalytics")
    assert result.exit_code == 0, result.output
    text = result.output
    assert "rule: high-risk, Annex III system that profiles natural persons" in text
    assert "ex:SpeechAnalytics stkg:performsProfiling true" in text
    assert "ex:SpeechAnalyticsContext stkg:annexIIIArea III.4(b)" in text
    assert "legal basis: Art. 6 <https://w3id.org/stkg/framework/eu-ai-act/art-6>" in text
    same = run(runner, "classify", "--explain", "SpeechAnalytics", "--format", "json")
    assert {c["system"] for c in json.loads(same.stdout)["classifications"]} == {
        EX + "SpeechAnalytics"
    }


def test_bad_input_exit_codes(runner):
    unknown = run(runner, "classify", "--explain", "ex:NoSuchSystem")
    assert unknown.exit_code == 1 and "no social-technical system" in unknown.output
    assert (
        run(runner, "classify", "--explain", "ex:LoanApproval", "--format", "turtle").exit_code == 2
    )
    assert run(runner, "classify", "--format", "xml").exit_code == 2


def test_store_results_keeps_the_graph_for_sparql(runner, tmp_path):
    kg = str(tmp_path / "kg")
    stored = runner.invoke(
        main, ["--project", str(REPO), "--store", kg, "classify", "--store-results"]
    )
    assert stored.exit_code == 0, stored.output
    answer = runner.invoke(
        main,
        ["--project", str(REPO), "--store", kg, "query", "eu-ai-act-classification",
         "--param", "system=" + EX + "FraudDetection", "--format", "json"],
    )  # fmt: skip
    bindings = json.loads(answer.stdout)["results"]["bindings"]
    assert [b["tier"]["value"] for b in bindings] == [TIER + "minimal"]
