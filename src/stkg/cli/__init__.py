"""The `stkg` command.

Options come from, in order of precedence: command-line arguments, environment variables
(`STKG_PROJECT`, `STKG_STORE`, `STKG_HOST`, `STKG_PORT`), built-in defaults. Errors a user
can fix are one line on stderr and a non-zero exit code, never a traceback.

Every command but `serve` runs without network access (stkg.netguard; `serve` forbids it
once its sockets are bound): no command of stkg needs to call out, and a query, a JSON-LD
context or an XML entity that tries finds no socket. `STKG_ALLOW_NETWORK=1` lifts this.
"""

from __future__ import annotations

import importlib
from typing import Any

import click

from stkg import __version__
from stkg.cli.workspace import Workspace
from stkg.errors import StkgError
from stkg.netguard import forbid_network
from stkg.store import is_remote


class _Group(click.Group):
    """Turns stkg's own errors into click's one-line `Error: …` and exit code 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except StkgError as error:
            raise click.ClickException(str(error)) from None


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="stkg")
@click.option(
    "--project",
    "project_dir",
    envvar="STKG_PROJECT",
    type=click.Path(file_okay=False),
    help="Project folder (ontology/, shapes/, queries/, data/). Default: the current "
    "directory if it is one, else the project bundled with stkg.",
)
@click.option(
    "--store",
    "store_path",
    envvar="STKG_STORE",
    type=click.Path(),  # the store names a path that is a file in one line
    help="Keep the store on disk in this folder, or on the SPARQL server whose query "
    "endpoint is this http(s) URL (docs/remote-store.md). Default: in memory.",
)
@click.option(
    "--update-url",
    envvar="STKG_UPDATE_URL",
    help="With a remote --store: the server's SPARQL Update endpoint (default: the store "
    "URL). User and password come from STKG_STORE_USER and STKG_STORE_PASSWORD.",
)
@click.pass_context
def main(
    ctx: click.Context, project_dir: str | None, store_path: str | None, update_url: str | None
) -> None:
    """stkg: a knowledge graph of AI social-technical systems for AI governance."""
    # A remote store is reached over the network; its queries run on the server, behind
    # the same gate (docs/remote-store.md, "Safety").
    if ctx.invoked_subcommand != "serve" and not is_remote(store_path):
        forbid_network()
    ctx.obj = Workspace(project_dir, store_path, update_url)
    ctx.call_on_close(ctx.obj.close)


def _register() -> None:
    # One module per command, named after it (stkg NAME lives in stkg/cli/NAME.py).
    from stkg.cli.classify import classify
    from stkg.cli.export import export
    from stkg.cli.generate import generate
    from stkg.cli.load import load
    from stkg.cli.map import map_group
    from stkg.cli.query import query
    from stkg.cli.report import report
    from stkg.cli.serve import serve
    from stkg.cli.store import store_group
    from stkg.cli.validate import validate

    for command in (load, query, export, serve, map_group, validate, generate, classify, report):
        main.add_command(command)
    main.add_command(store_group)
    main.add_command(importlib.import_module("stkg.cli.import_").import_)  # `import` is a keyword


_register()
