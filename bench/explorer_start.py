"""Explorer start-up: how soon each page answers, and how soon it is complete, after a start
and after a restart on the unchanged on-disk store.

    .venv/bin/python -m bench.explorer_start --systems 10000
    .venv/bin/python -m bench.explorer_start --systems 100000     # minutes, GiBs
    .venv/bin/python -m bench.explorer_start --systems 100000 --data gen100000.nt

Generates the portfolio (`stkg.generate`, seed 0) into an on-disk store with the project,
then starts the app as `stkg serve` does (`STKG_BACKGROUND`: the caches warm in a
background thread) and requests every page in turn with Flask's test client until each
answers without the "still computing" notice (`X-STKG-Computing`). The clock starts when
`create_app` returns (the moment `stkg serve` opens its port). Then the app is closed and
started again on the same store, which reads the caches saved at the end of the first
warm-up. The anchor, measured in the same run, is the first start's whole warm-up.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.explorer import FIRST_SYSTEM, q
from bench.run import generate
from bench.workers import REPO

PAGES = (
    "/",
    "/systems",
    f"/system?iri={q(FIRST_SYSTEM)}",
    "/gaps",
    "/frameworks/nist-ai-rmf",
    "/frameworks/iso-iec-42001/soa",
    "/search?q=writing",
    "/crosswalk",
)
POLL = 0.05  # seconds between rounds of requests while pages are incomplete


def start(project: Any, folder: Path) -> tuple[Any, float, dict[str, tuple[float, float, int]]]:
    """Start the app; per page: (first answer, complete, status) in seconds from the start."""
    from stkg.web import create_app

    opened = time.perf_counter()
    app = create_app(
        {"STKG_QUERY_WORKERS": 0, "STKG_STORE": str(folder), "STKG_BACKGROUND": True},
        project=project,
    )
    begin = time.perf_counter()
    client = app.test_client()
    first: dict[str, float] = {}
    done: dict[str, tuple[float, float, int]] = {}
    while len(done) < len(PAGES):
        for page in PAGES:
            if page in done:
                continue
            response = client.get(page)
            now = time.perf_counter() - begin
            first.setdefault(page, now)
            if "X-STKG-Computing" not in response.headers:
                done[page] = (first[page], now, response.status_code)
        if len(done) < len(PAGES):
            time.sleep(POLL)
    return app, begin - opened, done


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(prog="python -m bench.explorer_start", description=__doc__)
    parser.add_argument("--systems", type=int, default=10_000)
    parser.add_argument(
        "--data",
        type=Path,
        help="an N-Triples portfolio of --systems systems to load (`stkg generate`), "
        "instead of generating one (seed 0)",
    )
    args = parser.parse_args(argv)

    from stkg.project import Project, external_source
    from stkg.web.state import state

    project = Project(REPO)
    lines = []
    with tempfile.TemporaryDirectory() as work:
        folder = Path(work) / "store"
        path = args.data or generate(args.systems, 0, Path(work))[0]
        store = project.open_store(str(folder))
        store.load([external_source(path)], replace=False)
        triples = len(store)
        store.close()

        rounds = {}
        for name in ("start", "restart"):
            began = time.perf_counter()
            app, opening, pages = start(project, folder)
            web = state(app)
            if web.warm_up is not None:
                web.warm_up.join()
            warmed = time.perf_counter() - began
            rounds[name] = (opening, warmed, pages, dict(web.caches.computed))
            web.store.close()

    anchor = rounds["start"][1]
    lines += [
        f"Explorer start-up at {args.systems:,} systems ({triples:,} triples with the project), "
        "on-disk store, in process (Flask test client). Anchor: the first start's whole "
        f"warm-up, {anchor:.2f} s.",
        "",
        "| start | opening the store | warm-up | caches computed | which |",
        "|---|---|---|---|---|",
    ]
    for name, (opening, warmed, _, computed) in rounds.items():
        count = sum(computed.values())
        which = ", ".join(sorted(key for key, times in computed.items() if times)) or "none"
        lines.append(f"| {name} | {opening:.2f} s | {warmed:.2f} s | {count} | {which} |")
    lines += [
        "",
        "| page | start: first answer | start: complete | restart: first answer | "
        "restart: complete | restart complete / anchor |",
        "|---|---|---|---|---|---|",
    ]
    for page in PAGES:
        s_first, s_done, _ = rounds["start"][2][page]
        r_first, r_done, status = rounds["restart"][2][page]
        lines.append(
            f"| `{page}` ({status}) | {s_first:.2f} s | {s_done:.2f} s | {r_first:.2f} s | "
            f"{r_done:.2f} s | {r_done / anchor:.3f} |"
        )
    text = "\n".join(lines)
    print(text)
    return text


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
