"""`stkg query`: run a SPARQL query, a .rq file or a named query (with parameters)."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import click

from stkg.cli.workspace import Workspace
from stkg.errors import SourceError
from stkg.execution import LocalExecutor
from stkg.project import Project, external_source
from stkg.queries import (
    NamedQuery,
    find_query,
    named_queries,
    parse_query_file,
    project_prefixes,
    with_prefixes,
)
from stkg.results import GRAPH_FORMATS, SOLUTION_FORMATS, TEXT_FORMATS
from stkg.sandbox import check_local_query
from stkg.store import PREFIXES, OxigraphStore, QueryRequest, for_reading

QUERY_FORMATS = [*TEXT_FORMATS, *SOLUTION_FORMATS, *GRAPH_FORMATS]
_PREFIX_DECL = re.compile(r"PREFIX\s+([A-Za-z][\w.-]*)?:\s*<([^>]*)>", re.IGNORECASE)


@click.command()
@click.argument("name", required=False)
@click.option("--sparql", help="A SPARQL 1.1 query; '-' reads it from standard input.")
@click.option(
    "--param",
    "params",
    multiple=True,
    metavar="NAME=VALUE",
    help="A parameter of the named query (repeatable); see --list.",
)
@click.option(
    "--data",
    "data_files",
    multiple=True,
    type=click.Path(),  # the reader names a missing file or a folder in one line
    help="Query these RDF files (with the ontology and framework catalogues) instead of the "
    "project's example data (repeatable).",
)
@click.option("--list", "list_queries", is_flag=True, help="List the named queries.")
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
def query(
    ws: Workspace,
    name: str | None,
    sparql: str | None,
    params: tuple[str, ...],
    data_files: tuple[str, ...],
    list_queries: bool,
    fmt: str,
) -> None:
    """Run a query: a named query of the project, a .rq file, or --sparql TEXT."""
    if list_queries:
        _list(ws.project, fmt)
        return
    if (name is None) == (sparql is None):
        raise click.UsageError("give a query NAME, a .rq FILE, or --sparql TEXT (one of them)")
    label = "query"
    named: NamedQuery | None = None
    if sparql == "-":
        sparql = sys.stdin.read()
    elif name is not None:
        named = _named(ws.project, name)
        sparql, label = named.sparql, str(named.path)
    if params and named is None:
        raise click.UsageError("--param applies to a named query or a .rq file")
    values = dict(_split(p) for p in params)
    bindings = named.bindings(values) if named is not None else None
    store = _data_store(ws.project, data_files) if data_files else for_reading(ws.store)
    assert sparql is not None
    try:
        check_local_query(sparql)  # no SERVICE, and nothing that would overflow a stack
        result = (
            LocalExecutor(store, max_rows=sys.maxsize).query(QueryRequest(sparql, bindings)).result
        )
    except SourceError as error:
        error.source = label
        raise click.ClickException(f"{error}{_excerpt(sparql, error.line, error.column)}") from None
    prefixes = {**PREFIXES, **dict(_PREFIX_DECL.findall(sparql))}
    try:
        output = result.serialize(fmt, prefixes)
    except ValueError as error:
        raise click.UsageError(str(error)) from None
    click.echo(output.decode("utf-8"), nl=not output.endswith(b"\n"))


def _named(project: Project, name: str) -> NamedQuery:
    candidate = Path(name)
    if candidate.suffix == ".rq":
        if not candidate.is_file():
            raise SourceError("no such query file", name)
        return with_prefixes(parse_query_file(candidate), project_prefixes(project))
    return find_query(project, name)


EXCERPT_WIDTH = 100


def _excerpt(text: str, line: int | None, column: int | None) -> str:
    """The offending line of the query and a caret under the column the parser stopped at.

    The column is Oxigraph's (1-based; it may sit just past the last character, where the
    parser wanted more, or on the line after a final newline). Tabs count as one column, so
    they are shown as one space; a long line is cut to a window around the column.
    """
    lines = text.splitlines()
    if line is None or column is None or not lines or line < 1:
        return ""
    if line > len(lines):  # the end of the text, after a final newline: point past it
        line, column = len(lines), len(lines[-1]) + 1
    shown = lines[line - 1].replace("\t", " ")
    at = min(max(column - 1, 0), len(shown))
    start = max(0, at - EXCERPT_WIDTH // 2) if len(shown) > EXCERPT_WIDTH else 0
    window = shown[start : start + EXCERPT_WIDTH]
    lead = "…" if start else ""
    return f"\n  {lead}{window}\n  {' ' * (len(lead) + at - start)}^"


def _split(param: str) -> tuple[str, str]:
    key, sep, value = param.partition("=")
    if not sep or not key:
        raise click.UsageError(f"--param {param!r}: expected NAME=VALUE")
    return key.strip(), value


def _data_store(project: Project, files: tuple[str, ...]) -> OxigraphStore:
    """Everything of the project (ontology, shapes, framework catalogues, crosswalks) but
    its example data, and the given files in its place: each parsed once, by Oxigraph."""
    kept = [s for s in project.sources() if not s.label.startswith("data/examples/")]
    return OxigraphStore.from_files([*kept, *(external_source(Path(f)) for f in files)])


def _list(project: Project, fmt: str) -> None:
    queries = named_queries(project)
    if fmt == "json":
        click.echo(json.dumps([q.as_dict() for q in queries.values()], indent=2))
        return
    for query in queries.values():
        params = " ".join(
            f"--param {p.name}=…" + (f" (default {p.default})" if p.default else "")
            for p in query.params
        )
        click.echo(f"{query.id}: {query.summary}" + (f"  [{params}]" if params else ""))
