"""The `stkg` command.

Options come from, in order of precedence: command-line arguments, environment variables
(`STKG_PROJECT`, `STKG_STORE`, `STKG_HOST`, `STKG_PORT`), built-in defaults. Errors a user
can fix are one line on stderr and a non-zero exit code, never a traceback.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import click

from stkg import __version__
from stkg.errors import ProjectError, SourceError, StkgError
from stkg.project import Project, external_source
from stkg.results import GRAPH_FORMATS, SOLUTION_FORMATS, TEXT_FORMATS
from stkg.store import EXPORT_FORMATS, PREFIXES, OxigraphStore
from stkg.summary import summarize


class _Workspace:
    """The project and store a command works on, opened on first use."""

    def __init__(self, project_dir: str | None, store_path: str | None) -> None:
        self.project_dir = project_dir
        self.store_path = store_path
        self._project: Project | None = None
        self._store: OxigraphStore | None = None

    @property
    def project(self) -> Project:
        if self._project is None:
            self._project = Project.find(self.project_dir)
        return self._project

    @property
    def store(self) -> OxigraphStore:
        if self._store is None:
            self._store = self.project.open_store(self.store_path)
        return self._store

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None


class _Group(click.Group):
    """Turns stkg's own errors into click's one-line `Error: …` and exit code 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except StkgError as error:
            raise click.ClickException(str(error)) from None


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="stkg")
@click.option(
    "--project",
    "project_dir",
    envvar="STKG_PROJECT",
    type=click.Path(file_okay=False),
    help="Project folder (ontology/, shapes/, queries/, data/). Default: the current "
    "directory if it is one, else the project bundled with stkg.",
)
@click.option(
    "--store",
    "store_path",
    envvar="STKG_STORE",
    type=click.Path(file_okay=False),
    help="Keep the store on disk in this folder. Default: in memory.",
)
@click.pass_context
def main(ctx: click.Context, project_dir: str | None, store_path: str | None) -> None:
    """stkg: a knowledge graph of AI social-technical systems for AI governance."""
    ctx.obj = _Workspace(project_dir, store_path)
    ctx.call_on_close(ctx.obj.close)


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--graph", help="Named graph for the file (one file only). Default: its file: URI.")
@click.pass_obj
def load(ws: _Workspace, files: tuple[str, ...], graph: str | None) -> None:
    """Load RDF files, each into its own named graph, on top of the project.

    Every file is parsed before anything is written: a file that fails to parse changes
    nothing. Without --store the store lives in memory, so this checks and counts only.
    """
    if graph is not None and len(files) != 1:
        raise click.UsageError("--graph needs exactly one file")
    for name in files:
        if not Path(name).is_file():
            raise SourceError("no such file", name)
    sources = [external_source(Path(name), graph) for name in files]
    store = ws.store
    for report in store.load(sources):
        click.echo(f"{report.label}: {report.triples} triples into <{report.graph}>")
    store.flush()
    counts = summarize(store, ws.project)["counts"]
    click.echo(
        f"store: {counts['triples']} triples, {counts['systems']} systems, "
        f"{counts['frameworks']} frameworks"
    )
    if ws.store_path is None:
        click.echo("(in-memory store: nothing kept; use --store PATH to keep it)", err=True)


QUERY_FORMATS = [*TEXT_FORMATS, *SOLUTION_FORMATS, *GRAPH_FORMATS]
_PREFIX_DECL = re.compile(r"PREFIX\s+([A-Za-z][\w.-]*)?:\s*<([^>]*)>", re.IGNORECASE)


@main.command()
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
def query(ws: _Workspace, name: str | None, sparql: str | None, fmt: str) -> None:
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


@main.command()
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
def export(ws: _Workspace, fmt: str, graph: str | None, output: str | None) -> None:
    """Write the store out. nquads, trig and jsonld keep the named graphs; turtle, nt and
    rdfxml write the union of all graphs (or the one given with --graph)."""
    data = ws.store.export(fmt, graph=graph)
    if output:
        Path(output).write_bytes(data)
    else:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()


@main.command()
@click.option("--host", envvar="STKG_HOST", default="127.0.0.1", show_default=True)
@click.option("--port", envvar="STKG_PORT", default=8000, show_default=True, type=int)
@click.option("--threads", default=4, show_default=True, type=int, help="Worker threads.")
@click.pass_obj
def serve(ws: _Workspace, host: str, port: int, threads: int) -> None:
    """Serve the web app with the waitress WSGI server (never Flask's debug server)."""
    import waitress

    from stkg.web import create_app

    app = create_app(project=ws.project, store=ws.store)
    click.echo(f"stkg {__version__}: serving {ws.project.root} on http://{host}:{port}/")
    waitress.serve(app, host=host, port=port, threads=threads, ident="stkg")
