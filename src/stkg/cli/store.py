"""`stkg store check`: what the store's server answers wrongly, and what stkg does about it."""

from __future__ import annotations

import click
import pyoxigraph as ox

from stkg.cli.workspace import Workspace
from stkg.store import OxigraphStore, RemoteStore, open_store
from stkg.store.probe import DATA, DATA_GRAPH, INSERTED, Findings, probe, report, wrong


@click.group("store")
def store_group() -> None:
    """The store behind stkg (docs/remote-store.md)."""


@store_group.command()
@click.pass_obj
def check(ws: Workspace) -> None:
    """Run the conformance probe now: a small known dataset in a scratch graph, each query
    shape stkg relies on, its expected answer. For a remote store the findings are kept on
    the server, so every later connection knows them."""
    if ws.store_path is not None and not isinstance(ws.store_path, str):
        raise click.UsageError("--store names a folder or a URL")
    opened = open_store(ws.store_path, update_url=ws.update_url)
    try:
        if isinstance(opened, RemoteStore):
            found = probe(opened)
            if not found.probed:
                click.echo(
                    "stkg: the server refused the probe's scratch graph (no update rights: "
                    "STKG_STORE_USER, STKG_STORE_PASSWORD, --update-url); every fault is "
                    "assumed and rewritten",
                    err=True,
                )
            click.echo(f"server: {opened.url} ({found.server or 'no Server header'})")
        else:
            found = Findings("embedded Oxigraph", set(_embedded_faults()))
            click.echo("server: embedded Oxigraph")
        for name, shape, verdict in report(found):
            word, _, remedy = verdict.partition("; ")
            click.echo(f"{word:5}  {name}: {shape}" + (f"\n       {remedy}" if remedy else ""))
    finally:
        opened.close()


def _embedded_faults() -> list[str]:
    scratch = OxigraphStore()
    graph = ox.NamedNode(DATA_GRAPH)
    scratch.add_quads(
        ox.Quad(t.subject, t.predicate, t.object, graph)
        for t in ox.parse(DATA, format=ox.RdfFormat.TURTLE)
    )
    scratch.update(f"INSERT DATA {{ GRAPH <{DATA_GRAPH}> {{ {INSERTED} }} }}")
    return wrong(lambda text: scratch.query(text))
