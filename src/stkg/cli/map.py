"""`stkg map`: coverage, consistency checks, inference and SSSOM for framework mappings."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import click

from stkg.cli.workspace import Workspace
from stkg.errors import SourceError
from stkg.mappings.check import check_store
from stkg.mappings.coverage import coverage as compute_coverage
from stkg.mappings.infer import MAX_HOPS_LIMIT, infer_store
from stkg.mappings.model import INFERRED_GRAPH, short_name
from stkg.project import external_source
from stkg.sssom import export_sssom, import_sssom, set_summaries


@click.group(name="map")
def map_group() -> None:
    """Framework mappings (NIST IR 8477): sets, coverage, check, infer, SSSOM export and import."""


@map_group.command()
@click.argument("source")
@click.argument("target")
@click.option(
    "--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table",
    show_default=True,
)  # fmt: skip
@click.option("--infer", "with_chains", is_flag=True, help="Compose chained mappings first.")
@click.pass_obj
def coverage(ws: Workspace, source: str, target: str, fmt: str, with_chains: bool) -> None:
    """Which requirements of TARGET are reached from SOURCE: full, partial, indeterminate, none.

    SOURCE and TARGET are framework IRIs or short names (nist-ai-rmf, iso-iec-42001,
    eu-ai-act). The answer is the named query `mapping-coverage` with both bound.
    """
    store = ws.store
    if with_chains:
        infer_store(store)
    result = compute_coverage(store, source, target)
    if fmt == "json":
        click.echo(json.dumps(result.as_dict(), indent=2, ensure_ascii=False))
        return
    header = ["requirement", "notation", "title", "level", "sources"]
    rows = [
        [r.requirement, r.notation, r.title or "", r.level, " | ".join(r.sources)]
        for r in result.rows
    ]
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerows([header, *rows])
        click.echo(out.getvalue(), nl=False)
        return
    titles = [_clip(r[2]) for r in rows]
    width = max([len("notation"), *(len(r[1]) for r in rows)])
    title_width = max([len("title"), *(len(t) for t in titles)])
    click.echo(f"{'notation'.ljust(width)}  {'title'.ljust(title_width)}  "
               f"{'level'.ljust(13)}  reached from")  # fmt: skip
    for (_, notation, _, level, sources), title in zip(rows, titles, strict=True):
        line = f"{notation.ljust(width)}  {title.ljust(title_width)}  {level.ljust(13)}  {sources}"
        click.echo(line.rstrip())
    counts = ", ".join(f"{n} {level}" for level, n in result.counts().items())
    click.echo(f"{short_name(result.target)} from {short_name(result.source)}: {counts}")


TITLE_SHOWN = 48


def _clip(title: str) -> str:
    """Table titles are cut: NIST subcategory titles are whole sentences (csv/json: in full)."""
    return title if len(title) <= TITLE_SHOWN else title[: TITLE_SHOWN - 1].rstrip() + "…"


@map_group.command()
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@click.pass_obj
def check(ws: Workspace, fmt: str) -> None:
    """Find contradictions, dangling IRIs, missing inverses, subset cycles and unreached
    requirements. Exits with status 1 when there are errors (warnings alone: 0)."""
    findings = check_store(ws.store)
    errors = sum(f.severity == "error" for f in findings)
    if fmt == "json":
        click.echo(json.dumps([f.as_dict() for f in findings], indent=2, ensure_ascii=False))
    else:
        for finding in findings:
            click.echo(f"{finding.severity}: {finding.kind}: {finding.message}")
        click.echo(f"{errors} errors, {len(findings) - errors} warnings")
    if errors:
        raise click.exceptions.Exit(1)


@map_group.command()
@click.option(
    "--max-hops", type=click.IntRange(2, MAX_HOPS_LIMIT), default=2, show_default=True,
    help="Longest chain of asserted mappings to compose.",
)  # fmt: skip
@click.option("--approved-only", is_flag=True, help="Compose only approved mappings.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Also write it as Turtle.")
@click.pass_obj
def infer(ws: Workspace, max_hops: int, approved_only: bool, output: str | None) -> None:
    """Compose chains of mappings into chained mappings, in their own named graph."""
    store = ws.store
    inferred = infer_store(store, max_hops=max_hops, approved_only=approved_only)
    by_relation: dict[str, int] = {}
    for link in inferred:
        by_relation[link.relation.label] = by_relation.get(link.relation.label, 0) + 1
    summary = ", ".join(f"{n} {label}" for label, n in sorted(by_relation.items())) or "none"
    click.echo(f"{len(inferred)} chained mappings into <{INFERRED_GRAPH}>: {summary}")
    if output is not None:
        Path(output).write_bytes(store.export("turtle", graph=INFERRED_GRAPH))
        click.echo(f"written to {output}")
    store.flush()


@map_group.command(name="sets")
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)
@click.pass_obj
def list_sets(ws: Workspace, fmt: str) -> None:
    """List the mapping sets in the store: slug, number of mappings, IRI and title."""
    summaries = set_summaries(ws.store)
    if fmt == "json":
        click.echo(json.dumps([vars(s) for s in summaries], indent=2, ensure_ascii=False))
        return
    width = max([len("slug"), *(len(s.slug or "-") for s in summaries)])
    click.echo(f"{'slug'.ljust(width)}  {'size':>5}  IRI")
    for s in summaries:
        title = f"  {s.title}" if s.title else ""
        click.echo(f"{(s.slug or '-').ljust(width)}  {s.size:>5}  <{s.iri}>{title}")
    click.echo(f"{len(summaries)} mapping sets")


@map_group.command(name="export")
@click.option(
    "--set", "set_iri", required=True,
    help="The mapping set: its slug (see `stkg map sets`) or its IRI.",
)  # fmt: skip
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Default: standard output.")
@click.pass_obj
def export_set(ws: Workspace, set_iri: str, output: str | None) -> None:
    """Write a mapping set as SSSOM TSV."""
    text = export_sssom(ws.store, set_iri)
    if output is None:
        click.echo(text, nl=False)
    else:
        Path(output).write_text(text, encoding="utf-8")


@map_group.command(name="import")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--graph", help="Named graph for the mappings. Default: the file's file: URI.")
@click.pass_obj
def import_set(ws: Workspace, file: str, graph: str | None) -> None:
    """Read an SSSOM TSV file into the store; the whole file is checked first."""
    path = Path(file)
    if not path.is_file():
        raise SourceError("no such file", file)
    source = external_source(path, graph)
    store = ws.store
    mapping_set = import_sssom(store, source.path, source.graph, label=file)
    store.flush()
    click.echo(f"{file}: {len(mapping_set.rows)} mappings of <{mapping_set.iri}> "
               f"into <{source.graph}>")  # fmt: skip
    if ws.store_path is None:
        click.echo("(in-memory store: nothing kept; use --store PATH to keep it)", err=True)
