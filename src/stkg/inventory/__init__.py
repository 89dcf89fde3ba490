"""Inventory import: the spreadsheets governance teams keep (CSV files or an `.xlsx`
workbook) become stkg data through a declarative mapping (`data/import/inventory.toml`).

    read (read.py) -> check every row (check.py) -> build triples (build.py)
        -> write one batch with its PROV-O record (batches.py)

Nothing is written unless every row passes; `stkg import` is the door (cli/import_.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pyoxigraph as ox

from stkg import collector, progress
from stkg.errors import StkgError
from stkg.inventory.batches import Batch, batch_graph, now
from stkg.inventory.build import RDF_TYPE, build
from stkg.inventory.check import Catalogue, Row, check
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
    with collector.paused(), progress.status("Reading the inventory"):
        inventory = read_inventory(paths, mapping)
    graph = batch_graph(batch)

    def existing(iris: set[str]) -> set[str]:
        values = " ".join(f"<{iri}>" for iri in sorted(iris))
        answer = store.query(
            f"SELECT DISTINCT ?s WHERE {{ VALUES ?s {{ {values} }} GRAPH ?g {{ ?s ?p ?o }} "
            f"FILTER(?g != <{graph}>) }}"
        )
        return {row[0].value for row in answer.rows if row[0] is not None}

    catalogue = Catalogue.from_store(store)
    # without the cycle collector, half the time (1.45 s, not 3.5, at 40,078 rows)
    with collector.paused(), progress.bar(inventory.row_count(), "Checking", "rows") as shown:
        rows, errors = check(inventory, mapping, base, catalogue, existing, shown.update)
    with collector.paused():
        if not errors and not rows:
            where = ", ".join(map(str, paths))
            errors = [InputError(where, None, None, None, "no rows to import")]
        if errors:
            raise InventoryErrors(errors)
        count = len(rows)
        inventory.tables.clear()  # the cells are in the rows now
        with progress.bar(count, "Building", "rows") as shown:
            statements = build(_drained(rows, shown.update), mapping, base, ox.NamedNode(graph))
    return Batch(batch, statements, count, inventory.files, started)


def _drained(rows: list[Row], tick: Callable[[int], object]) -> Iterator[Row]:
    """The rows in order, each let go once built: at 100,000 systems the checked rows hold
    about a gigabyte that the statements made from them can then reuse."""
    rows.reverse()
    while rows:
        yield rows.pop()
        tick(1)


def systems(batch: Batch) -> set[str]:
    """The social-technical systems a batch describes (IRIs: an N-Quads line's subject is
    its text up to the first space)."""
    typed = f"{RDF_TYPE} {SYSTEM} "
    found = set()
    for line in batch.statements:
        subject, rest = line.split(" ", 1)
        if rest.startswith(typed) and subject.startswith("<"):
            found.add(subject[1:-1])
    return found
