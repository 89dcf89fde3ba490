"""The benchmark: stkg against the plain libraries on generated portfolios.

    .venv/bin/python -m bench --sizes 1000,10000,100000
    .venv/bin/python -m bench --quick          # 1,000 systems, fewer runs

For each size it generates a portfolio (`stkg generate`), then measures, each step in its
own process with a time limit: load and every named query (stkg on Oxigraph vs rdflib),
full validation (stkg's engine vs pySHACL), classification (stkg.classify vs owlrl), HTTP
latency and throughput of a named query against the real `stkg serve`, and peak memory.
The table goes to bench/results/<date>-<host>.md; bench/README.md says how to read it.
"""

from __future__ import annotations

import argparse
import datetime
import json
import platform
import shutil
import signal
import statistics
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from bench import report
from bench.workers import (
    REPO,
    STKG,
    Child,
    StepTimeout,
    free_port,
    kill_all,
    peak_rss_mb,
    run_step,
    serve,
    wait_ready,
)
from stkg import progress
from stkg.generate import GENERATED, plan, write

RESULTS = Path(__file__).resolve().parent / "results"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="1000,10000,100000", help="systems, comma-separated")
    parser.add_argument("--quick", action="store_true", help="1,000 systems, 3 runs per query")
    parser.add_argument("--runs", type=int, default=7, help="runs per named query (stkg)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--rdflib-max", type=int, default=1000, help="largest size for rdflib")
    parser.add_argument("--pyshacl-max", type=int, default=10000, help="largest for pySHACL")
    parser.add_argument("--owlrl-max", type=int, default=1000, help="largest size for owlrl")
    parser.add_argument("--query-timeout", type=float, default=60.0, help="s per rdflib query")
    parser.add_argument("--step-timeout", type=float, default=900.0, help="s per stkg step")
    parser.add_argument("--baseline-timeout", type=float, default=300.0, help="s: pySHACL, owlrl")
    parser.add_argument("--requests", type=int, default=2000, help="HTTP requests per size")
    parser.add_argument("--http-seconds", type=float, default=30.0, help="HTTP load time cap")
    parser.add_argument("--clients", type=int, default=8, help="concurrent HTTP clients")
    parser.add_argument("--ready-runs", type=int, default=5, help="starts of stkg serve")
    parser.add_argument("--out", type=Path, help="results file (default bench/results/…)")
    parser.add_argument("--work", type=Path, help="folder for generated data (default: temp)")
    args = parser.parse_args(argv)
    if args.quick:
        args.sizes, args.runs, args.requests = "1000", 3, 500
    args.sizes = [int(s) for s in str(args.sizes).split(",") if s]
    return args


def generate(size: int, seed: int, folder: Path) -> tuple[Path, float]:
    path = folder / f"portfolio-{size}.nt"
    start = time.perf_counter()
    with (
        path.open("w", encoding="utf-8") as out,
        progress.bar(size, f"Generating {size:,}", unit="systems") as shown,
    ):
        write(plan(size, seed), out, "nt", shown.update)
    return path, time.perf_counter() - start


def rdflib_queries(path: Path, system: str, timeout: float) -> list[dict[str, Any]]:
    """rdflib query by query; a query past `timeout` is recorded and the worker restarted."""
    found: list[dict[str, Any]] = []
    skip: list[str] = []
    while True:
        child = Child(
            [
                sys.executable,
                "-m",
                "bench.steps",
                "rdflib-queries",
                str(path),
                system,
                ",".join(skip),
            ]
        )
        current, limit = None, 600.0  # the parse gets its own, longer limit
        try:
            while True:
                line = child.next(limit)
                if line is None and current is not None:  # rdflib failed on this query
                    child.wait()
                    error = child.error_tail(1)
                    found.append({"step": "query", "engine": "rdflib", "query": current,
                                  "error": error})  # fmt: skip
                    skip.append(current)
                    break
                if line is None:
                    return found
                item = report.parse_line(line)
                if item["step"] == "query-start":
                    current, limit = item["query"], timeout
                    continue
                found.append(item)
                if item["step"] == "query":
                    skip.append(item["query"])
                    current = None
        except StepTimeout:
            if current is None:
                found.append({"step": "load", "engine": "rdflib", "timeout": limit})
                return found
            found.append(
                {"step": "query", "engine": "rdflib", "query": current, "timeout": timeout}
            )
            skip.append(current)


def http_load(args: argparse.Namespace, path: Path, size: int, folder: Path) -> dict[str, Any]:
    """`stkg load` into an on-disk store, then `stkg serve` with 2 threads and 2 query
    workers, and a bounded number of named-query requests from a pool of clients."""
    store = folder / f"store-{size}"
    shutil.rmtree(store, ignore_errors=True)
    loader = Child([*STKG, "--store", str(store), "load", str(path)], {"STKG_PROJECT": str(REPO)})
    start = time.perf_counter()
    try:
        while loader.next(args.step_timeout) is not None:
            pass
    except StepTimeout:
        return {"timeout": args.step_timeout, "cli_load_timeout": True}
    loader.wait()
    result: dict[str, Any] = {"cli_load": time.perf_counter() - start}
    port = free_port()
    server = serve(store, port)
    try:
        ready = wait_ready(f"http://127.0.0.1:{port}/queries.json", server, 120)
        if ready is None:
            return {**result, "error": "server did not start"}
        result["ready"] = ready
        systems = [f"{GENERATED}system-{i:06d}" for i in range(1, min(size, 1000) + 1)]
        base = f"http://127.0.0.1:{port}/queries/system-profile.json?system="
        deadline = time.perf_counter() + args.http_seconds

        def one(i: int) -> float | None:
            if time.perf_counter() > deadline:
                return None
            t = time.perf_counter()
            with urllib.request.urlopen(base + systems[i % len(systems)], timeout=30) as answer:
                answer.read()
                if answer.status != 200:
                    raise RuntimeError(f"HTTP {answer.status}")
            return time.perf_counter() - t

        for i in range(20):  # warm the workers
            one(i)
        deadline = time.perf_counter() + args.http_seconds
        start = time.perf_counter()
        with ThreadPoolExecutor(args.clients) as pool:
            latencies = [x for x in pool.map(one, range(args.requests)) if x is not None]
        elapsed = time.perf_counter() - start
        result.update(
            clients=args.clients,
            requests=len(latencies),
            seconds=elapsed,
            throughput=len(latencies) / elapsed,
            p50=statistics.median(latencies),
            p95=report.percentile(latencies, 95),
            server_rss_mb=peak_rss_mb(server.process.pid),
        )
        return result
    finally:
        server.stop()
        shutil.rmtree(store, ignore_errors=True)


def readiness(runs: int) -> list[float]:
    """Seconds from starting `stkg serve` on the example project to its first answer."""
    times = []
    for _ in range(runs):
        port = free_port()
        start = time.perf_counter()
        server = serve(None, port)
        try:
            ready = wait_ready(f"http://127.0.0.1:{port}/", server, 60)
            if ready is not None:
                times.append(time.perf_counter() - start)
        finally:
            server.stop()
    return times


def measure(args: argparse.Namespace, folder: Path) -> dict[str, Any]:
    run: dict[str, Any] = {"sizes": {}, "args": vars(args) | {"out": None, "work": None}}
    steps = len(args.sizes) * 6 + 1
    with progress.bar(steps, "Benchmark", unit="steps") as shown:
        for size in args.sizes:
            found: dict[str, Any] = {"measurements": []}
            run["sizes"][size] = found
            path, found["generate"] = generate(size, args.seed, folder)
            system = f"{GENERATED}system-000001"
            shown.set_postfix_str(f"{size:,}: stkg load and queries")
            items, late = run_step(
                ["stkg-queries", str(path), str(args.runs), system], args.step_timeout
            )
            found["measurements"] += items + report.timeout_marker("stkg-queries", late, args)
            shown.update()
            shown.set_postfix_str(f"{size:,}: stkg validation")
            items, late = run_step(["stkg-validate", str(path), "stkg"], args.step_timeout)
            found["measurements"] += items + report.timeout_marker("validate-stkg", late, args)
            shown.update()
            if size <= args.pyshacl_max:
                shown.set_postfix_str(f"{size:,}: pySHACL")
                items, late = run_step(
                    ["stkg-validate", str(path), "pyshacl"], args.baseline_timeout
                )
                marker = report.timeout_marker("validate-pyshacl", late, args)
                found["measurements"] += items + marker
            shown.update()
            if size <= args.rdflib_max:
                shown.set_postfix_str(f"{size:,}: rdflib queries")
                found["measurements"] += rdflib_queries(path, system, args.query_timeout)
            shown.update()
            if size <= args.owlrl_max:
                for semantics in ("rdfs", "owlrl"):
                    shown.set_postfix_str(f"{size:,}: owlrl {semantics}")
                    items, late = run_step(["owlrl", str(path), semantics], args.baseline_timeout)
                    found["measurements"] += items + report.timeout_marker(
                        f"owlrl-{semantics}", late, args
                    )
            shown.update()
            shown.set_postfix_str(f"{size:,}: HTTP")
            found["http"] = http_load(args, path, size, folder)
            shown.update()
            path.unlink()
        shown.set_postfix_str("serve readiness")
        run["ready"] = readiness(args.ready_runs)
        shown.update()
    return run


def _terminate(signum: int, frame: Any) -> None:
    raise SystemExit(128 + signum)  # unwinds through main(), which kills the children


def main(argv: list[str] | None = None) -> Path:
    args = parse_args(argv)
    host = platform.node() or "host"
    today = datetime.date.today().isoformat()
    out = args.out or RESULTS / f"{today}-{host}.md"
    signal.signal(signal.SIGTERM, _terminate)
    try:
        if args.work:
            args.work.mkdir(parents=True, exist_ok=True)
            run = measure(args, args.work)
        else:
            with tempfile.TemporaryDirectory(prefix="stkg-bench-") as folder:
                run = measure(args, Path(folder))
    finally:
        kill_all()
    run["machine"] = report.machine()
    run["date"] = today
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(report.markdown(run, today), encoding="utf-8")
    out.with_suffix(".json").write_text(json.dumps(run, indent=1), encoding="utf-8")
    print(out)
    return out
