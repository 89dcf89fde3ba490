"""`stkg import`: bring an inventory of CSV files or an .xlsx workbook into the store, checked
whole first, as one recorded batch."""

from __future__ import annotations

from pathlib import Path

import click

from stkg.cli.workspace import Workspace
from stkg.errors import SourceError
from stkg.inventory import InventoryErrors
from stkg.inventory import batches as batch_store
from stkg.inventory.gaps import Gap
from stkg.inventory.mapping import Mapping
from stkg.inventory.run import LABELLED, Outcome, mapping_for, run_import
from stkg.inventory.template import write_template
from stkg.inventory.translate import VOCABULARIES, Translation
from stkg.store import Store

BAD_INPUT = 2  # as `stkg validate`: input that cannot be used


class BadInput(click.ClickException):
    exit_code = BAD_INPUT


@click.command("import")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--mapping",
    "mapping_file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="A mapping file (TOML). Default: data/import/inventory.toml.",
)
@click.option("--base", help="Base IRI of the IRIs minted from ids (default: the mapping's).")
@click.option("--batch", "batch_name", help="Batch id. Default: the name of the folder or file.")
@click.option("--agent", help="Who imports, for the provenance record. Default: the user name.")
@click.option(
    "--from",
    "vocabularies",
    multiple=True,
    type=click.Choice(sorted(VOCABULARIES)),
    help="PATHS are RDF files in AIRO or W3C DPV terms (repeatable), translated through "
    "rules derived from ontology/alignments.ttl (data/import/rules/).",
)
@click.option("--dry-run", is_flag=True, help="Check and report what would change; write nothing.")
@click.option("--list", "list_batches", is_flag=True, help="List the batches in the store.")
@click.option("--rollback", metavar="BATCH", help="Remove a batch (recorded too).")
@click.option(
    "--template",
    "template_dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="Write the blank template (CSV files and a workbook) into this folder.",
)
@click.pass_obj
def import_(
    ws: Workspace,
    paths: tuple[Path, ...],
    mapping_file: Path | None,
    base: str | None,
    batch_name: str | None,
    agent: str | None,
    vocabularies: tuple[str, ...],
    dry_run: bool,
    list_batches: bool,
    rollback: str | None,
    template_dir: Path | None,
) -> None:
    """Import an inventory: a folder of CSV files, CSV files or an .xlsx workbook, with
    files or sheets named people, controls, systems, processes (README, "Inventory import").

    Every row is checked before anything is written; all errors are reported, each with
    file, row, column and value (exit code 2). The batch goes into its own graph, replacing
    an earlier import of the same source. With --store it is kept; without, this checks and
    reports. After an import, the governance gaps of the imported systems are summarised.
    """  # fmt: skip
    actions = sum([bool(paths), list_batches, rollback is not None, template_dir is not None])
    if actions != 1:
        raise click.UsageError("give PATHS, or one of --list, --rollback BATCH, --template DIR")
    mapping = _mapping(ws, mapping_file)
    if template_dir is not None:
        for path in write_template(template_dir, mapping):
            click.echo(f"wrote {path}")
        return
    if list_batches:
        _list(ws.store)
        return
    if rollback is not None:
        removed = batch_store.rollback(ws.store, rollback, agent or batch_store.default_agent())
        ws.store.optimize()
        click.echo(f"rolled back batch {rollback}: {removed} triples removed")
        _in_memory_note(ws)
        return
    try:
        outcome = run_import(
            ws.store,
            paths,
            root=ws.project.root,
            mapping=mapping,
            agent=agent or batch_store.default_agent(),
            base=base,
            batch=batch_name,
            vocabularies=vocabularies,
            dry_run=dry_run,
        )
    except InventoryErrors as error:
        raise BadInput(str(error)) from None
    batch = outcome.batch
    if outcome.translation is not None:
        _translated(outcome.translation)
    unit = "statements" if vocabularies else "rows"
    click.echo(
        f"batch {batch.id}: {batch.rows} {unit} from {len(batch.files)} file(s), "
        f"{batch.triples} triples for <{batch.graph}>"
    )
    add, remove = ("would add", "would remove") if dry_run else ("added", "removed")
    click.echo(f"  {add} {outcome.added} triples, {remove} {outcome.removed}")
    _summary(outcome)
    if dry_run:
        click.echo(f"dry run: nothing written; it would bring {outcome.brought} new "
                   f"result(s) and resolve {outcome.resolved}")  # fmt: skip
        return
    _in_memory_note(ws)


def _translated(translation: Translation) -> None:
    click.echo(f"{translation.derived} stkg statements derived through ontology/alignments.ttl")
    if translation.unmapped:
        terms = ", ".join(f"<{t}> ({n})" for t, n in sorted(translation.unmapped.items()))
        click.echo(f"  kept as given, no alignment to translate them by: {terms}")


def _mapping(ws: Workspace, mapping_file: Path | None) -> Mapping:
    try:
        return mapping_for(ws.project.root, mapping_file)
    except SourceError as error:
        raise BadInput(str(error)) from None


PER_SYSTEM = LABELLED  # up to this many imported systems, the summary has a line for each


def _summary(outcome: Outcome) -> None:
    """Counts per severity and per shape; a line per system for a small import."""
    results, imported, labels = outcome.results, outcome.systems, outcome.labels
    counts: dict[str, int] = {}
    by_shape: dict[str, set[str]] = {}
    by_system: dict[str, list[Gap]] = {}
    each = len(imported) <= PER_SYSTEM  # a line per system: their results are listed
    for r in results:
        counts[r.severity] = counts.get(r.severity, 0) + 1
        for system in imported.intersection(r.systems):
            by_shape.setdefault(r.source_shape.rsplit("#", 1)[-1], set()).add(system)
            if each:
                by_system.setdefault(system, []).append(r)
    parts = ", ".join(f"{n} {s.lower()}{'s' if n != 1 else ''}" for s, n in counts.items())
    click.echo(
        f"validation of the {len(imported)} imported system(s): {len(results)} result(s)"
        + (f": {parts}" if parts else "")
    )
    if each:
        for system in sorted(imported, key=lambda s: labels.get(s, s)):
            own = by_system.get(system, [])
            shapes = ", ".join(sorted({r.source_shape.rsplit("#", 1)[-1] for r in own}))
            what = f"{len(own)} result(s): {shapes}" if own else "no gaps"
            click.echo(f"  {labels.get(system, system)} <{system}>: {what}")
    else:
        for shape, systems in sorted(by_shape.items(), key=lambda kv: (-len(kv[1]), kv[0])):
            click.echo(f"  {shape}: {len(systems)} system(s)")
    if results:
        click.echo("  (details: stkg validate)")


def _list(store: Store) -> None:
    found = batch_store.list_batches(store)
    if not found:
        click.echo("no import batches in the store")
        return
    for b in found:
        state = "present" if b["present"] else "rolled back"
        counts = f"{b.get('rows', '?')} rows, {b.get('triples', '?')} triples"
        click.echo(f"{b['batch']}: {state}; last {b['last']} {b['at']} by {b['agent']}; {counts}")
        for source in b["sources"]:  # type: ignore[union-attr]
            click.echo(f"  {source['file']}  sha256 {source['sha256']}")


def _in_memory_note(ws: Workspace) -> None:
    if ws.store_path is None:
        click.echo("(in-memory store: nothing kept; use --store PATH to keep it)", err=True)
