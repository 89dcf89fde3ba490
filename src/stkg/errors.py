"""Errors that carry enough context for a one-line message to a user.

The CLI and the web app turn these into `error: FILE:LINE:COLUMN: message` lines or
4xx answers; nothing below them should need a traceback to be understood.
"""

from __future__ import annotations

from dataclasses import dataclass


class StkgError(Exception):
    """Base class for errors a user can act on."""


@dataclass
class SourceError(StkgError):
    """Input that could not be parsed: an RDF file, a query, a query header."""

    message: str
    source: str | None = None
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        where = ":".join(
            str(part) for part in (self.source, self.line, self.column) if part is not None
        )
        return f"{where}: {self.message}" if where else self.message


class ProjectError(StkgError):
    """A project folder that is missing or does not follow the convention."""
