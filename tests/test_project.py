"""Finding a project by convention and loading it, one named graph per file."""

from __future__ import annotations

import subprocess
import sys
import zipfile

import pytest

from conftest import MINI_DATA, REPO, write_project
from stkg.errors import ProjectError, SourceError
from stkg.project import GRAPH_BASE, Project, bundled_project_dir, external_source
from stkg.store import OxigraphStore


def test_an_explicit_folder_wins(mini_project, tmp_path):
    assert Project.find(mini_project.root, cwd=REPO).root == mini_project.root


def test_the_current_directory_is_used_when_it_is_a_project(mini_project):
    assert Project.find(cwd=mini_project.root).root == mini_project.root


def test_otherwise_the_bundled_project_is_used(tmp_path):
    assert Project.find(cwd=tmp_path).root == bundled_project_dir().resolve()
    assert (bundled_project_dir() / "ontology" / "stkg.ttl").is_file()


def test_a_folder_without_ontology_is_not_a_project(tmp_path):
    write_project(tmp_path, {"data/x.ttl": MINI_DATA})
    with pytest.raises(ProjectError, match="not an stkg project"):
        Project.find(tmp_path)
    with pytest.raises(ProjectError, match="no such project folder"):
        Project.find(tmp_path / "missing")


def test_each_project_file_is_loaded_into_a_graph_named_after_its_path(mini_project):
    store = mini_project.open_store()
    assert set(store.graphs()) == {
        GRAPH_BASE + "ontology/core.ttl",
        GRAPH_BASE + "data/systems.ttl",
    }


def test_hidden_files_and_non_rdf_files_are_not_loaded(mini_project):
    write_project(mini_project.root, {"data/.draft/x.ttl": MINI_DATA, "data/README.md": "# notes"})
    labels = [s.label for s in mini_project.sources()]
    assert labels == ["data/systems.ttl", "ontology/core.ttl"]


def test_reloading_drops_graphs_of_removed_files_and_keeps_loaded_extras(mini_project, tmp_path):
    path = tmp_path / "store"
    store = mini_project.open_store(path)
    extra = tmp_path / "extra.nt"
    extra.write_text("<urn:a> <urn:b> <urn:c> .\n", encoding="utf-8")
    store.load([external_source(extra)])
    store.update(f"INSERT DATA {{ GRAPH <{GRAPH_BASE}validation> {{ <urn:r> <urn:p> <urn:o> }} }}")
    (mini_project.root / "data" / "systems.ttl").unlink()
    store.flush()
    del store
    reopened = mini_project.open_store(path)
    assert set(reopened.graphs()) == {
        GRAPH_BASE + "ontology/core.ttl",
        GRAPH_BASE + "validation",
        extra.resolve().as_uri(),
    }


def test_a_broken_project_file_loads_nothing(mini_project):
    write_project(mini_project.root, {"data/broken.ttl": "@prefix ex: <urn:x#> .\nex:a ex:b"})
    store = OxigraphStore()
    with pytest.raises(SourceError) as caught:
        mini_project.load_into(store)
    assert caught.value.source == "data/broken.ttl"
    assert len(store) == 0


def test_the_checkout_is_a_project_with_every_knowledge_folder(project):
    for folder in ("ontology", "shapes", "queries", "data"):
        assert (project.root / folder).is_dir(), folder
    assert project.rdf_files(), "the project ships RDF files"


@pytest.mark.slow
def test_the_wheel_carries_the_project(tmp_path):
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            str(REPO),
        ],
        check=True,
    )
    (wheel,) = tmp_path.glob("stkg-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for path in Project(REPO).rdf_files() + Project(REPO).query_files():
        relative = path.relative_to(REPO).as_posix()
        assert f"stkg/_project/{relative}" in names, relative
    assert "stkg/web/templates/index.html" in names
