"""`stkg serve`: the web app behind the waitress WSGI server."""

from __future__ import annotations

import click

from stkg import __version__
from stkg.cli.workspace import Workspace


@click.command()
@click.option("--host", envvar="STKG_HOST", default="127.0.0.1", show_default=True)
@click.option("--port", envvar="STKG_PORT", default=8000, show_default=True, type=int)
@click.option("--threads", default=4, show_default=True, type=int, help="Worker threads.")
@click.pass_obj
def serve(ws: Workspace, host: str, port: int, threads: int) -> None:
    """Serve the web app with the waitress WSGI server (never Flask's debug server)."""
    import waitress

    from stkg.web import create_app

    app = create_app(project=ws.project, store=ws.store)
    click.echo(f"stkg {__version__}: serving {ws.project.root} on http://{host}:{port}/")
    waitress.serve(app, host=host, port=port, threads=threads, ident="stkg")
