"""The project and store a command works on."""

from __future__ import annotations

import click

from stkg.errors import StkgError
from stkg.project import Project
from stkg.store import Store


class Workspace:
    """The project and store a command works on, opened on first use."""

    def __init__(
        self, project_dir: str | None, store_path: str | None, update_url: str | None = None
    ) -> None:
        self.project_dir = project_dir
        self.store_path = store_path
        self.update_url = update_url
        self._project: Project | None = None
        self._store: Store | None = None

    @property
    def project(self) -> Project:
        if self._project is None:
            self._project = Project.find(self.project_dir)
        return self._project

    @property
    def store(self) -> Store:
        if self._store is None:
            self._store = self.project.open_store(self.store_path, update_url=self.update_url)
            if self._store.rolled_back:
                click.echo(
                    f"stkg: {self.store_path}: an interrupted load was undone; the store "
                    "holds what it held before that load",
                    err=True,
                )
        return self._store

    def close(self) -> None:
        if self._store is not None:
            store, self._store = self._store, None
            try:
                store.close()
            except StkgError as error:  # runs after the command, outside its error handling
                raise click.ClickException(str(error)) from None
