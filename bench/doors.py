"""The doors users take, timed as they call them: subprocesses, wall time and peak RSS.

`stkg validate FILE --format json`, `stkg --store DIR validate --format json` and, in the
same run on the same shapes and data, Apache Jena's `shacl validate` (Debian
libapache-jena-java; cold JVM, parse included) as the anchor, and pySHACL's `pyshacl`
command up to 1,000 systems (`--pyshacl-max`); with `--pyshacl-limit SECONDS` a pySHACL run
still going after that long is stopped and its row is a lower bound (`> SECONDS`):

    python -m bench.doors --systems 1000,10000
    python -m bench.doors --systems 10000 --pyshacl-max 10000 --pyshacl-limit 420

Jena reads the data (the generated portfolio with the ontology and catalogues, one N-Triples
file) and the shapes (one Turtle file). stkg on a file validates the same data; on `--store`
the project's example data is in the store too, so its count is Jena's plus the examples'.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

# one SLF4J binding (nop): with several, SLF4J warns on every start
JARS = [
    "jena-shacl", "jena-arq", "jena-core", "jena-base", "jena-iri", "jena-cmds", "jena-shex",
    "slf4j-api", "slf4j-nop", "commons-lang3", "commons-io", "commons-codec", "commons-compress",
    "commons-cli", "commons-csv", "dexx.collection", "gson", "jackson-core", "jackson-databind",
    "jackson-annotations", "jsonld-java", "titanium-json-ld", "httpclient", "httpcore",
    "protobuf", "thrift", "guava", "failureaccess",
]  # fmt: skip
SH_RESULT = "http://www.w3.org/ns/shacl#ValidationResult"


@dataclass(frozen=True)
class Timing:
    door: str
    systems: int
    seconds: float
    peak_mib: float
    results: int
    stopped: bool = False  # stopped at its time limit: `seconds` is a lower bound


def jena_classpath(work: Path, java: Path = Path("/usr/share/java")) -> str:
    """Debian's Jena jars, and jena-core's xerces message bundles under `xerces/` (Debian's
    jena-core looks them up there; without them the JVM fails in JenaSystem.init)."""
    bundles = work / "jena-xerces"
    if not (bundles / "xerces").is_dir():
        with zipfile.ZipFile(java / "jena-core.jar") as jar:
            for name in jar.namelist():
                if name.startswith("org/apache/jena/ext/xerces/") and name.endswith(".properties"):
                    target = bundles / "xerces" / name.removeprefix("org/apache/jena/ext/xerces/")
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_bytes(jar.read(name))
    return ":".join([*(str(java / f"{jar}.jar") for jar in JARS), str(bundles)])


def timed(command: list[str], out: Path, limit: float | None = None) -> tuple[float, float] | None:
    """Run a command with /usr/bin/time: (wall seconds, peak RSS in MiB), or None when it was
    still running after `limit` seconds (it is then stopped, with its children)."""
    measure = out.with_suffix(".time")
    with out.open("wb") as stdout:
        process = subprocess.Popen(
            ["/usr/bin/time", "-f", "%e %M", "-o", str(measure), *command],
            stdout=stdout,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # its own process group, so a stop reaches the command too
        )
        try:
            process.wait(timeout=limit)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            return None
    seconds, kib = measure.read_text().split()[-2:]
    return float(seconds), int(kib) / 1024


def stkg_count(output: Path) -> int:
    return len(json.loads(output.read_text(encoding="utf-8"))["results"])


def report_count(output: Path) -> int:
    """Results in a Turtle sh:ValidationReport (Jena's output)."""
    quads = ox.parse(path=output, format=ox.RdfFormat.TURTLE)
    return sum(1 for q in quads if q.object == ox.NamedNode(SH_RESULT))


def prepare(systems: int, work: Path, stkg: list[str], project: Path) -> dict[str, Path]:
    """The generated portfolio, Jena's data and shapes files, and a loaded store."""
    from stkg.project import Project
    from stkg.validate import BACKGROUND_FOLDERS

    gen = work / f"gen{systems}.nt"
    subprocess.run([*stkg, "generate", "--systems", str(systems), "--seed", "13",
                    "--out", str(gen)], check=True, capture_output=True)  # fmt: skip
    sources = Project(project).sources()
    data, shapes = ox.Store(), ox.Store()
    for source in sources:
        if source.label.startswith(BACKGROUND_FOLDERS):
            data.load(path=source.path, format=_format(source.path))
        elif source.label.startswith("shapes/"):
            shapes.load(path=source.path, format=_format(source.path))
    data.load(path=gen, format=ox.RdfFormat.N_TRIPLES)
    jena_data, jena_shapes = work / f"jena-data{systems}.nt", work / "jena-shapes.ttl"
    data.dump(jena_data, format=ox.RdfFormat.N_TRIPLES, from_graph=ox.DefaultGraph())
    shapes.dump(jena_shapes, format=ox.RdfFormat.TURTLE, from_graph=ox.DefaultGraph())
    store = work / f"store{systems}"
    shutil.rmtree(store, ignore_errors=True)
    subprocess.run([*stkg, "--project", str(project), "--store", str(store), "load", str(gen)],
                   check=True, capture_output=True)  # fmt: skip
    return {"gen": gen, "data": jena_data, "shapes": jena_shapes, "store": store}


def _format(path: Path) -> ox.RdfFormat:
    from stkg.rdf_files import rdf_format

    return rdf_format(path)


def run(
    sizes: list[int],
    work: Path,
    project: Path,
    pyshacl_max: int = 1000,
    pyshacl_limit: float | None = None,
) -> list[Timing]:
    """Time every door at every size; pySHACL only up to `pyshacl_max` systems (minutes at
    1,000, hours at 10,000) and stopped after `pyshacl_limit` seconds if given."""
    stkg = [str(Path(sys.executable).parent / "stkg")]  # the console script, as users call it
    classpath = jena_classpath(work)
    timings = []
    for systems in sizes:
        files = prepare(systems, work, stkg, project)
        validate = [*stkg, "--project", str(project)]
        jena = ["java", "-cp", classpath, "shacl.shacl", "validate"]
        doors = {
            "stkg validate FILE": (
                [*validate, "validate", str(files["gen"]), "--format", "json"],
                stkg_count,
            ),
            "stkg --store DIR validate": (
                [*validate, "--store", str(files["store"]), "validate", "--format", "json"],
                stkg_count,
            ),
            "Jena shacl validate": (
                [*jena, "--shapes", str(files["shapes"]), "--data", str(files["data"])],
                report_count,
            ),
        }
        if systems <= pyshacl_max:  # its command, as users call it: advanced for SPARQL targets
            doors["pySHACL pyshacl"] = (
                [str(Path(sys.executable).parent / "pyshacl"), "-s", str(files["shapes"]),
                 "-a", "-i", "none", "-f", "turtle", str(files["data"])],
                report_count,
            )  # fmt: skip
        for door, (command, count) in doors.items():
            out = work / f"{door.replace(' ', '_').replace('/', '')}-{systems}.out"
            limit = pyshacl_limit if door.startswith("pySHACL") else None
            measured = timed(command, out, limit)
            if measured is None:
                timings.append(Timing(door, systems, float(limit or 0), 0.0, 0, stopped=True))
            else:
                timings.append(Timing(door, systems, *measured, count(out)))
    return timings


def table(timings: list[Timing], anchor: str = "Jena shacl validate") -> str:
    """A Markdown table: each door's time, peak RSS and result count, and its speed-up over
    the anchor at the same size (anchor time / door time)."""
    anchors = {t.systems: t for t in timings if t.door == anchor}
    lines = [
        "| systems | door | wall s | peak RSS MiB | results | vs Jena |",
        "|---:|---|---:|---:|---:|---:|",
    ]
    for t in sorted(timings, key=lambda t: (t.systems, t.door != anchor, t.door)):
        base = anchors.get(t.systems)
        ratio = f"{base.seconds / t.seconds:.2f}x" if base and t.seconds else "-"
        if t.stopped:  # slower than this: the anchor's ratio over it is at most this
            lines.append(f"| {t.systems:,} | {t.door} | > {t.seconds:.0f} (stopped) | - | - | "
                         f"{'< ' + ratio if base else '-'} |")  # fmt: skip
            continue
        lines.append(
            f"| {t.systems:,} | {t.door} | {t.seconds:.1f} | {t.peak_mib:,.0f} | "
            f"{t.results:,} | {ratio} |"
        )
    lines += [
        f"\n{t.systems:,} systems: {door.door} is at least {t.seconds / door.seconds:.0f}x "
        f"faster than {t.door} (stopped after {t.seconds:.0f} s)."
        for t in timings
        if t.stopped
        for door in timings
        if door.systems == t.systems and door.door.startswith("stkg") and not door.stopped
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--systems", default="1000,10000")
    parser.add_argument("--work", type=Path, default=None)
    parser.add_argument("--pyshacl-max", type=int, default=1000, help="largest size for pySHACL")
    parser.add_argument(
        "--pyshacl-limit", type=float, default=None, help="stop pySHACL after this many seconds"
    )
    parser.add_argument("--project", type=Path, default=Path(__file__).resolve().parents[1])
    args = parser.parse_args(argv)
    work = args.work or Path(tempfile.mkdtemp(prefix="stkg-doors-"))
    work.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("PYTHONPATH", str(args.project / "src"))
    sizes = [int(s) for s in args.systems.split(",")]
    sys.stdout.write(table(run(sizes, work, args.project, args.pyshacl_max, args.pyshacl_limit)))


if __name__ == "__main__":
    main()
