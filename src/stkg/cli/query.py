"""`stkg query`: run a SPARQL query, a .rq file or a named query."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import click

from stkg.cli.workspace import Workspace
from stkg.errors import ProjectError, SourceError
from stkg.project import Project
from stkg.results import GRAPH_FORMATS, SOLUTION_FORMATS, TEXT_FORMATS
from stkg.store import PREFIXES

QUERY_FORMATS = [*TEXT_FORMATS, *SOLUTION_FORMATS, *GRAPH_FORMATS]
_PREFIX_DECL = re.compile(r"PREFIX\s+([A-Za-z][\w.-]*)?:\s*<([^>]*)>", re.IGNORECASE)


@click.command()
@click.argument("name", required=False)
@click.option("--sparql", help="A SPARQL 1.1 query; '-' reads it from standard input.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(QUERY_FORMATS),
    default="table",
    show_default=True,
    help="json, xml, csv, tsv are the SPARQL 1.1 result formats; turtle, nt, jsonld, rdfxml "
    "are for CONSTRUCT and DESCRIBE.",
)
@click.pass_obj
def query(ws: Workspace, name: str | None, sparql: str | None, fmt: str) -> None:
    """Run a query: a named query of the project, a .rq file, or --sparql TEXT."""
    if (name is None) == (sparql is None):
        raise click.UsageError("give a query NAME, a .rq FILE, or --sparql TEXT (one of them)")
    label = "query"
    if sparql == "-":
        sparql = sys.stdin.read()
    elif name is not None:
        path = _query_path(ws.project, name)
        sparql, label = path.read_text(encoding="utf-8"), str(path)
    assert sparql is not None
    try:
        result = ws.store.query(sparql)
    except SourceError as error:
        error.source = label
        raise
    prefixes = {**PREFIXES, **dict(_PREFIX_DECL.findall(sparql))}
    try:
        output = result.serialize(fmt, prefixes)
    except ValueError as error:
        raise click.UsageError(str(error)) from None
    click.echo(output.decode("utf-8"), nl=not output.endswith(b"\n"))


def _query_path(project: Project, name: str) -> Path:
    candidate = Path(name)
    if candidate.suffix == ".rq":
        if not candidate.is_file():
            raise SourceError("no such query file", name)
        return candidate
    named = {p.stem: p for p in project.query_files()}
    if name not in named:
        known = ", ".join(sorted(named)) or "none"
        raise ProjectError(f"no named query {name!r} in {project.root} (known: {known})")
    return named[name]
