"""Inventory import at scale: generated portfolios written as the inventory template, then
imported through the real `stkg import`.

    .venv/bin/python -m bench.inventory --systems 10000,100000

Per size: `stkg generate` writes the portfolio; it is loaded with the framework catalogues and
written as the template (`stkg.inventory.export`, CSV files); then, each in a child process,
`stkg import DIR` into the in-memory store (check, build, write, validation summary), the
same with `--store DIR` (a first import, then the same source again, which replaces the
batch). Wall time and peak RSS (`wait4`) per run, and the split of one import into its steps
(in a child process too, as `stkg import` runs them). One Markdown table on standard output.
`--store-only` runs the two `--store` imports alone (at 100,000 systems, minutes less);
`--memory-only` the split and the in-memory import alone (the targets of issue 15 item 8).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.workers import REPO, STKG

BASE = "https://w3id.org/stkg/example/generated/"
PROJECT_FOLDERS = ("ontology", "shapes", "queries", "data/frameworks", "data/import")


def child(args: list[str], cwd: Path) -> tuple[float, int, str]:
    """Run a command; its wall time, peak RSS in bytes (its own, from wait4) and output."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        process = subprocess.Popen(args, cwd=cwd, stdout=out, stderr=err)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if process.returncode:
            raise SystemExit(f"{' '.join(args)} failed:\n{err.read().decode()[-2000:]}")
        return wall, usage.ru_maxrss * 1024, out.read().decode()


def template_of(size: int, work: Path) -> tuple[Path, dict[str, int]]:
    from stkg.inventory.export import export_rows, write_folder
    from stkg.inventory.mapping import load_mapping
    from stkg.project import Project
    from stkg.rdf_files import Source
    from stkg.store import OxigraphStore

    generated = work / f"portfolio-{size}.nt"
    subprocess.run([*STKG, "generate", "--systems", str(size), "--out", str(generated)],
                   check=True, capture_output=True)  # fmt: skip
    store = OxigraphStore()
    store.load([Source(generated, "urn:generated", generated.name)])
    store.load([s for s in Project(REPO).sources() if s.label.startswith("data/frameworks/")])
    rows = export_rows(store, BASE)
    folder = work / f"inventory-{size}"
    write_folder(rows, folder, load_mapping(REPO / "data" / "import" / "inventory.toml"))
    generated.unlink()
    return folder, {sheet: len(found) for sheet, found in rows.items()}


def steps(project: Path, folder: Path) -> dict[str, float]:
    """One in-memory import split into its steps, as `stkg import` runs them."""
    from stkg.inventory import batches, prepare, systems
    from stkg.inventory.gaps import gaps
    from stkg.inventory.mapping import load_mapping
    from stkg.project import Project

    store = Project(project).open_store()
    mapping = load_mapping(project / "data" / "import" / "inventory.toml")
    times = {}
    start = time.perf_counter()
    batch = prepare([folder], store, mapping, BASE, "bench")
    times["read, check, build"] = time.perf_counter() - start
    imported = systems(batch)
    start = time.perf_counter()
    batches.write(store, batch, "bench")
    times["write"] = time.perf_counter() - start
    start = time.perf_counter()
    gaps(store, imported)
    times["validation summary"] = time.perf_counter() - start
    times["triples"] = batch.triples
    return times


def split_steps(project: Path, folder: Path) -> dict[str, float]:
    """`steps` in a child process of its own, as clean as the `stkg import` runs (this
    process holds the exported portfolio's memory)."""
    code = (
        "import json, sys; from pathlib import Path; from bench.inventory import steps; "
        "print(json.dumps(steps(Path(sys.argv[1]), Path(sys.argv[2]))))"
    )
    _, _, out = child([sys.executable, "-c", code, str(project), str(folder)], REPO)
    return json.loads(out.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--systems", default="10000,100000", help="sizes, comma-separated")
    parser.add_argument(
        "--store-only",
        action="store_true",
        help="only the two `--store` imports (the split and the in-memory import show as -)",
    )
    parser.add_argument(
        "--memory-only",
        action="store_true",
        help="only the split and the in-memory import (the `--store` columns show as -)",
    )
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.systems.split(",")]
    lines = [
        "| systems | rows | triples | read, check, build | write | validation summary "
        "| `stkg import` (memory) | peak RSS | `--store`, first | peak RSS | `--store`, again "
        "| peak RSS |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    with tempfile.TemporaryDirectory(prefix="stkg-bench-inventory-") as tmp:
        work = Path(tmp)
        project = work / "project"
        for folder in PROJECT_FOLDERS:
            shutil.copytree(REPO / folder, project / folder)
        for size in sizes:
            folder, counts = template_of(size, work)
            base = [*STKG, "--project", str(project)]
            if args.store_only:
                split: dict[str, float] = {}
                memory = None
            else:
                split = split_steps(project, folder)
                memory = child([*base, "import", str(folder), "--base", BASE], work)
            store = ["--store", str(work / f"store-{size}")]
            first = again = None
            if not args.memory_only:
                first = child([*base, *store, "import", str(folder), "--base", BASE], work)
                again = child([*base, *store, "import", str(folder), "--base", BASE], work)
            cells = [f"{size:,}", f"{sum(counts.values()):,}"]
            cells += [f"{int(split['triples']):,}"] if split else ["-"]
            for step in ("read, check, build", "write", "validation summary"):
                cells.append(f"{split[step]:.1f} s" if split else "-")
            for run in (memory, first, again):
                cells += [f"{run[0]:.1f} s", f"{run[1] / 2**30:.2f} GiB"] if run else ["-", "-"]
            lines.append("| " + " | ".join(cells) + " |")
            print(lines[-1], file=sys.stderr, flush=True)
            shutil.rmtree(folder)
            shutil.rmtree(work / f"store-{size}", ignore_errors=True)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
