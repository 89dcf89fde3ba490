"""Reloads are all-or-nothing: `stkg load` killed with SIGKILL at any point of replacing a
graph leaves the old graph or the new one, never less, and nothing of the attempt shows."""

from __future__ import annotations

import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from commands import mini_project_dir, start_stkg, stkg
from stkg import restore_point
from stkg.project import external_source
from stkg.store import OxigraphStore

PAUSED = "stkg: paused at "


def generated(tmp_path: Path, name: str, systems: int, seed: int) -> Path:
    path = tmp_path / name
    result = stkg("generate", "--systems", str(systems), "--seed", str(seed), "--out", str(path),
                  cwd=tmp_path)  # fmt: skip
    assert result.returncode == 0, result.stderr
    return path


def triples_in(store_path: Path, graph: str) -> int | None:
    """The graph's size as the next command sees it (opening rolls a killed load back)."""
    store = OxigraphStore(store_path)
    try:
        return store.graphs().get(graph)
    finally:
        store.close()


def load_paused_at(stage: str, data: Path, store: Path, project: Path) -> subprocess.Popen:
    """Start `stkg --store STORE load DATA` and wait until it stops at `stage`."""
    process = start_stkg(
        "--project", str(project), "--store", str(store), "load", str(data),
        cwd=data.parent, env={"STKG_LOAD_PAUSE_AT": f"{stage}:{data}"},
    )  # fmt: skip
    assert process.stderr is not None
    line = process.stderr.readline()
    assert line.strip() == PAUSED + stage, line + process.stderr.read()
    wait_until_stopped(process)
    return process


def wait_until_stopped(process: subprocess.Popen) -> None:
    """The loader says it pauses, then stops itself: a SIGCONT sent between the two is lost
    and the loader then stops for ever (seen on a loaded machine). Wait for the stop."""
    stat = Path(f"/proc/{process.pid}/stat")
    deadline = time.monotonic() + 60
    # the state is the field after the parenthesised command name
    while stat.read_text().rsplit(")", 1)[1].split()[0] != "T":
        assert time.monotonic() < deadline, "the loader never stopped at its pause point"
        time.sleep(0.01)


def kill(process: subprocess.Popen) -> None:
    process.kill()
    process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL


@pytest.fixture(scope="module")
def contents(tmp_path_factory) -> tuple[Path, Path, Path]:
    """A project, and an old and a new version of one data file (about 13k and 100k triples)."""
    tmp_path = tmp_path_factory.mktemp("reload")
    project = mini_project_dir(tmp_path)
    old = generated(tmp_path, "old.nt", 300, 1)
    new = generated(tmp_path, "new.nt", 2400, 2)
    return project, old, new


def loaded_store(tmp_path: Path, contents: tuple[Path, Path, Path]) -> tuple[Path, Path, int, int]:
    """A store holding the old version at `data`, and `data` rewritten as the new version."""
    project, old, new = contents
    data, store = tmp_path / "portfolio.nt", tmp_path / "store"
    data.write_bytes(old.read_bytes())
    first = stkg("--project", str(project), "--store", str(store), "load", str(data), cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    old_count = triples_in(store, data.as_uri())
    data.write_bytes(new.read_bytes())
    probe = OxigraphStore()  # in memory: what the new version holds once loaded
    probe.load([external_source(data)])
    return data, store, old_count, probe.graphs()[data.as_uri()]


@pytest.mark.parametrize(
    ("stage", "expected"),
    [("restore-point", "old"), ("dropped", "old"), ("loaded", "old"), ("committed", "new")],
)
def test_a_reload_killed_at_each_stage_leaves_the_old_or_the_new_graph(
    tmp_path, contents, stage, expected
):
    data, store, old_count, new_count = loaded_store(tmp_path, contents)
    assert old_count < new_count
    kill(load_paused_at(stage, data, store, contents[0]))
    count = triples_in(store, data.as_uri())
    assert count == {"old": old_count, "new": new_count}[expected]
    leftovers = [p.name for p in tmp_path.iterdir() if p.name.startswith("store.")]
    assert leftovers == [], leftovers


@pytest.mark.parametrize("delay", [0.05, 0.3, 1.0])
def test_a_reload_killed_while_the_bulk_load_runs_leaves_old_or_new(tmp_path, contents, delay):
    data, store, old_count, new_count = loaded_store(tmp_path, contents)
    process = load_paused_at("dropped", data, store, contents[0])
    process.send_signal(signal.SIGCONT)  # the old graph is gone; the new one is being written
    time.sleep(delay)
    process.kill()
    process.wait(timeout=30)
    assert triples_in(store, data.as_uri()) in (old_count, new_count)


def test_a_first_load_killed_leaves_the_graph_absent(tmp_path, contents):
    project, _, new = contents
    store = tmp_path / "store"
    data = tmp_path / "first.nt"
    data.write_bytes(new.read_bytes())
    kill(load_paused_at("loaded", data, store, project))
    assert triples_in(store, data.as_uri()) is None
    assert triples_in(store, "https://w3id.org/stkg/graph/data/systems.ttl") == 5


def test_the_next_command_sees_nothing_of_a_killed_load(tmp_path, contents):
    data, store, old_count, _ = loaded_store(tmp_path, contents)
    kill(load_paused_at("loaded", data, store, contents[0]))
    assert restore_point.pending(store)  # the restore point is left beside the store
    count = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{data.as_uri()}> {{ ?s ?p ?o }} }}"
    result = stkg("--project", str(contents[0]), "--store", str(store), "query", "--sparql",
                  count, "--format", "csv", cwd=tmp_path)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert int(result.stdout.split()[1]) == old_count
    assert "an interrupted load was undone" in result.stderr
    assert not restore_point.pending(store)


def test_a_second_writer_is_refused_while_a_load_runs(tmp_path, contents):
    data, store, old_count, _ = loaded_store(tmp_path, contents)
    process = load_paused_at("dropped", data, store, contents[0])
    try:
        second = stkg("--project", str(contents[0]), "--store", str(store), "load", str(data),
                      cwd=tmp_path)  # fmt: skip
        assert second.returncode == 1
        assert "cannot open the store" in second.stderr
        assert restore_point.pending(store)  # the second writer did not roll the first back
    finally:
        kill(process)
    assert triples_in(store, data.as_uri()) == old_count


def test_a_roll_back_killed_between_its_renames_is_finished_by_the_next_open(tmp_path):
    store_path = tmp_path / "store"
    store = OxigraphStore(store_path)
    store.update("INSERT DATA { GRAPH <urn:g> { <urn:a> <urn:b> <urn:c> } }")
    store.close()
    store_path.rename(restore_point.restore_dir(store_path))  # as if killed mid roll back
    assert triples_in(store_path, "urn:g") == 1
    assert not restore_point.pending(store_path)


def test_a_store_removed_under_a_running_load_ends_in_one_line(tmp_path, contents):
    project, old, _ = contents
    data, store = tmp_path / "data.nt", tmp_path / "store"
    data.write_bytes(old.read_bytes())
    process = load_paused_at("committed", data, store, project)
    shutil.rmtree(store)
    process.send_signal(signal.SIGCONT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 1, stderr
    assert "Traceback" not in stderr
    assert stderr.strip().splitlines()[-1].startswith(f"Error: {store}: cannot write the store")


def test_a_load_that_fails_while_writing_is_rolled_back_at_once(tmp_path, contents):
    """The file is checked, then changes under the loader: the bulk load fails half-way."""
    data, store, old_count, _ = loaded_store(tmp_path, contents)
    process = load_paused_at("restore-point", data, store, contents[0])
    with data.open("ab") as file:
        file.write(b"<urn:broken> <urn:p> .\n")
    process.send_signal(signal.SIGCONT)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 1, stderr
    assert "Traceback" not in stderr and f"Error: {data}" in stderr
    assert not restore_point.pending(store)  # rolled back by the loader itself
    assert triples_in(store, data.as_uri()) == old_count


@pytest.mark.parametrize("leftover", ["restore-partial", "restore-discarded", "rolled-back"])
def test_leftovers_of_a_killed_checkpoint_or_roll_back_are_deleted_on_open(tmp_path, leftover):
    store_path = tmp_path / "store"
    OxigraphStore(store_path).close()
    (tmp_path / f"store.{leftover}").mkdir()
    (tmp_path / f"store.{leftover}" / "000001.sst").write_bytes(b"half written")
    store = OxigraphStore(store_path)
    assert not store.rolled_back
    store.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["store"]
