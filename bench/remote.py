"""The remote store beside the embedded one: load, validation and the named queries.

    .venv/bin/python -m bench.remote --sizes 1000,10000

For each size it generates a portfolio (`stkg generate`), then loads the project and the
portfolio into an in-memory embedded store and into a private Virtuoso on loopback
(tests/virtuoso.py; Debian's virtuoso-opensource-7-bin), and times, on each: the load, a full
validation (the compiled SHACL queries, on the server for Virtuoso) and every named query
(the example system for parameters). It checks that both give the same numbers of results
and rows, and prints one Markdown table (`--output FILE` keeps it). One run per step: the
numbers say where the time goes, not a median.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.workers import REPO
from stkg.generate import plan, write
from stkg.project import Project
from stkg.queries import named_queries
from stkg.rdf_files import Source
from stkg.store import OxigraphStore, Store, open_store
from stkg.validate import validate

SYSTEM = "https://w3id.org/stkg/example/acme/LoanApproval"


def timed(step: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    value = step()
    return time.perf_counter() - start, value


def measure(store: Store, project: Project, portfolio: Path) -> dict[str, Any]:
    numbers: dict[str, Any] = {}
    source = Source(portfolio, "https://w3id.org/stkg/graph/bench/portfolio", portfolio.name)
    numbers["load"], _ = timed(lambda: (project.load_into(store), store.load([source])))
    numbers["validate"], report = timed(lambda: validate(store))
    numbers["results"] = len(report.results)
    for name, query in named_queries(project).items():
        names = {p.name for p in query.params}
        bindings = query.bindings({"system": SYSTEM} if "system" in names else {})
        seconds, result = timed(lambda q=query, b=bindings: store.query(q.sparql, bindings=b))
        numbers[f"query {name}"] = (seconds, len(result))
    return numbers


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.remote", description=__doc__)
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--output", type=Path)
    args = parser.parse_args(argv)
    sys.path.insert(0, str(REPO / "tests"))
    import virtuoso

    project = Project(REPO)
    lines = [
        "| systems | step | embedded (s) | Virtuoso (s) | same answer |",
        "|---|---|---|---|---|",
    ]
    with tempfile.TemporaryDirectory(prefix="stkg-bench-remote-") as tmp:
        for size in [int(s) for s in args.sizes.split(",")]:
            portfolio = Path(tmp) / f"portfolio-{size}.nt"
            with portfolio.open("w", encoding="utf-8") as out:
                write(plan(size, args.seed), out, "nt", lambda n: None)
            local = measure(OxigraphStore(), project, portfolio)
            with virtuoso.running() as instance:
                store = open_store(
                    instance.url,
                    update_url=instance.update_url,
                    user="dba",
                    password=instance.password,
                )
                remote = measure(store, project, portfolio)
            for step, here in local.items():
                there = remote[step]
                if step == "results":
                    continue
                if isinstance(here, tuple):
                    same = "yes" if here[1] == there[1] else f"no ({here[1]} vs {there[1]} rows)"
                    here, there = here[0], there[0]
                else:
                    same = "yes" if step != "validate" else _same(local, remote)
                lines.append(f"| {size:,} | {step} | {here:.3f} | {there:.3f} | {same} |")
            print("\n".join(lines[-len(local) + 1 :]), flush=True)
    table = "\n".join(lines) + "\n"
    if args.output:
        args.output.write_text(table, encoding="utf-8")
    print(table)
    return 0


def _same(local: dict[str, Any], remote: dict[str, Any]) -> str:
    if local["results"] == remote["results"]:
        return f"yes ({local['results']:,} results)"
    return f"no ({local['results']} vs {remote['results']} results)"


if __name__ == "__main__":
    sys.exit(main())
