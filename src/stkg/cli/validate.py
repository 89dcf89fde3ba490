"""`stkg validate`: check data against the governance shapes and report the gaps."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from stkg import progress
from stkg.cli.workspace import Workspace
from stkg.errors import SourceError
from stkg.namespace import STKG_NS
from stkg.project import GRAPH_BASE
from stkg.store import for_reading
from stkg.validate import (
    ENGINES,
    RESULTS_GRAPH,
    SEVERITIES,
    SHAPES_PREFIX,
    UnknownTerm,
    ValidationReport,
    known_terms,
    project_background,
    start_unknown_terms,
    store_results,
    unknown_terms,
    validate_files,
    validate_paths,
)
from stkg.validate import validate as run_validation
from stkg.validate_formats import FORMATS

BAD_INPUT = 2  # exit code for data that cannot be parsed; violations exit with 1
ONTOLOGY_PREFIX = GRAPH_BASE + "ontology/"


class BadInput(click.ClickException):
    exit_code = BAD_INPUT


@click.command()
@click.argument("files", nargs=-1, type=click.Path())
@click.option(
    "--format",
    "fmt",
    type=click.Choice(list(FORMATS)),
    default="text",
    show_default=True,
    help="text is grouped by system; turtle is the standard sh:ValidationReport.",
)
@click.option(
    "--fail-on",
    type=click.Choice([s.lower() for s in SEVERITIES]),
    default="violation",
    show_default=True,
    help="Exit with 1 when a result is at least this severe.",
)
@click.option(
    "--engine",
    type=click.Choice(ENGINES),
    default="sparql",
    show_default=True,
    help="sparql compiles the shapes to SPARQL on the store (a shape it cannot compile "
    "falls back to pySHACL, and the report says which); pyshacl runs pySHACL alone.",
)
@click.option(
    "--store-results",
    "keep_results",
    is_flag=True,
    help=f"Put the sh:ValidationReport into the graph <{RESULTS_GRAPH}> (kept with --store).",
)
@click.pass_obj
def validate(
    ws: Workspace,
    files: tuple[str, ...],
    fmt: str,
    fail_on: str,
    engine: str,
    keep_results: bool,
) -> None:
    """Validate FILES, or the project's data when none is given, against the shapes.

    Files are validated with the project's ontology and framework catalogues as background.
    Exit code: 0 when no result reaches --fail-on (by default Warnings and Infos pass), 1
    when one does, 2 when a file cannot be parsed.
    """
    try:
        with progress.status("Validating"):
            report, unknown = (
                _validate_files(ws, files, engine) if files else _validate_store(ws, engine)
            )
    except SourceError as error:
        raise BadInput(str(error)) from None
    for term in unknown:
        closest = f" (closest known term: {_curie(term.closest)})" if term.closest else ""
        click.echo(f"warning: {term.source}: unknown term {_curie(term.term)}{closest}", err=True)
    if keep_results:
        store_results(ws.store, report)
        ws.store.flush()
    sys.stdout.write(FORMATS[fmt](report))
    if report.fails(fail_on.capitalize()):
        raise SystemExit(1)


def _validate_files(
    ws: Workspace, files: tuple[str, ...], engine: str
) -> tuple[ValidationReport, list[UnknownTerm]]:
    paths = [Path(name) for name in files]
    if engine == "sparql":
        return validate_paths(ws.project, paths, source=", ".join(files))
    report, own = validate_files(ws.project, paths, engine=engine)  # pySHACL reads rdflib
    known = known_terms(project_background(ws.project))
    return report, unknown_terms(own, known, ", ".join(files))


def _validate_store(ws: Workspace, engine: str) -> tuple[ValidationReport, list[UnknownTerm]]:
    """The project's data as loaded in the store (with anything `stkg load` added); its
    unknown terms are found while it is validated."""
    store = for_reading(ws.store)  # on disk: the in-memory copy, much faster to validate
    names = [g for g in store.graph_names() if g != RESULTS_GRAPH]
    labels = {source.graph: source.label for source in ws.project.sources()}
    data = {
        g: labels.get(g, g) for g in names if not g.startswith((ONTOLOGY_PREFIX, SHAPES_PREFIX))
    }
    ontology = [g for g in names if g.startswith(ONTOLOGY_PREFIX)]
    unknown = start_unknown_terms(store, data, ontology)
    return run_validation(store, engine=engine), unknown.result()


def _curie(iri: str) -> str:
    return "stkg:" + iri.removeprefix(STKG_NS) if iri.startswith(STKG_NS) else iri
