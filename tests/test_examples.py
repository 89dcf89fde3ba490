"""The example portfolio is tested as it is meant to be: exactly its documented gaps.

The expected results are read from the gap table in data/examples/README.md, which is
written from the portfolio's documentation (each system's "KNOWN GAPS" comment), not from
the validator's output. The fully governed loan approval system conforms to every shape.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest
from rdflib import RDF, RDFS, Graph, URIRef
from rdflib.namespace import SH

from conftest import REPO
from stkg.cli import main

EXAMPLES = REPO / "data" / "examples"
EX = "https://w3id.org/stkg/example/acme/"
SHAPES_NS = "https://w3id.org/stkg/shapes#"
STS = URIRef("https://w3id.org/stkg#SocialTechnicalSystem")
LOAN = EX + "LoanApproval"
README = (EXAMPLES / "README.md").read_text(encoding="utf-8")
GAP_ROW = re.compile(
    r"^\| `ex:(\w+)` \| `ex:(\w+)` \| `stkgsh:(\w+)` \| (Violation|Warning|Info) "
    r"\| [^|]+ \| ([^|]*) \|$"
)
SYSTEM_ROW = re.compile(r"^\| `ex:(\w+)` \| [^|]+ \| [^|]+ \| [^|]+ \| [^|]+ \| [^|]+ \|$")


def documented_gaps() -> Counter:
    gaps = Counter()
    for line in README.splitlines():
        row = GAP_ROW.match(line)
        if row:
            system, focus, shape, severity, requirements = row.groups()
            notations = tuple(n.strip() for n in requirements.split(",") if n.strip())
            gaps[(EX + system, EX + focus, SHAPES_NS + shape, severity, notations)] += 1
    return gaps


def example_files() -> list[Path]:
    return sorted(EXAMPLES.glob("*.ttl"))


def run_validate(runner, *args: str):
    return runner.invoke(main, ["--project", str(REPO), "validate", *args])


@pytest.fixture(scope="module")
def reported() -> dict:
    from click.testing import CliRunner

    result = run_validate(
        CliRunner(env={"STKG_ALLOW_NETWORK": "1"}), "--format", "json", *map(str, example_files())
    )
    assert result.exit_code == 1, result.output  # the portfolio has violations
    return json.loads(result.stdout)


def test_the_readme_documents_gaps():
    assert sum(documented_gaps().values()) >= 30


def test_stkg_validate_reports_exactly_the_documented_gaps(reported):
    seen = Counter(
        (
            system,
            r["focus_node"],
            r["source_shape"],
            r["severity"],
            tuple(sorted(q["notation"] for q in r["requirements"])),
        )
        for r in reported["results"]
        for system in r["systems"]
    )
    expected = Counter({(*k[:4], tuple(sorted(k[4]))): n for k, n in documented_gaps().items()})
    unexpected = sorted((seen - expected).elements())
    missing = sorted((expected - seen).elements())
    assert not unexpected and not missing, (
        "validation differs from data/examples/README.md\n"
        f"reported but not documented: {unexpected}\ndocumented but not reported: {missing}"
    )


def test_every_shape_has_a_deliberate_gap_in_the_portfolio():
    shapes = Graph()
    for path in (REPO / "shapes").glob("*.ttl"):
        shapes.parse(path)
    named = {
        str(s)
        for kind in (SH.NodeShape, SH.PropertyShape)
        for s in shapes.subjects(RDF.type, kind)
        if isinstance(s, URIRef)
    }
    demonstrated = {key[2] for key in documented_gaps()}
    assert named - demonstrated == set()


def test_the_fully_governed_loan_system_conforms_to_every_shape(reported):
    about_loan = [r for r in reported["results"] if LOAN in r["systems"]]
    assert about_loan == []


@pytest.fixture(scope="module")
def portfolio() -> Graph:
    graph = Graph()
    for path in example_files():
        graph.parse(path)
    return graph


def test_the_loan_system_conforms_because_of_its_facts(runner, portfolio, tmp_path):
    """Guard against vacuous conformance: without its credit review, the loan system fails
    the core human-review shape and the EU AI Act human-oversight shape."""
    portfolio.remove(
        (URIRef(LOAN), URIRef("https://w3id.org/stkg#hasProcess"), URIRef(EX + "CreditReview"))
    )
    path = tmp_path / "portfolio.ttl"
    portfolio.serialize(path, format="turtle")
    result = run_validate(runner, "--format", "json", str(path))
    about_loan = {
        r["source_shape"] for r in json.loads(result.stdout)["results"] if LOAN in r["systems"]
    }
    assert about_loan == {SHAPES_NS + "HumanReviewShape", SHAPES_NS + "EUHumanOversightShape"}


def test_the_systems_table_lists_every_system(portfolio):
    documented = {EX + m[1] for line in README.splitlines() if (m := SYSTEM_ROW.match(line))}
    systems = {str(s) for s in portfolio.subjects(RDF.type, STS)}
    assert len(systems) >= 12
    assert documented == systems


def test_every_example_resource_has_a_label(portfolio):
    unlabelled = sorted(
        str(s)
        for s in set(portfolio.subjects()) | set(portfolio.objects())
        if isinstance(s, URIRef)
        and str(s).startswith(EX)
        and portfolio.value(s, RDFS.label) is None
    )
    assert not unlabelled, f"resources without rdfs:label: {unlabelled}"


def test_every_gap_is_also_described_on_its_system(portfolio):
    """Each system with a documented gap says so in its own rdfs:comment (KNOWN GAP)."""
    with_gaps = {key[0] for key in documented_gaps()}
    silent = sorted(
        s for s in with_gaps
        if "KNOWN GAP" not in str(portfolio.value(URIRef(s), RDFS.comment) or "")
    )  # fmt: skip
    assert not silent, f"systems whose rdfs:comment does not describe their gaps: {silent}"
