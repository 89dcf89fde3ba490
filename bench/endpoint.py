"""The endpoint as users call it: named queries POSTed to `/sparql` and pages over HTTP on
the real `stkg --store DIR serve`, beside the same queries in process in the same run.

    .venv/bin/python -m bench.endpoint --systems 1000,10000
    flock /work/wt/heavy.lock nice -n 10 .venv/bin/python -m bench.endpoint --systems 100000

For each size: `stkg generate --systems N --seed 13`, `stkg --store DIR load` (both kept in
`--work` and reused when there), then, in a child process, every named query `--runs` times
on the store's in-memory copy (`stkg.store.for_reading`, what the server's workers read): the
anchor. Then `stkg --store DIR serve` on a free loopback port; once every page answers
without the still-computing notice and the ad-hoc query workers had time to copy the store
into memory (`ASK {}` starts them; then two seconds per thousand systems, at least five:
100 s was too short at 100,000), each named query is POSTed to `/sparql` with its default
parameters (bound as the first element of its WHERE group, as the remote store sends them):
the very first call, `--runs` cold calls (the text made unique by a trailing comment, so the
endpoint's answer cache cannot serve it) and `--runs` repeated calls of one text (served from
that cache). Pages: the first answer after the port opened (and whether it carried the
still-computing notice), then `--runs` requests once complete.

`--gate` times only the query gate in this process, on every case's text made new each
run: `stkg.sandbox.check_query` (the token proof first) against `check_query_parsed`
(rdflib's parse, the gate before the proof), and whether the proof decided.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from bench.report import percentile
from bench.workers import REPO, STKG, free_port, kill_all, peak_rss_mb, serve, wait_ready

FIRST_SYSTEM = "https://w3id.org/stkg/example/generated/system-000001"
PAGES = (
    "/",
    "/gaps",
    "/systems",
    f"/system?iri={urllib.parse.quote(FIRST_SYSTEM, safe='')}",
    "/frameworks/nist-ai-rmf",
)
COMPUTING = "X-STKG-Computing"
SLACK = 0.020  # seconds: the target is endpoint p50 <= 2 x in process + 20 ms
BUDGET = 0.200  # seconds: every named query p50 at 100k


@dataclass(frozen=True)
class QueryTiming:
    """One named query at one size: seconds in process and through /sparql."""

    systems: int
    query: str
    rows: int  # in process (all of them)
    sent: int  # through /sparql (the endpoint's row cap applies)
    in_process: list[float]
    first: float
    cold: list[float]
    cached: list[float]
    portfolio: bool  # not bound to one system


@dataclass(frozen=True)
class PageTiming:
    systems: int
    page: str
    status: int
    first: float
    first_computing: bool
    complete_after: float  # seconds from the port opening until no notice
    times: list[float]


def cases(system: str = FIRST_SYSTEM) -> dict[str, tuple[str, dict[str, str]]]:
    """Per label, a named query and the values a user gives: none (the defaults apply), so a
    query with an optional `system` runs portfolio-wide; and one system, as the explorer
    asks it, for every query with a `system` parameter (labelled "NAME (one system)" where
    the parameter is optional)."""
    from stkg.project import Project
    from stkg.queries import named_queries

    found: dict[str, tuple[str, dict[str, str]]] = {}
    for name, query in named_queries(Project(REPO)).items():
        param = next((p for p in query.params if p.name == "system"), None)
        if param is None or not param.required:
            found[name] = (name, {})
        if param is not None:
            found[name if param.required else f"{name} (one system)"] = (name, {"system": system})
    return found


def bound_text(name: str, values: dict[str, str]) -> tuple[str, bool]:
    """The query's text with its parameters bound (defaults included) as the first element
    of its WHERE group, and whether it is portfolio-wide (no system bound)."""
    from stkg.project import Project
    from stkg.queries import find_query, project_prefixes, with_prefixes
    from stkg.store.remote_wire import bind_values, values_clause

    project = Project(REPO)
    query = with_prefixes(find_query(project, name), project_prefixes(project))
    bindings = query.bindings(values)
    text = bind_values(query.sparql, values_clause(bindings)) if bindings else query.sparql
    return text, "system" not in bindings


def in_process(store_dir: Path, runs: int) -> None:
    """A child step: every named query `runs` times on the store's in-memory copy, one JSON
    line each: {"query", "times", "rows"}."""
    from stkg.project import Project
    from stkg.queries import find_query
    from stkg.store import for_reading

    project = Project(REPO)
    store = project.open_store(str(store_dir))
    reading = for_reading(store)
    for label, (name, values) in cases().items():
        query = find_query(project, name)
        bindings = query.bindings(values)
        times, rows = [], 0
        for _ in range(runs):
            start = time.perf_counter()
            rows = len(reading.query(query.sparql, bindings=bindings).rows)
            times.append(time.perf_counter() - start)
        print(json.dumps({"query": label, "times": times, "rows": rows}), flush=True)
    store.close()


def gate_table(runs: int) -> str:
    """Per case: the full parse's p50 and the gate's p50 in ms on new texts, their ratio."""
    from stkg.query_proof import plain_query
    from stkg.sandbox import check_query, check_query_parsed

    check_query_parsed("ASK {}", None)  # rdflib's grammar loads once, as in a worker
    lines = [
        "| query | token proof | full parse p50 | gate p50 | full / gate |",
        "|---|---|---:|---:|---:|",
    ]
    for label, (name, values) in cases().items():
        text, _ = bound_text(name, values)
        timed = {}
        for check in (check_query_parsed, check_query):
            times = []
            for i in range(runs):
                start = time.perf_counter()
                check(f"{text}\n# new {i}", None)
                times.append(time.perf_counter() - start)
            timed[check] = statistics.median(times) * 1000
        full, gate = timed[check_query_parsed], timed[check_query]
        proof = "yes" if plain_query(text) else "no"
        lines.append(f"| {label} | {proof} | {full:.1f} | {gate:.2f} | {full / gate:.0f}x |")
    return "\n".join(lines) + "\n"


def post(url: str, text: str) -> tuple[float, int]:
    """Seconds for one POST of `text` to `/sparql` (answer read), and the rows sent (minus
    the HTTP status when the endpoint answers with an error)."""
    body = urllib.parse.urlencode({"query": text}).encode()
    request = urllib.request.Request(
        url, body, {"Accept": "application/sparql-results+json"}, method="POST"
    )
    start = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=600) as answer:
            data = answer.read()
    except urllib.error.HTTPError as error:  # over the time limit (503), refused (4xx)
        error.read()
        return time.perf_counter() - start, -error.code
    took = time.perf_counter() - start
    document = json.loads(data)
    return took, len(document["results"]["bindings"]) if "results" in document else 1


def get(url: str) -> tuple[float, int, bool]:
    start = time.perf_counter()
    with urllib.request.urlopen(url, timeout=600) as answer:
        answer.read()
        return time.perf_counter() - start, answer.status, COMPUTING in answer.headers


def prepare(systems: int, work: Path) -> Path:
    """The generated portfolio in an on-disk store with the project (reused if there)."""
    gen, store = work / f"gen{systems}.nt", work / f"store{systems}"
    if not gen.exists():
        subprocess.run([*STKG, "generate", "--systems", str(systems), "--seed", "13",
                        "--out", str(gen)], check=True, capture_output=True)  # fmt: skip
    if not store.exists():
        subprocess.run([*STKG, "--project", str(REPO), "--store", str(store), "load", str(gen)],
                       check=True, capture_output=True)  # fmt: skip
    return store


def measure(systems: int, store: Path, runs: int) -> tuple[list[QueryTiming], list[PageTiming]]:
    anchor = subprocess.run(
        [sys.executable, "-m", "bench.endpoint", "--in-process", str(store), "--runs", str(runs)],
        check=True, capture_output=True, text=True, cwd=REPO,
    )  # fmt: skip
    local = {item["query"]: item for item in map(json.loads, anchor.stdout.splitlines())}
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = serve(store, port)
    try:
        if wait_ready(f"{base}/queries.json", server, 600) is None:
            raise RuntimeError(f"stkg serve did not start: {server.error_tail()}")
        opened = time.perf_counter()
        pages = _pages(systems, base, opened, runs)
        post(f"{base}/sparql", "ASK {}")  # starts the ad-hoc workers, which then copy the
        time.sleep(max(5.0, systems / 500))  # snapshot into memory (4.6 s at 10,000)
        queries = [
            _query(systems, label, name, values, f"{base}/sparql", local[label], runs)
            for label, (name, values) in cases().items()
        ]
        rss = peak_rss_mb(server.process.pid)
        print(f"# {systems:,}: server peak RSS {rss or 0:,.0f} MiB", file=sys.stderr)
    finally:
        server.stop()
    return queries, pages


def _pages(systems: int, base: str, opened: float, runs: int) -> list[PageTiming]:
    first = {page: get(base + page) for page in PAGES}
    done: dict[str, float] = {}
    while len(done) < len(PAGES):
        for page in PAGES:
            if page not in done and not get(base + page)[2]:
                done[page] = time.perf_counter() - opened
        time.sleep(0.05)
    return [
        PageTiming(systems, page, first[page][1], first[page][0], first[page][2], done[page],
                   [get(base + page)[0] for _ in range(runs)])
        for page in PAGES
    ]  # fmt: skip


def _query(
    systems: int, label: str, name: str, values: dict[str, str], url: str, local: dict, runs: int
) -> QueryTiming:
    text, portfolio = bound_text(name, values)
    first, sent = post(url, text)
    cold = [post(url, f"{text}\n# cold {i}")[0] for i in range(runs)]
    cached = [post(url, text)[0] for _ in range(runs)]
    return QueryTiming(
        systems, label, local["rows"], sent, local["times"], first, cold, cached, portfolio
    )


def _sent(rows: int) -> str:
    return f"{rows:,}" if rows >= 0 else f"HTTP {-rows}"


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f}"


def query_table(timings: list[QueryTiming]) -> str:
    """Per query: in process p50 (the anchor), then /sparql first, cold p50/p90 and cached
    p50/p90 in ms; the limit 2 x in process + 20 ms for portfolio-wide queries, and whether
    the cold p50 is within it and within 200 ms."""
    lines = [
        "| systems | query | rows (sent) | in process p50 | first | cold p50 | cold p90 | "
        "cached p50 | cached p90 | 2x+20 ms | within | ≤ 200 ms |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for t in sorted(timings, key=lambda t: (t.systems, t.query)):
        local, cold = statistics.median(t.in_process), statistics.median(t.cold)
        limit = 2 * local + SLACK
        within = ("yes" if cold <= limit else "no") if t.portfolio else "-"
        lines.append(
            f"| {t.systems:,} | {t.query} | {t.rows:,} ({_sent(t.sent)}) | {_ms(local)} | "
            f"{_ms(t.first)} | {_ms(cold)} | {_ms(percentile(t.cold, 90))} | "
            f"{_ms(statistics.median(t.cached))} | {_ms(percentile(t.cached, 90))} | "
            f"{_ms(limit) if t.portfolio else '-'} | {within} | "
            f"{'yes' if cold <= BUDGET else 'no'} |"
        )
    return "\n".join(lines) + "\n"


def page_table(timings: list[PageTiming]) -> str:
    """Per page: the first answer's ms (and its notice), seconds until complete, then p50 and
    p90 in ms once complete."""
    lines = [
        "| systems | page | status | first ms | notice | complete after s | p50 | p90 |",
        "|---:|---|---:|---:|---|---:|---:|---:|",
    ]
    for t in sorted(timings, key=lambda t: (t.systems, PAGES.index(t.page))):
        lines.append(
            f"| {t.systems:,} | `{t.page}` | {t.status} | {_ms(t.first)} | "
            f"{'still computing' if t.first_computing else '-'} | {t.complete_after:.1f} | "
            f"{_ms(statistics.median(t.times))} | {_ms(percentile(t.times, 90))} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.endpoint", description=__doc__)
    parser.add_argument("--systems", default="1000,10000")
    parser.add_argument("--runs", type=int, default=7, help="calls per query and page")
    parser.add_argument("--work", type=Path, default=None, help="generated data, stores")
    parser.add_argument("--in-process", type=Path, help=argparse.SUPPRESS)  # the child step
    parser.add_argument("--gate", action="store_true", help="time only the query gate")
    args = parser.parse_args(argv)
    if args.gate:
        sys.stdout.write(gate_table(args.runs))
        return
    if args.in_process:
        in_process(args.in_process, args.runs)
        return
    work = args.work or Path(tempfile.mkdtemp(prefix="stkg-endpoint-"))
    work.mkdir(parents=True, exist_ok=True)
    queries, pages = [], []
    try:
        for systems in (int(s) for s in args.systems.split(",")):
            found = measure(systems, prepare(systems, work), args.runs)
            queries += found[0]
            pages += found[1]
    finally:
        kill_all()
    sys.stdout.write(query_table(queries) + "\n" + page_table(pages))


if __name__ == "__main__":
    main()
