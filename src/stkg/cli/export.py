"""`stkg export`: write the store out in a standard RDF syntax."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from stkg.cli.workspace import Workspace
from stkg.store import EXPORT_FORMATS


@click.command()
@click.option(
    "--format",
    "fmt",
    type=click.Choice(list(EXPORT_FORMATS)),
    default="turtle",
    show_default=True,
)
@click.option("--graph", help="Export only this named graph.")
@click.option("--output", "-o", type=click.Path(dir_okay=False), help="Write to a file.")
@click.pass_obj
def export(ws: Workspace, fmt: str, graph: str | None, output: str | None) -> None:
    """Write the store out. nquads, trig and jsonld keep the named graphs; turtle, nt and
    rdfxml write the union of all graphs (or the one given with --graph)."""
    data = ws.store.export(fmt, graph=graph)
    if output:
        Path(output).write_bytes(data)
    else:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
