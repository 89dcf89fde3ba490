"""An import from start to end, the one code path of every door: `stkg import` and the web
app's `POST /import` call `run_import`, and print or answer what it returns.

    mapping -> prepare (spreadsheets) or translate (AIRO/DPV RDF) -> write the batch with its
    PROV-O record (or, for a dry run, write it into an in-memory copy) -> the gaps of the
    imported systems
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from stkg import progress
from stkg.errors import SourceError
from stkg.inventory import batches as batch_store
from stkg.inventory import prepare, systems
from stkg.inventory.batches import Batch
from stkg.inventory.gaps import Gap, gaps
from stkg.inventory.mapping import DEFAULT_MAPPING, Mapping, MappingError, check_base, load_mapping
from stkg.inventory.translate import Translation, translate
from stkg.project import bundled_project_dir
from stkg.store import OxigraphStore, Store


class BadMapping(SourceError):
    """A mapping file that cannot be used."""


@dataclass
class Outcome:
    """What an import did, or (dry run) would do."""

    batch: Batch
    added: int
    removed: int
    systems: set[str]
    results: list[Gap]  # of the imported systems, after the import
    dry_run: bool = False
    translation: Translation | None = None
    brought: int = 0  # dry run: results the import would bring, and resolve
    resolved: int = 0
    labels: dict[str, str] = field(default_factory=dict)


def mapping_for(root: Path, mapping_file: Path | None = None) -> Mapping:
    """The mapping given, else the project's, else the bundled one."""
    if mapping_file is None:
        mapping_file = root / DEFAULT_MAPPING
        if not mapping_file.is_file():  # a project of one's own uses the bundled mapping
            mapping_file = bundled_project_dir() / DEFAULT_MAPPING
    try:
        return load_mapping(mapping_file)
    except MappingError as error:
        raise BadMapping(str(error)) from None


def run_import(
    store: Store,
    paths: Sequence[Path],
    *,
    root: Path,
    mapping: Mapping,
    agent: str,
    base: str | None = None,
    batch: str | None = None,
    vocabularies: Sequence[str] = (),
    dry_run: bool = False,
    relabel: Callable[[str], str] | None = None,
) -> Outcome:
    """Check and build the import of `paths`, then write it as one batch (or not, for a dry
    run). Raises InventoryErrors for input that cannot be used; nothing is written then.
    `relabel` turns a file's path into the name the provenance records (an upload's own)."""
    base = base or mapping.base
    check_base(base)
    batch_id = batch_store.batch_id(paths, batch)
    translation = None
    if vocabularies:
        with progress.status("Translating"):
            translation = translate(paths, root, vocabularies, batch_id)
        built = translation.batch
    else:
        built = prepare(paths, store, mapping, base, batch_id)  # with its progress bars
    if relabel is not None:
        for file in built.files:
            file.label = relabel(file.label)
    imported = systems(built)
    outcome = Outcome(built, 0, 0, imported, [], dry_run)
    outcome.translation = translation
    if dry_run:
        scratch = _copy(store)
        old = _gaps(scratch, imported)
        outcome.added, outcome.removed = batch_store.write(scratch, built, "dry-run")
        outcome.results = _gaps(scratch, imported)
        new_keys, old_keys = {r.key() for r in outcome.results}, {r.key() for r in old}
        outcome.brought, outcome.resolved = len(new_keys - old_keys), len(old_keys - new_keys)
        outcome.labels = labels(scratch, imported)
        return outcome
    with progress.status("Writing"):
        outcome.added, outcome.removed = batch_store.write(store, built, agent)
    # the quads are released: 2 GiB at 100,000 systems
    # as after `stkg load`: a bulk write leaves an on-disk store's files unmerged, and the
    # validation below then took 111 s instead of 21 s at 10,000 systems (3 s to compact)
    store.optimize()
    outcome.results = _gaps(store, imported)
    outcome.labels = labels(store, imported)
    return outcome


def _copy(store: Store) -> OxigraphStore:
    """An in-memory copy to try the import on, for a dry run."""
    return OxigraphStore.from_quads(ox.parse(store.export("nquads"), format=ox.RdfFormat.N_QUADS))


def _gaps(store: Store, imported: set[str]) -> list[Gap]:
    with progress.status("Validating"):
        return gaps(store, imported)


LABELLED = 25  # up to this many imported systems, their labels are looked up for a summary


def labels(store: Store, iris: set[str]) -> dict[str, str]:
    if not iris or len(iris) > LABELLED:
        return {}
    values = " ".join(f"<{i}>" for i in sorted(iris))
    answer = store.query(
        "SELECT ?s ?l WHERE { VALUES ?s { " + values + " } "
        "?s <http://www.w3.org/2000/01/rdf-schema#label> ?l }"
    )
    return {s.value: label.value for s, label in answer.rows}
