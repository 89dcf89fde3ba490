"""`stkg generate`: write a deterministic synthetic portfolio for benchmarks and tests."""

from __future__ import annotations

from pathlib import Path

import click

from stkg import progress
from stkg.errors import SourceError
from stkg.generate import FORMATS, plan, write


@click.command()
@click.option("--systems", type=click.IntRange(min=1), required=True, help="Number of systems.")
@click.option("--seed", type=int, default=0, show_default=True, help="Random seed.")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, writable=True),
    required=True,
    help="File to write: .nt (N-Triples, fastest to load) or .ttl (Turtle).",
)
def generate(systems: int, seed: int, out: str) -> None:
    """Write a synthetic portfolio of SYSTEMS social-technical systems.

    The same --systems and --seed give a byte-identical file. Systems share people and
    teams, mix impact levels, lifecycle stages and EU AI Act contexts, and lack known facts
    in known shares: the file's header lists them and the validation results to expect.
    """
    path = Path(out)
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise SourceError(f"unknown extension {path.suffix!r} (use .nt or .ttl)", out)
    portfolio = plan(systems, seed)
    with (
        path.open("w", encoding="utf-8", newline="\n") as stream,
        progress.bar(systems, "Generating", unit="systems") as shown,
    ):
        triples = write(portfolio, stream, fmt, shown.update)
    gaps = sum(portfolio.gap_counts().values())
    click.echo(f"{out}: {systems} systems ({gaps} with a gap), {triples} triples")
