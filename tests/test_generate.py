"""`stkg generate`: a deterministic synthetic portfolio whose gaps validation finds exactly."""

from __future__ import annotations

import math
from collections import Counter
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import RDF, Graph, URIRef
from rdflib.namespace import SH

from stkg import validate as validation
from stkg.cli import main
from stkg.generate import GENERATED, SHAPES, plan, write
from stkg.generate_catalogue import GAPS
from stkg.generate_triples import literal
from stkg.namespace import STKG_NS
from stkg.project import external_source
from stkg.validate import known_terms, project_background, read_graph, validate_files

SYSTEMS = 200


def _generate(runner, path: Path, systems: int = SYSTEMS, seed: int = 7) -> str:
    result = runner.invoke(
        main, ["generate", "--systems", str(systems), "--seed", str(seed), "--out", str(path)]
    )
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture(scope="module")
def portfolio(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("generated") / "portfolio.nt"
    with path.open("w", encoding="utf-8") as out:
        write(plan(SYSTEMS, 7), out, "nt")
    return path


@pytest.fixture(scope="module", params=getattr(validation, "ENGINES", ("default",)))
def report(request, project, portfolio):
    """The portfolio validated by each engine stkg has (pySHACL is the reference)."""
    if request.param == "default":
        return validate_files(project, [portfolio])
    return validate_files(project, [portfolio], engine=request.param)


def test_same_size_and_seed_give_the_same_bytes(runner, tmp_path):
    _generate(runner, tmp_path / "a.nt")
    _generate(runner, tmp_path / "b.nt")
    _generate(runner, tmp_path / "c.nt", seed=8)
    a, b, c = ((tmp_path / n).read_bytes() for n in ("a.nt", "b.nt", "c.nt"))
    assert a == b
    assert a != c


def test_turtle_and_n_triples_hold_the_same_graph(runner, tmp_path):
    _generate(runner, tmp_path / "p.nt", systems=60)
    output = _generate(runner, tmp_path / "p.ttl", systems=60)
    nt = set(ox.parse(path=tmp_path / "p.nt"))
    ttl = set(ox.parse(path=tmp_path / "p.ttl"))
    assert nt == ttl
    assert f"{len(nt)} triples" in output


def test_the_command_reports_systems_and_triples(runner, tmp_path):
    output = _generate(runner, tmp_path / "p.nt", systems=30)
    triples = len(list(ox.parse(path=tmp_path / "p.nt")))
    assert output.strip().endswith(
        f"30 systems ({sum(plan(30, 7).gap_counts().values())} with a gap), {triples} triples"
    )


def test_an_unknown_extension_is_a_one_line_error(runner, tmp_path):
    result = runner.invoke(main, ["generate", "--systems", "5", "--out", str(tmp_path / "p.csv")])
    assert result.exit_code == 1
    assert "use .nt or .ttl" in result.output
    assert not (tmp_path / "p.csv").exists()


def test_gap_counts_are_the_intended_shares():
    counts = plan(SYSTEMS, 7).gap_counts()
    assert counts == {g.slug: math.floor(g.share * SYSTEMS + 0.5) for g in GAPS}


def test_validation_finds_exactly_the_planned_gaps(report):
    validation, _ = report
    found = Counter(r.source_shape for r in validation.results)
    expected = plan(SYSTEMS, 7).expected_results()
    assert dict(found) == expected, "\n".join(
        f"{shape}: found {found.get(shape, 0)}, planned {expected.get(shape, 0)}"
        for shape in sorted(set(found) | set(expected))
        if found.get(shape, 0) != expected.get(shape, 0)
    )


def test_every_shape_is_exercised(project, report):
    validation, _ = report
    shapes = read_graph([s for s in project.sources() if s.label.startswith("shapes/")])
    named = {
        str(s)
        for kind in (SH.NodeShape, SH.PropertyShape)
        for s in shapes.subjects(RDF.type, kind)
        if str(s).startswith(SHAPES)
    }
    assert named - {r.source_shape for r in validation.results} == set()


def test_gaps_belong_to_generated_systems(report):
    validation, _ = report
    planned = {f"{GENERATED}system-{s.index:06d}" for s in plan(SYSTEMS, 7).systems if s.gap}
    systems = {system for r in validation.results for system in r.systems}
    assert systems and systems <= planned
    assert all(r.systems for r in validation.results)


def test_only_terms_of_the_ontology_are_used(project, report):
    _, own = report
    known = known_terms(project_background(project))
    used = {str(t) for triple in own for t in triple if str(t).startswith("https://w3id.org/stkg#")}
    assert used - known == set()


def test_people_and_teams_are_shared_across_systems():
    graph = Graph().parse(data=_text(plan(500, 1)), format="nt")
    owners = Counter(graph.objects(None, URIRef(STKG_NS + "hasOwner")))
    developers = set(graph.objects(None, URIRef(STKG_NS + "hasDeveloper")))
    assert max(owners.values()) > 1
    assert len(owners) < 500 / 2
    assert len(developers) < 500 / 10


def test_systems_mix_impact_stage_and_eu_contexts():
    systems = plan(1000, 3).systems
    assert {s.impact for s in systems} == {"HighImpact", "MediumImpact", "LowImpact"}
    assert {s.stage for s in systems} == {
        "Design",
        "InDevelopment",
        "Validation",
        "Deployed",
        "Retired",
    }
    annex = Counter(s.use_case.annex for s in systems if s.use_case.annex)
    assert len(annex) >= 6
    assert 0.1 < sum(annex.values()) / len(systems) < 0.5
    assert {r for s in systems for r in s.roles} == {"ProviderRole", "DeployerRole"}


def test_the_header_states_the_shares(portfolio):
    head = [line for line in portfolio.read_text().splitlines() if line.startswith("#")]
    text = "\n".join(head)
    for gap in GAPS:
        assert gap.slug in text
    assert "Expected validation results per shape" in text


@pytest.mark.parametrize(
    ("text", "written"),
    [
        ('say "hi"', '"say \\"hi\\""'),
        ("a\\b", '"a\\\\b"'),
        ("line\nbreak\r", '"line\\nbreak\\r"'),
        ("bell\x07", '"bell\\u0007"'),
    ],
)
def test_literals_are_escaped(text, written):
    assert literal(text) == written
    parsed = next(iter(ox.parse(f"<urn:s> <urn:p> {written} .", format=ox.RdfFormat.N_TRIPLES)))
    assert parsed.object.value == text


def test_a_generated_file_loads_through_the_project_reader(portfolio):
    graph = read_graph([external_source(portfolio)])
    assert len(graph) == len(list(ox.parse(path=portfolio)))


def _text(p) -> str:
    import io

    out = io.StringIO()
    write(p, out, "nt")
    return out.getvalue()
