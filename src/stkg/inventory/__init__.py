"""Inventory import: the spreadsheets governance teams keep (CSV files or an `.xlsx`
workbook) become stkg data through a declarative mapping (`data/import/inventory.toml`).

    read (read.py) -> check every row (check.py) -> build triples (build.py)
        -> write one batch with its PROV-O record (batches.py)

Nothing is written unless every row passes; `stkg import` is the door (cli/import_.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pyoxigraph as ox

from stkg import collector
from stkg.errors import StkgError
from stkg.inventory.batches import Batch, batch_graph, now
from stkg.inventory.build import RDF_TYPE, build
from stkg.inventory.check import Catalogue, check
from stkg.inventory.mapping import Mapping
from stkg.inventory.read import InputError, read_inventory
from stkg.namespace import STKG_NS
from stkg.store import Store

SYSTEM = ox.NamedNode(STKG_NS + "SocialTechnicalSystem")


class InventoryErrors(StkgError):
    """Every problem found in an inventory; nothing was written."""

    def __init__(self, errors: list[InputError]) -> None:
        self.errors = sorted(errors, key=lambda e: (e.file, e.row or 0))
        errors = self.errors
        lines = "\n".join(f"  {e}" for e in errors)
        count = f"{len(errors)} error{'s' if len(errors) != 1 else ''}"
        super().__init__(f"{count} in the inventory; nothing was imported:\n{lines}")


def prepare(paths: Sequence[Path], store: Store, mapping: Mapping, base: str, batch: str) -> Batch:
    """Read, check and build an import without writing; raises InventoryErrors."""
    started = now()
    with collector.paused():
        inventory = read_inventory(paths, mapping)
    graph = batch_graph(batch)

    def existing(iris: set[str]) -> set[str]:
        values = " ".join(f"<{iri}>" for iri in sorted(iris))
        answer = store.query(
            f"SELECT DISTINCT ?s WHERE {{ VALUES ?s {{ {values} }} GRAPH ?g {{ ?s ?p ?o }} "
            f"FILTER(?g != <{graph}>) }}"
        )
        return {row[0].value for row in answer.rows if row[0] is not None}

    with collector.paused():  # half the time otherwise (1.45 s, not 3.5, at 40,078 rows)
        rows, errors = check(inventory, mapping, base, Catalogue.from_store(store), existing)
        if not errors and not rows:
            where = ", ".join(map(str, paths))
            errors = [InputError(where, None, None, None, "no rows to import")]
        if errors:
            raise InventoryErrors(errors)
        quads = build(rows, mapping, base, ox.NamedNode(graph))
    return Batch(batch, quads, len(rows), inventory.files, started)


def systems(batch: Batch) -> set[str]:
    """The social-technical systems a batch describes."""
    return {
        t.subject.value
        for t in batch.quads
        if t.predicate == RDF_TYPE and t.object == SYSTEM and isinstance(t.subject, ox.NamedNode)
    }
