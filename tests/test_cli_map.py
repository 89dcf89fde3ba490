"""`stkg map` through the CLI, on small fixture projects and on the shipped crosswalks."""

from __future__ import annotations

import csv
import io
import itertools
import json

import pytest

from mapping_fixtures import make_project, mapping, mappings_ttl
from stkg.cli import main
from stkg.mappings.coverage import coverage
from stkg.mappings.model import INFERRED_GRAPH, fetch_catalogue, resolve_framework
from stkg.sssom import export_sssom, import_sssom, mapping_sets

TTL = mappings_ttl(
    mapping("m:test\\/1", "fa:A1", "fb:B1", "Equal"),
    mapping("m:test\\/2", "fb:B1", "fc:C1", "SubsetOf"),
    mapping("m:test\\/3", "fa:A2", "fb:B2"),
)
SET = "https://w3id.org/stkg/mapping-set/test"


@pytest.fixture
def root(tmp_path):
    return make_project(tmp_path / "p", TTL).root


def run(runner, root, *args):
    return runner.invoke(main, ["--project", str(root), "map", *args])


def test_coverage_json(runner, root):
    result = run(runner, root, "coverage", "fw-a", "fw-b", "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["counts"] == {"full": 1, "partial": 0, "indeterminate": 1, "none": 1}
    assert [r["level"] for r in data["requirements"]] == ["full", "indeterminate", "none"]


def test_coverage_csv_and_table(runner, root):
    result = run(runner, root, "coverage", "fw-b", "fw-c", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(result.output)))
    # B1 ⊂ C1: doing B1 does part of C1.
    assert {r["notation"]: r["level"] for r in rows} == {
        "C1": "partial",
        "C2": "none",
        "C3": "none",
    }
    assert {r["notation"]: r["title"] for r in rows}["C1"] == "Requirement C1"
    table = run(runner, root, "coverage", "fw-b", "fw-c")
    assert table.exit_code == 0
    assert "fw-c from fw-b: 0 full, 1 partial, 0 indeterminate, 2 none" in table.output
    # the title beside the code, not "C2 none" alone
    assert any(line.split()[:4] == ["C2", "Requirement", "C2", "none"]
               for line in table.output.splitlines()), table.output  # fmt: skip


def test_coverage_with_infer_counts_chains(runner, root):
    plain = json.loads(run(runner, root, "coverage", "fw-a", "fw-c", "--format", "json").output)
    chained = run(runner, root, "coverage", "fw-a", "fw-c", "--format", "json", "--infer")
    levels = {r["notation"]: r["level"] for r in json.loads(chained.output)["requirements"]}
    assert plain["counts"]["none"] == 3
    assert levels == {"C1": "partial", "C2": "none", "C3": "none"}  # A1 = B1 ⊂ C1
    back = run(runner, root, "coverage", "fw-c", "fw-a", "--format", "json", "--infer")
    levels = {r["notation"]: r["level"] for r in json.loads(back.output)["requirements"]}
    assert levels["A1"] == "full"  # C1 ⊃ A1: doing C1 does all of A1


def test_unknown_framework_is_one_line_and_exit_1(runner, root):
    result = run(runner, root, "coverage", "nope", "fw-b")
    assert result.exit_code == 1
    assert result.output.strip().startswith("Error: unknown framework 'nope'")


def test_check_exits_1_on_errors_and_0_on_warnings(runner, tmp_path):
    clean = make_project(tmp_path / "clean", TTL).root
    ok = run(runner, clean, "check")
    assert ok.exit_code == 0, ok.output
    assert "0 errors" in ok.output and "warning: unreached" in ok.output
    bad = make_project(
        tmp_path / "bad",
        mappings_ttl(
            mapping("m:test\\/1", "fa:A1", "fb:B1", "Equal"),
            mapping("m:test\\/2", "fa:A1", "fb:B1", "NoRelationship"),
        ),
    ).root
    result = run(runner, bad, "check", "--format", "json")
    assert result.exit_code == 1
    assert [f["kind"] for f in json.loads(result.output) if f["severity"] == "error"] == [
        "contradiction"
    ]


def test_infer_reports_and_writes_turtle(runner, root, tmp_path):
    out = tmp_path / "inferred.ttl"
    result = run(runner, root, "infer", "--output", str(out))
    assert result.exit_code == 0, result.output
    assert f"<{INFERRED_GRAPH}>" in result.output
    text = out.read_text(encoding="utf-8")
    assert "ChainedMapping" in text and "mappingPath" in text


def test_infer_persists_in_an_on_disk_store(runner, root, tmp_path):
    kg = tmp_path / "kg"
    args = ["--project", str(root), "--store", str(kg)]
    assert runner.invoke(main, [*args, "map", "infer"]).exit_code == 0
    count = runner.invoke(
        main,
        [*args, "query", "--format", "csv", "--sparql",
         f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{INFERRED_GRAPH}> {{ ?s ?p ?o }} }}"],
    )  # fmt: skip
    assert int(count.output.splitlines()[1]) > 0


def test_export_then_import(runner, root, tmp_path):
    out = tmp_path / "test.sssom.tsv"
    assert run(runner, root, "export", "--set", SET, "--output", str(out)).exit_code == 0
    result = run(runner, root, "import", str(out), "--graph", "https://example.org/g")
    assert result.exit_code == 0, result.output
    assert "3 mappings of <https://w3id.org/stkg/mapping-set/test>" in result.output


def test_sets_lists_slug_size_and_iri(runner, root):
    result = run(runner, root, "sets")
    assert result.exit_code == 0, result.output
    assert any(
        line.split()[:3] == ["test", "3", f"<{SET}>"] for line in result.output.splitlines()
    ), result.output
    listed = json.loads(run(runner, root, "sets", "--format", "json").output)
    assert listed == [{"iri": SET, "slug": "test", "size": 3, "title": "Test crosswalk"}]


def test_export_takes_a_slug_as_well_as_an_iri(runner, root):
    by_slug = run(runner, root, "export", "--set", "test")
    assert by_slug.exit_code == 0, by_slug.output
    assert by_slug.output == run(runner, root, "export", "--set", SET).output


@pytest.mark.parametrize(
    ("value", "message"),
    [("nope", "no mapping set <https://w3id.org/stkg/mapping-set/nope> in the store (known: "
      "test)"), ("not a slug", "neither a mapping set IRI nor a slug")],
)  # fmt: skip
def test_export_of_an_unknown_set_is_one_line_and_exit_1(runner, root, value, message):
    result = run(runner, root, "export", "--set", value)
    assert result.exit_code == 1
    assert result.output.strip().count("\n") == 0 and message in result.output, result.output
    assert not isinstance(result.exception, ValueError)


def test_export_by_slug_and_an_unknown_slug_in_a_real_process(root, tmp_path):
    import os
    import subprocess
    import sys
    from pathlib import Path

    from conftest import REPO

    def stkg(*args):
        return subprocess.run(
            [str(Path(sys.executable).with_name("stkg")), "--project", str(root), *args],
            capture_output=True, text=True, timeout=120,
            env={**os.environ, "PYTHONPATH": str(REPO / "src")},
        )  # fmt: skip

    ok = stkg("map", "export", "--set", "test")
    assert ok.returncode == 0 and f"#mapping_set_id: {SET}" in ok.stdout, ok.stderr
    bad = stkg("map", "export", "--set", "stkg-eu-ai-act-high-risk")
    assert bad.returncode == 1 and "Traceback" not in bad.stderr
    assert bad.stderr.strip().splitlines() == [
        "Error: no mapping set <https://w3id.org/stkg/mapping-set/stkg-eu-ai-act-high-risk> "
        "in the store (known: test)"
    ]


def test_import_of_a_bad_file_names_file_and_line(runner, root, tmp_path):
    good = run(runner, root, "export", "--set", SET).output
    bad = tmp_path / "bad.sssom.tsv"
    bad.write_text(good.replace("stkg:SubsetOf", "stkg:Subset"), encoding="utf-8")
    result = run(runner, root, "import", str(bad))
    assert result.exit_code == 1
    line = next(i for i, x in enumerate(good.splitlines(), 1) if "stkg:SubsetOf" in x)
    assert f"Error: {bad}:{line}: strm_relationship stkg:Subset" in result.output


def test_import_refuses_a_yaml_alias_bomb_in_the_metadata(runner, root, tmp_path):
    # nine levels of ten aliases: 10**9 strings if the metadata were walked
    levels = ["#l0: &l0 [lol]"] + [
        f"#l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 10)}]" for i in range(1, 10)
    ]
    bomb = tmp_path / "bomb.sssom.tsv"
    good = run(runner, root, "export", "--set", SET).output
    bomb.write_text("\n".join(levels) + "\n" + good, encoding="utf-8")
    result = run(runner, root, "import", str(bomb))
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        f"Error: {bomb}:2:11: metadata is not valid YAML: aliases (*name) are not allowed here"
    ]


# --- the shipped frameworks and crosswalks ---------------------------------------------------

FRAMEWORKS = ["nist-ai-rmf", "iso-iec-42001", "eu-ai-act"]


@pytest.fixture(scope="module")
def shipped(project):
    store = project.open_store()
    if len(mapping_sets(store)) == 0:
        pytest.skip("no crosswalks in data/ yet")
    return store


@pytest.mark.parametrize(("source", "target"), list(itertools.permutations(FRAMEWORKS, 2)))
def test_coverage_answers_for_each_pair_of_the_three_frameworks(shipped, source, target):
    result = coverage(shipped, source, target)
    catalogue = fetch_catalogue(shipped)
    assert len(result.rows) == len(catalogue.members(resolve_framework(target, catalogue)))
    assert sum(result.counts().values()) == len(result.rows) > 0
    assert result.counts()["none"] < len(result.rows), "no requirement reached at all"


def test_the_untyped_nist_crosswalk_never_yields_full_or_partial(shipped):
    only = coverage(shipped, "nist-ai-rmf", "iso-iec-42001")
    for row in only.rows:
        if row.level in ("full", "partial"):
            # only possible through a typed mapping, and every typed one involves the EU AI Act
            raise AssertionError(f"{row.notation} is {row.level} from the untyped crosswalk")


def test_the_shipped_mappings_pass_check(runner):
    result = runner.invoke(main, ["map", "check"])
    assert result.exit_code == 0, result.output


@pytest.mark.filterwarnings("ignore::Warning:sssom.util")
def test_every_shipped_mapping_set_round_trips_and_sssom_py_reads_it(shipped, tmp_path):
    import pyoxigraph as ox

    from stkg.store import OxigraphStore
    from test_sssom import MODEL

    parsers = pytest.importorskip("sssom.parsers")
    writers = pytest.importorskip("sssom.writers")
    for n, set_iri in enumerate(mapping_sets(shipped)):
        path = tmp_path / f"{n}.sssom.tsv"
        path.write_text(export_sssom(shipped, set_iri), encoding="utf-8")
        fresh = OxigraphStore()
        imported = import_sssom(fresh, path, "https://example.org/g")
        bind = {"set": ox.NamedNode(set_iri)}
        assert set(fresh.query(MODEL, bindings=bind).triples) == set(
            shipped.query(MODEL, bindings=bind).triples
        ), set_iri
        parsed = parsers.parse_sssom_table(path)
        assert len(parsed.df) == len(imported.rows)
        # and back from sssom-py's own writing, as `sssom parse` does it: nothing lost
        parsed.clean_prefix_map(strict=True)
        again = tmp_path / f"{n}.parsed.sssom.tsv"
        with again.open("w", encoding="utf-8") as out:
            writers.write_table(parsed, out)
        through = OxigraphStore()
        import_sssom(through, again, "https://example.org/g")
        assert set(through.query(MODEL, bindings=bind).triples) == set(
            shipped.query(MODEL, bindings=bind).triples
        ), f"{set_iri} through sssom-py"
