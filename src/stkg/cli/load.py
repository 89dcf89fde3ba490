"""`stkg load`: add RDF files to the store, all or nothing."""

from __future__ import annotations

from pathlib import Path

import click
import pyoxigraph as ox

from stkg import progress
from stkg.cli.workspace import Workspace
from stkg.errors import SourceError
from stkg.project import external_source
from stkg.summary import summarize


@click.command()
@click.argument("files", nargs=-1, required=True, type=click.Path())
@click.option("--graph", help="Named graph for the file (one file only). Default: its file: URI.")
@click.pass_obj
def load(ws: Workspace, files: tuple[str, ...], graph: str | None) -> None:
    """Load RDF files, each into its own named graph, on top of the project.

    Every file is parsed before anything is written: a file that fails to parse changes
    nothing. With --store, the load is all-or-nothing even if the process is killed: the
    next command puts back what the store held before. Without --store the store lives in
    memory, so this checks and counts only.
    """
    if graph is not None and len(files) != 1:
        raise click.UsageError("--graph needs exactly one file")
    if graph:
        try:
            ox.NamedNode(graph)
        except ValueError as error:
            raise SourceError(f"not an absolute IRI: {error}", f"--graph {graph}") from None
    for name in files:
        if Path(name).is_file() and Path(name).stat().st_size == 0:  # e.g. a failed download
            raise SourceError("empty file: nothing to load, and its graph would be emptied", name)
    sources = [external_source(Path(name), graph) for name in files]
    with progress.status(f"Loading {len(sources)} file(s)"):
        store = ws.store
        reports = store.load(sources)
    for report in reports:
        click.echo(f"{report.label}: {report.triples} triples into <{report.graph}>")
    store.optimize()  # the files a user loads are the large ones; the project is not
    counts = summarize(store, ws.project)["counts"]
    click.echo(
        f"store: {counts['triples']} triples, {counts['systems']} systems, "
        f"{counts['frameworks']} frameworks"
    )
    if ws.store_path is None:
        click.echo("(in-memory store: nothing kept; use --store PATH to keep it)", err=True)
