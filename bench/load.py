"""Fair service under load: heavy ad-hoc SPARQL beside pages and named queries.

    .venv/bin/python -m bench.load                      # about 2 minutes
    .venv/bin/python -m bench.load --heavy 8 --seconds 60 --requests 100000

Starts the real `stkg serve` on loopback (the example project, or `--store DIR`), then runs
two bounded phases, each capped in requests and in seconds, and stops by itself:

1. **mixed**: `--heavy` clients send a cross product that runs into the time limit, over and
   over, while `--named` clients ask a cheap named query and `--pages` clients `GET /`.
   Per kind of request: count, answers by status, p50, p95, max.
2. **endurance**: `--requests` cheap requests (named query and start page, alternately)
   from `--named + --pages` clients, the server's resident memory sampled ten times.

One Markdown table per phase on standard output (`--json FILE` keeps the raw numbers);
"503 busy" is a refusal at admission (with `Retry-After`), "503" a query stopped at the
time limit.
Clients and server share the machine: latencies include the clients' own share of it.
"""

from __future__ import annotations

import argparse
import http.client
import json
import statistics
import sys
import threading
import time
import urllib.parse
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.report import percentile
from bench.workers import REPO, STKG, Child, free_port, kill_all, wait_ready

HEAVY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
SYSTEM = "https://w3id.org/stkg/example/acme/LoanApproval"
NAMED = "/queries/system-profile.json?system=" + urllib.parse.quote(SYSTEM, safe="")
PATHS = {
    "heavy": "/sparql?query=" + urllib.parse.quote(HEAVY, safe=""),
    "named": NAMED,
    "page": "/",
}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.load", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--heavy", type=int, default=8, help="clients sending time-limit queries")
    parser.add_argument("--named", type=int, default=4, help="clients asking a cheap named query")
    parser.add_argument("--pages", type=int, default=4, help="clients asking GET /")
    parser.add_argument("--seconds", type=float, default=60.0, help="cap of the mixed phase, s")
    parser.add_argument("--mixed-requests", type=int, default=20_000, help="cap of the mixed phase")
    parser.add_argument("--requests", type=int, default=20_000, help="endurance phase requests")
    parser.add_argument("--endurance-seconds", type=float, default=180.0, help="its cap, s")
    parser.add_argument("--query-timeout", type=float, default=10.0, help="the server's limit, s")
    parser.add_argument("--query-workers", type=int, default=2, help="ad-hoc workers")
    parser.add_argument("--threads", type=int, default=4, help="server threads for pages")
    parser.add_argument(
        "--heavy-backoff", type=float, default=1.0, help="s a heavy client waits after a 503"
    )
    parser.add_argument("--store", type=Path, help="an on-disk store to serve (stkg --store)")
    parser.add_argument("--json", type=Path, help="write the raw numbers here")
    return parser.parse_args(argv)


@dataclass
class Tally:
    """What one kind of request got: latencies in seconds and answers by status."""

    latencies: list[float] = field(default_factory=list)
    statuses: Counter[str] = field(default_factory=Counter)


class Load:
    """Clients against one server, stopping at a request count or a deadline."""

    def __init__(self, port: int, budget: int, seconds: float, timeout: float) -> None:
        self.port = port
        self.budget = budget
        self.deadline = time.monotonic() + seconds
        self.timeout = timeout
        self.sent = 0
        self.lock = threading.Lock()
        self.tallies: dict[str, Tally] = {}

    def _take(self) -> bool:
        with self.lock:
            if self.sent >= self.budget or time.monotonic() > self.deadline:
                return False
            self.sent += 1
            return True

    def _connect(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)

    def client(self, kinds: list[str], backoff: float = 0.0) -> None:
        connection = self._connect()
        turn = 0
        while self._take():
            kind = kinds[turn % len(kinds)]
            turn += 1
            start = time.perf_counter()
            try:
                connection.request("GET", PATHS[kind])
                answer = connection.getresponse()
                answer.read()
                status = str(answer.status)
                if answer.getheader("Retry-After"):  # refused at admission, not timed out
                    status += " busy"
            except (OSError, http.client.HTTPException) as error:
                status = type(error).__name__
                connection.close()
                connection = self._connect()
            elapsed = time.perf_counter() - start
            with self.lock:
                tally = self.tallies.setdefault(kind, Tally())
                tally.latencies.append(elapsed)
                tally.statuses[status] += 1
            if status.startswith("503") and backoff:
                time.sleep(min(backoff, max(0.0, self.deadline - time.monotonic())))
        connection.close()

    def run(self, groups: list[tuple[int, list[str], float]]) -> float:
        threads = [
            threading.Thread(target=self.client, args=(kinds, backoff), daemon=True)
            for count, kinds, backoff in groups
            for _ in range(count)
        ]
        start = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(max(1.0, self.deadline - time.monotonic() + self.timeout + 5))
        return time.perf_counter() - start


def rss_mb(pid: int) -> float | None:
    """The resident memory of a running process (Linux VmRSS), MiB."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def summary(tallies: dict[str, Tally]) -> list[dict[str, Any]]:
    rows = []
    for kind in ("heavy", "named", "page"):
        tally = tallies.get(kind)
        if tally is None or not tally.latencies:
            continue
        rows.append(
            {
                "kind": kind,
                "path": PATHS[kind].split("?")[0],
                "requests": len(tally.latencies),
                "statuses": dict(sorted(tally.statuses.items())),
                "p50": statistics.median(tally.latencies),
                "p95": percentile(tally.latencies, 95),
                "max": max(tally.latencies),
            }
        )
    return rows


def table(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| request | path | requests | answers | p50 | p95 | max |",
        "|---|---|---:|---|---:|---:|---:|",
    ]
    for row in rows:
        answers = ", ".join(f"{status}: {n}" for status, n in row["statuses"].items())
        lines.append(
            f"| {row['kind']} | `{row['path']}` | {row['requests']:,} | {answers} | "
            f"{row['p50'] * 1000:,.0f} ms | {row['p95'] * 1000:,.0f} ms | "
            f"{row['max'] * 1000:,.0f} ms |"
        )
    return "\n".join(lines)


def serve(args: argparse.Namespace, port: int) -> Child:
    command = [*STKG] + (["--store", str(args.store)] if args.store else [])
    command += ["serve", "--host", "127.0.0.1", "--port", str(port)]
    command += ["--threads", str(args.threads), "--query-workers", str(args.query_workers)]
    command += ["--query-timeout", str(args.query_timeout)]
    return Child(command, env={"STKG_PROJECT": str(REPO)})


def mixed(args: argparse.Namespace, port: int) -> dict[str, Any]:
    load = Load(port, args.mixed_requests, args.seconds, args.query_timeout * 3 + 10)
    seconds = load.run(
        [
            (args.heavy, ["heavy"], args.heavy_backoff),
            (args.named, ["named"], 0.0),
            (args.pages, ["page"], 0.0),
        ]
    )
    return {"seconds": seconds, "rows": summary(load.tallies)}


def endurance(args: argparse.Namespace, port: int, pid: int) -> dict[str, Any]:
    samples: list[tuple[int, float | None]] = [(0, rss_mb(pid))]
    load = Load(port, args.requests, args.endurance_seconds, 30.0)
    done = threading.Event()

    def sample() -> None:
        step = max(1, args.requests // 10)
        mark = step
        while not done.wait(0.05):
            if load.sent >= mark:
                samples.append((load.sent, rss_mb(pid)))
                mark += step

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    clients = max(1, args.named + args.pages)
    seconds = load.run([(clients, ["named", "page"], 0.0)])
    done.set()
    sampler.join()
    samples.append((load.sent, rss_mb(pid)))
    return {"seconds": seconds, "rows": summary(load.tallies), "rss": samples}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv)
    port = free_port()
    server = serve(args, port)
    try:
        started = wait_ready(f"http://127.0.0.1:{port}{NAMED}", server, 120)
        if started is None:
            raise SystemExit(f"stkg serve did not start:\n{server.error_tail()}")
        time.sleep(2)  # the named pool and the explorer's caches are built at start-up
        for path in (NAMED, "/"):  # warm
            wait_ready(f"http://127.0.0.1:{port}{path}", server, 60)
        run: dict[str, Any] = {"args": {k: str(v) for k, v in vars(args).items()}}
        run["mixed"] = mixed(args, port)
        run["endurance"] = endurance(args, port, server.process.pid)
    finally:
        server.stop()
        kill_all()
    print(
        f"## Mixed load: {args.heavy} clients sending queries past the "
        f"{args.query_timeout:g} s limit, {args.named} a named query, {args.pages} GET / "
        f"({run['mixed']['seconds']:.0f} s)\n"
    )
    print(table(run["mixed"]["rows"]) + "\n")
    done = run["endurance"]
    sent = sum(row["requests"] for row in done["rows"])
    print(f"## Endurance: {sent:,} cheap requests in {done['seconds']:.0f} s\n")
    print(table(done["rows"]) + "\n")
    print("| requests | server RSS |\n|---:|---:|")
    for count, rss in done["rss"]:
        print(f"| {count:,} | {'?' if rss is None else f'{rss:.0f} MiB'} |")
    if args.json:
        args.json.write_text(json.dumps(run, indent=1), encoding="utf-8")
    return run


if __name__ == "__main__":
    main(sys.argv[1:])
