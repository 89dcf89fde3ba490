"""`stkg serve`: the web app behind the waitress WSGI server.

Waitress gets `--threads` threads for pages and named queries plus one per ad-hoc query
slot (`--query-workers`) and per place in the ad-hoc wait queue (`--adhoc-queue`): ad-hoc
SPARQL can hold at most those extra threads (stkg.web.admission), so pages always find one.
"""

from __future__ import annotations

import os
import signal
from typing import Any

import click

from stkg import __version__
from stkg.cli.workspace import Workspace
from stkg.netguard import forbid_network
from stkg.store import RemoteStore, is_remote


@click.command()
@click.option("--host", envvar="STKG_HOST", default="127.0.0.1", show_default=True)
@click.option("--port", envvar="STKG_PORT", default=8000, show_default=True, type=int)
@click.option(
    "--threads",
    default=4,
    show_default=True,
    type=click.IntRange(min=1),
    help="Threads for pages and named queries; ad-hoc SPARQL gets its own beside them "
    "(one per query worker and per place in the ad-hoc queue).",
)
@click.option(
    "--query-timeout",
    envvar="STKG_QUERY_TIMEOUT",
    default=10.0,
    show_default=True,
    type=click.FloatRange(min=0.1),
    help="Seconds a SPARQL query may run before it is stopped (answered 503).",
)
@click.option(
    "--query-workers",
    envvar="STKG_QUERY_WORKERS",
    default=2,
    show_default=True,
    type=click.IntRange(min=1),
    help="Worker processes for ad-hoc SPARQL (/sparql, the editor): at most this many "
    "ad-hoc queries run at once. Each is a read-only view of a snapshot of the store.",
)
@click.option(
    "--named-query-workers",
    envvar="STKG_NAMED_QUERY_WORKERS",
    default=1,
    show_default=True,
    type=click.IntRange(min=1),
    help="Worker processes reserved for named queries, which never wait behind ad-hoc ones.",
)
@click.option(
    "--adhoc-queue",
    envvar="STKG_ADHOC_QUEUE",
    default=4,
    show_default=True,
    type=click.IntRange(min=0),
    help="Ad-hoc queries that may wait for a worker (at most the time limit); more are "
    "answered 503 with Retry-After at once.",
)
@click.option(
    "--max-rows",
    envvar="STKG_MAX_ROWS",
    default=10_000,
    show_default=True,
    type=click.IntRange(min=1),
    help="Rows (or triples) per answer; more are cut and the answer is marked truncated.",
)
@click.option(
    "--max-answer-bytes",
    envvar="STKG_MAX_ANSWER_BYTES",
    default=64 * 1024 * 1024,
    show_default=True,
    type=click.IntRange(min=1024),
    help="Bytes per answer as the workers send it; more rows are cut and the answer is "
    "marked truncated. A single row larger than this (or than 16 MiB) is answered 413.",
)
@click.option(
    "--worker-memory",
    envvar="STKG_WORKER_MEMORY",
    default=1024,
    show_default=True,
    type=click.IntRange(min=0),
    help="MiB of data each query worker may use for queries, beyond what it holds once "
    "started (RLIMIT_DATA); a query that needs more is stopped, its worker replaced, and "
    "answered 503. 0: no cap.",
)
@click.option(
    "--worker-copy/--no-worker-copy",
    envvar="STKG_WORKER_COPY",
    default=True,
    show_default=True,
    help="Query workers answer from a copy of the store's snapshot in memory, shared by "
    "all of them (3-14x faster than reading it on disk); --no-worker-copy when the store "
    "is larger than the memory to spare (about 600 bytes per triple).",
)
@click.option(
    "--answer-cache-bytes",
    envvar="STKG_ANSWER_CACHE_BYTES",
    default=64 * 1024 * 1024,
    show_default=True,
    type=click.IntRange(min=0),
    help="Bytes of answers kept per lane until the store changes (an embedded store only "
    "stkg writes); the same request is then answered without running it. 0: none.",
)
@click.option(
    "--cors-origins",
    envvar="STKG_CORS_ORIGINS",
    default="*",
    show_default=True,
    help="Origins allowed to query /sparql from a browser, comma-separated; '' for none.",
)
@click.option(
    "--update-token",
    envvar="STKG_UPDATE_TOKEN",
    default=None,
    help="Enable SPARQL Update on /sparql for requests with 'Authorization: Bearer TOKEN'. "
    "Default: read-only.",
)
@click.option(
    "--max-upload-bytes",
    envvar="STKG_MAX_UPLOAD_BYTES",
    type=click.IntRange(min=1),
    default=64 * 1024 * 1024,
    show_default=True,
    help="Largest body POST /import and the Graph Store Protocol take (413 above it).",
)
@click.pass_obj
def serve(
    ws: Workspace,
    host: str,
    port: int,
    threads: int,
    query_timeout: float,
    query_workers: int,
    named_query_workers: int,
    adhoc_queue: int,
    max_rows: int,
    max_answer_bytes: int,
    worker_memory: int,
    worker_copy: bool,
    answer_cache_bytes: int,
    cors_origins: str,
    update_token: str | None,
    max_upload_bytes: int,
) -> None:
    """Serve the web app with the waitress WSGI server (never Flask's debug server)."""
    import waitress

    from stkg.web import create_app
    from stkg.web.sparql import close_executors
    from stkg.web.state import state

    config = {
        "STKG_QUERY_TIMEOUT": query_timeout,
        "STKG_QUERY_WORKERS": query_workers,
        "STKG_NAMED_QUERY_WORKERS": named_query_workers,
        "STKG_ADHOC_QUEUE": adhoc_queue,
        "STKG_MAX_ROWS": max_rows,
        "STKG_MAX_ANSWER_BYTES": max_answer_bytes,
        "STKG_WORKER_MEMORY": worker_memory,
        "STKG_WORKER_COPY": worker_copy,
        "STKG_ANSWER_CACHE_BYTES": answer_cache_bytes,
        **_gate_settings(),
        "STKG_CORS_ORIGINS": cors_origins,
        "STKG_UPDATE_TOKEN": update_token or None,
        "STKG_MAX_UPLOAD_BYTES": max_upload_bytes,
        # Warm the caches in the background while pages answer with what is ready.
        "STKG_BACKGROUND": os.environ.get("STKG_BACKGROUND", "1").strip() not in ("0", ""),
        "STKG_WARM_DONE": lambda seconds: click.echo(
            f"stkg: explorer caches ready in {seconds:.1f} s", err=True
        ),
    }
    store = ws.store
    if isinstance(store, RemoteStore):  # the server runs every query: its answer has a deadline
        store.timeout = query_timeout
    app = create_app(config, project=ws.project, store=store)
    # SIGTERM (what service managers send) ends the server like Ctrl-C, so the query worker
    # processes are stopped and their snapshots removed on the way out.
    signal.signal(signal.SIGTERM, _interrupt)
    click.echo(f"stkg {__version__}: serving {ws.project.root} on http://{host}:{port}/")
    try:
        server = waitress.create_server(
            app, host=host, port=port, threads=threads + query_workers + adhoc_queue, ident="stkg"
        )
        if not is_remote(ws.store_path):  # a remote store is reached over the network
            after_sockets_bound(server)
        server.print_listen("Serving on http://{}:{}")
        server.run()
    finally:
        warming = state(app).warm_up
        if warming is not None:
            warming.join()  # the store must stay open until the caches are built
        close_executors(app)


def after_sockets_bound(server: Any) -> None:
    """Between binding the listening sockets and serving: forbid this process, its threads
    and the query workers it starts from now on any new network socket (stkg.netguard);
    `accept()` on the bound sockets still works. Workers already started forbid it
    themselves."""
    forbid_network()


# The query gate's limits (stkg.sandbox, docs/security.md) are set from the environment.
GATE_SETTINGS = (
    "STKG_MAX_QUERY_LENGTH",
    "STKG_MAX_NESTING",
    "STKG_MAX_EXPRESSION_LENGTH",
    "STKG_MAX_PATH_LENGTH",
    "STKG_MAX_PATTERN_LENGTH",
)


def _gate_settings() -> dict[str, int]:
    settings = {}
    for name in GATE_SETTINGS:
        value = os.environ.get(name, "").strip()
        if value:
            if not value.isdigit() or int(value) < 1:
                raise click.BadParameter(f"{name}={value!r}: expected a positive whole number")
            settings[name] = int(value)
    return settings


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt
