"""`stkg report`: gap reports per system and per framework clause."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from stkg.classify import classify, load_rules, rules_folder
from stkg.cli.workspace import Workspace
from stkg.report import GROUPS, report_data
from stkg.report_formats import FORMATS


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
    "--format", "fmt", type=click.Choice(list(FORMATS)), default="markdown", show_default=True
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
@click.pass_obj
def report(ws: Workspace, by: str, fmt: str, output: str | None, framework: str | None) -> None:
    """Write a gap report of the project's data (and anything `stkg load` added).

    The report is a document, not a check: it exits 0 whatever the gaps (use `stkg validate`
    to fail a build), and 1 on bad input such as an unknown framework.
    """
    if framework is not None and by != "framework":
        raise click.UsageError("--framework needs --by framework")
    classifications = None
    if by == "system":
        classifications = classify(ws.store, load_rules(rules_folder(ws.project)))
    data = report_data(ws.store, by=by, framework=framework, classifications=classifications)
    text = FORMATS[fmt](data)
    if output is None:
        sys.stdout.write(text)
        return
    Path(output).write_text(text, encoding="utf-8")
    click.echo(f"wrote {output}", err=True)
