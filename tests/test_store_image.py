"""An on-disk store reads from its image: `--store DIR` commands validate an in-memory copy
loaded from `DIR/stkg-image.nq`, which every write makes stale and which is never used stale,
damaged or half-written; unchanged project files are not loaded again."""

from __future__ import annotations

import json

import pyoxigraph as ox
import pytest

from conftest import REPO
from stkg.cli import main
from stkg.generate import plan, write
from stkg.project import external_source
from stkg.store import OxigraphStore, for_reading, image
from stkg.validate import validate
from stkg.validate_formats import FORMATS


@pytest.fixture()
def portfolio(tmp_path):
    path = tmp_path / "portfolio.nt"
    with path.open("w", encoding="utf-8") as out:
        write(plan(60, 5), out, "nt")
    return path


def stkg(runner, store, *args: str):
    return runner.invoke(main, ["--project", str(REPO), "--store", str(store), *args])


def on_rocksdb(store) -> str:
    """The report computed on RocksDB itself, without the image."""
    opened = OxigraphStore(store)
    try:
        return FORMATS["json"](validate(opened))
    finally:
        opened.close()


def image_quads(store) -> int:
    return len(list(ox.parse(path=store / image.IMAGE, format=ox.RdfFormat.N_QUADS)))


def assert_image_holds_the_store(store, more_than: int) -> None:
    """The image is current and holds every quad of RocksDB, more than before the write."""
    assert image.current(store) is not None
    opened = OxigraphStore(store)
    try:
        assert image_quads(store) == len(opened) > more_than
    finally:
        opened.close()


def test_validate_on_a_store_reads_an_image_of_what_rocksdb_holds(runner, tmp_path, portfolio):
    store = tmp_path / "kg"
    assert stkg(runner, store, "load", str(portfolio)).exit_code == 0
    assert image.current(store) is not None  # written when the load's command closed
    result = stkg(runner, store, "validate", "--format", "json")
    assert result.exit_code == 1
    assert result.stdout == on_rocksdb(store)
    assert json.loads(result.stdout)["results"]


def test_a_load_refreshes_the_image(runner, tmp_path, portfolio):
    store = tmp_path / "kg"
    stkg(runner, store, "load", str(portfolio))
    before = image_quads(store)
    more = tmp_path / "more.nt"
    with more.open("w", encoding="utf-8") as out:
        write(plan(10, 9), out, "nt")
    assert stkg(runner, store, "load", str(more)).exit_code == 0
    assert_image_holds_the_store(store, more_than=before)


@pytest.mark.parametrize("damage", ["truncated", "stale"])
def test_a_damaged_or_stale_image_is_rebuilt_not_used(runner, tmp_path, portfolio, damage):
    store = tmp_path / "kg"
    stkg(runner, store, "load", str(portfolio))
    expected = on_rocksdb(store)
    path = store / image.IMAGE
    text = path.read_bytes()
    if damage == "truncated":  # e.g. a copy cut short
        path.write_bytes(text[: len(text) // 2])
    else:  # killed after a write began: the store has a new version, the image the old one
        image.invalidate(store)
    assert image.current(store) is None
    result = stkg(runner, store, "validate", "--format", "json")
    assert result.stdout == expected
    assert image.current(store) is not None and path.read_bytes() == text


def test_a_half_written_image_is_never_read(tmp_path, portfolio):
    store = tmp_path / "kg"
    opened = OxigraphStore(store)
    opened.load([external_source(portfolio)])
    opened.close()
    (store / f".{image.IMAGE}.tmp").write_bytes(b"<urn:a> <urn:b> <urn:c")  # killed mid-write
    opened = OxigraphStore(store)
    try:
        assert len(for_reading(opened)) == len(opened)
    finally:
        opened.close()


def test_commands_that_only_read_change_nothing_and_reload_no_file(runner, tmp_path, portfolio):
    store = tmp_path / "kg"
    stkg(runner, store, "load", str(portfolio))
    version = image.version(store)
    manifest = image.manifest(store)
    assert {e["path"] for e in manifest.values()} >= {str(portfolio.resolve())}
    assert all(len(e["sha256"]) == 64 for e in manifest.values())
    for args in (["validate"], ["report"], ["classify"], ["query", "--sparql", "ASK {}"]):
        assert stkg(runner, store, *args).exit_code in (0, 1), args
    assert image.version(store) == version  # no write, so the image stays current


def test_an_in_memory_store_is_its_own_copy():
    store = OxigraphStore()
    assert not store.capabilities.memory_copy
    assert for_reading(store) is store


def test_an_import_refreshes_the_image(runner, tmp_path):
    store = tmp_path / "kg"
    assert stkg(runner, store, "query", "--sparql", "ASK {}").exit_code == 0
    before = image_quads(store) if image.current(store) else 0
    imported = stkg(runner, store, "import", str(REPO / "data" / "import" / "example"))
    assert imported.exit_code in (0, 1), imported.output
    assert_image_holds_the_store(store, more_than=before)
