"""Explorer pages at scale: how long each JSON twin takes on a generated portfolio.

    .venv/bin/python -m bench.explorer --systems 100000          # about 2 minutes
    .venv/bin/python -m bench.explorer --systems 1000 --runs 5

Generates the portfolio (`stkg.generate`, seed 0), loads it on top of the project into the
in-memory store, builds the app's caches as `stkg serve` does at start-up (`stkg.web.warm`,
timed), then requests each page `--runs` times with Flask's test client (in process: no
HTTP, so the numbers are the app's own work) and prints a Markdown table: the first request
(which may compute a sort order) and the median of the rest.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

from bench.run import generate
from bench.workers import REPO

STKG = "https://w3id.org/stkg#"
SHAPES = "https://w3id.org/stkg/shapes#"
FIRST_SYSTEM = "https://w3id.org/stkg/example/generated/system-000001"


def q(iri: str) -> str:
    return quote(iri, safe="")


PAGES = (
    "/index.json",
    "/systems.json",
    "/systems.json?sort=stage&dir=desc&page=7",
    "/systems.json?q=writing",
    f"/systems.json?impact={q(STKG + 'HighImpact')}&stage={q(STKG + 'Deployed')}&sort=tier",
    f"/systems.json?shape={q(SHAPES + 'EscalationPathShape')}",
    f"/systems.csv?impact={q(STKG + 'LowImpact')}",
    f"/system.json?iri={q(FIRST_SYSTEM)}",
    "/search.json?q=writing",
    "/gaps.json",
    "/gaps.json?group=requirement",
    "/frameworks/nist-ai-rmf.json",
    "/crosswalk.json",
    f"/resource.json?iri={q(STKG + 'HighImpact')}",
)


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(prog="python -m bench.explorer", description=__doc__)
    parser.add_argument("--systems", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3, help="requests per page")
    args = parser.parse_args(argv)

    from stkg.project import Project, external_source
    from stkg.web import create_app, warm

    project = Project(REPO)
    store = project.open_store()
    with tempfile.TemporaryDirectory() as work:
        path, _ = generate(args.systems, 0, Path(work))
        start = time.perf_counter()
        store.load([external_source(path)])
        loaded = time.perf_counter() - start
    triples = len(store)
    app = create_app({"STKG_QUERY_WORKERS": 0}, project=project, store=store)
    start = time.perf_counter()
    warm(app)
    warmed = time.perf_counter() - start
    client = app.test_client()
    lines = [
        f"Explorer pages at {args.systems:,} systems ({triples:,} triples with the project): load "
        f"{loaded:.1f} s, caches built (`stkg.web.warm`) in {warmed:.1f} s.",
        "",
        "| page | status | bytes | first | median of the rest |",
        "|---|---|---|---|---|",
    ]
    for page in PAGES:
        times, response = [], None
        for _ in range(max(2, args.runs)):
            start = time.perf_counter()
            response = client.get(page)
            times.append(time.perf_counter() - start)
        assert response is not None
        lines.append(
            f"| `{page}` | {response.status_code} | {len(response.data):,} | "
            f"{times[0] * 1000:,.0f} ms | {statistics.median(times[1:]) * 1000:,.0f} ms |"
        )
    text = "\n".join(lines)
    print(text)
    return text


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
