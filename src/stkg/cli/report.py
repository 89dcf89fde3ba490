"""`stkg report`: gap reports per system and per framework clause."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from stkg.classify import classify, load_rules, rules_folder
from stkg.cli.workspace import Workspace
from stkg.report import GROUPS, report_data
from stkg.report_formats import FORMATS
from stkg.soa import soa_data
from stkg.soa.formats import FORMATS as SOA_FORMATS
from stkg.store import for_reading


@click.command()
@click.option(
    "--by",
    type=click.Choice(GROUPS),
    default="system",
    show_default=True,
    help="system: each system's five elements and what is missing; framework: each "
    "requirement with the systems that fail it, directly or through a crosswalk.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(list(dict.fromkeys([*FORMATS, *SOA_FORMATS]))),
    default="markdown",
    show_default=True,
    help="xlsx: with --soa only.",
)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, writable=True),
    help="Write the report to FILE instead of standard output.",
)
@click.option(
    "--framework",
    metavar="NAME",
    help="With --by framework: only this framework (a short name such as nist-ai-rmf, or its IRI).",
)
@click.option(
    "--soa",
    metavar="FRAMEWORK",
    help="Write the statement of applicability of FRAMEWORK instead (per requirement: "
    "applies or not and why, controls, evidence, failing systems).",
)
@click.option("--kind", help='With --soa: only requirements of this kind (e.g. "control").')
@click.pass_obj
def report(
    ws: Workspace,
    by: str,
    fmt: str,
    output: str | None,
    framework: str | None,
    soa: str | None,
    kind: str | None,
) -> None:
    """Write a gap report of the project's data (and anything `stkg load` added).

    The report is a document, not a check: it exits 0 whatever the gaps (use `stkg validate`
    to fail a build), and 1 on bad input such as an unknown framework.
    """
    store = for_reading(ws.store)  # on disk: the in-memory copy, much faster to read
    if soa is not None:
        _write(SOA_FORMATS[fmt](soa_data(store, soa, kind=kind)), output)
        return
    if kind is not None:
        raise click.UsageError("--kind needs --soa")
    if fmt not in FORMATS:
        raise click.UsageError(f"--format {fmt} needs --soa")
    if framework is not None and by != "framework":
        raise click.UsageError("--framework needs --by framework")
    classifications = None
    if by == "system":
        classifications = classify(store, load_rules(rules_folder(ws.project)))
    data = report_data(store, by=by, framework=framework, classifications=classifications)
    _write(FORMATS[fmt](data), output)


def _write(document: str | bytes, output: str | None) -> None:
    if output is None:
        if isinstance(document, bytes):
            if sys.stdout.isatty():
                raise click.UsageError("an xlsx workbook needs --output FILE on a terminal")
            sys.stdout.buffer.write(document)
        else:
            sys.stdout.write(document)
        return
    if isinstance(document, bytes):
        Path(output).write_bytes(document)
    else:
        Path(output).write_text(document, encoding="utf-8")
    click.echo(f"wrote {output}", err=True)
