"""Reading RDF files: the syntax from the extension, the checks before a parser sees a
file, and every parse error as a one-line SourceError naming file, line and column.

Every path by which stkg reads a user's RDF file goes through `check_readable` and
`_reading` (`check_syntax` before a store loads a file, `read_quads` for libraries,
`load_file` straight into a store), so the limits hold everywhere: RDF/XML entities and
nesting are capped (`xml_limits`), and a term longer than the parsers' 16 MiB buffer is an
error naming its line, not a MemoryError traceback.
"""

from __future__ import annotations

import io
import os
import signal
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import pyoxigraph as ox

from stkg.errors import SourceError
from stkg.xml_limits import check_rdfxml

PARSER_BUFFER = 16 * 1024 * 1024  # oxttl's and oxjsonld's largest term, compiled in

# File extension -> RDF syntax. RDF/XML is also accepted under `.owl`, as ontologies ship.
RDF_FORMATS: dict[str, ox.RdfFormat] = {
    ".ttl": ox.RdfFormat.TURTLE,
    ".nt": ox.RdfFormat.N_TRIPLES,
    ".nq": ox.RdfFormat.N_QUADS,
    ".trig": ox.RdfFormat.TRIG,
    ".jsonld": ox.RdfFormat.JSON_LD,
    ".rdf": ox.RdfFormat.RDF_XML,
    ".owl": ox.RdfFormat.RDF_XML,
    ".xml": ox.RdfFormat.RDF_XML,
    ".n3": ox.RdfFormat.N3,
}


@dataclass(frozen=True)
class Source:
    """One RDF document to load, and the named graph its default-graph triples go to."""

    path: Path
    graph: str
    label: str  # how errors name the file (a project-relative path where there is one)


def rdf_format(path: Path, label: str | None = None) -> ox.RdfFormat:
    """The RDF syntax of a file, from its extension."""
    try:
        return RDF_FORMATS[path.suffix.lower()]
    except KeyError:
        known = ", ".join(sorted(RDF_FORMATS))
        raise SourceError(
            f"unknown RDF file extension (known: {known})", label or str(path)
        ) from None


def check_readable(source: Source) -> ox.RdfFormat:
    """What must hold before a parser sees the file: a regular file of a known syntax whose
    entities, for RDF/XML, stay within the budget (`xml_limits`). Its syntax."""
    fmt = rdf_format(source.path, source.label)
    if source.path.is_dir():
        raise SourceError("is a directory, not an RDF file", source.label)
    if not source.path.exists():
        raise SourceError("no such file", source.label)
    if fmt == ox.RdfFormat.RDF_XML:
        check_rdfxml(source.path, source.label)
    return fmt


def _parse(source: Source, *, rename_blank_nodes: bool = False) -> Iterator[ox.Quad]:
    """The file's statements, with parse errors turned into a SourceError naming the file,
    line and column."""
    fmt = check_readable(source)
    with _reading(source, fmt):
        yield from ox.parse(
            path=source.path,
            format=fmt,
            base_iri=source.path.resolve().as_uri(),
            rename_blank_nodes=rename_blank_nodes,
        )


def load_file(store: ox.Store, source: Source) -> None:
    """Parse a file straight into an in-memory Oxigraph store, into `source.graph` (named
    graphs of TriG or N-Quads keep their names): one parse, in Oxigraph, with the checks and
    error messages of `_parse`. A file that does not parse leaves the store as it was (one
    transaction), and its blank nodes are fresh, so two files never share one."""
    fmt = check_readable(source)
    with _reading(source, fmt):
        store.load(
            path=source.path,
            format=fmt,
            base_iri=source.path.resolve().as_uri(),
            to_graph=ox.NamedNode(source.graph),
        )


@contextmanager
def _reading(source: Source, fmt: ox.RdfFormat) -> Iterator[None]:
    """Parse errors as a SourceError naming the file, line and column."""
    try:
        yield
    except SyntaxError as error:
        raise _source_error(error, source.label) from None
    except MemoryError:  # Oxigraph's parsers hold one term in a 16 MiB buffer at most
        raise _too_long(source, fmt) from None
    except (OSError, ValueError) as error:
        raise SourceError(_os_message(error), source.label) from None


def _too_long(source: Source, fmt: ox.RdfFormat) -> SourceError:
    """Where the parser gave up on a term too long for its buffer: read again, counting
    bytes, and name the line of the last byte read, which lies inside that term."""
    counter = _CountingReader(source.path.open("rb"))
    try:
        for _ in ox.parse(counter, format=fmt):
            pass
    except (MemoryError, SyntaxError, ValueError):
        pass
    finally:
        counter.close()
    line = _line_at(source.path, max(counter.consumed - 1, 0))
    return SourceError(
        f"a literal or IRI longer than {PARSER_BUFFER // (1024 * 1024)} MiB "
        f"({PARSER_BUFFER:,} bytes), the most the RDF parser holds; "
        "shorten it or load the file as RDF/XML",
        source.label,
        line,
    )


class _CountingReader(io.RawIOBase):
    def __init__(self, file: BinaryIO) -> None:
        self.file = file
        self.consumed = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.file.read(len(buffer))
        buffer[: len(data)] = data
        self.consumed += len(data)
        return len(data)

    def close(self) -> None:
        self.file.close()
        super().close()


def _line_at(path: Path, offset: int) -> int:
    line = 1
    with path.open("rb") as file:
        while offset > 0 and (chunk := file.read(min(offset, 1 << 20))):
            line += chunk.count(b"\n")
            offset -= len(chunk)
    return line


def _os_message(error: Exception) -> str:
    """An OS error without the path Python repeats (the label already names the file)."""
    if isinstance(error, OSError) and error.strerror:
        return error.strerror[:1].lower() + error.strerror[1:]
    return str(error)


def read_quads(source: Source) -> list[ox.Quad]:
    """A whole file as quads, for libraries that need the statements in Python.

    Triples in the file's default graph go to `source.graph`; named graphs in TriG or
    N-Quads files keep their names. Blank nodes are renamed so two files never share one.
    """
    graph = ox.NamedNode(source.graph)
    return [
        ox.Quad(q.subject, q.predicate, q.object, graph)
        if isinstance(q.graph_name, ox.DefaultGraph)
        else q
        for q in _parse(source, rename_blank_nodes=True)
    ]


def check_syntax(source: Source) -> int:
    """Parse a whole file without keeping it, and count its statements.

    A first pass so that a syntax error in any of several files changes nothing, without
    holding millions of Python quad objects (the store then loads the file itself).
    """
    return sum(1 for _ in _parse(source))


def pause_at(stage: str, sources: Sequence[Source] = ()) -> None:
    """A fault-injection point for the tests that kill a load (`STKG_LOAD_PAUSE_AT=
    STAGE:FILE-LABEL`, or `STAGE` for a write of no file): say so on stderr, then stop
    until SIGCONT or SIGKILL."""
    wanted = os.environ.get("STKG_LOAD_PAUSE_AT")
    if wanted and wanted in {stage} | {f"{stage}:{source.label}" for source in sources}:
        print(f"stkg: paused at {stage}", file=sys.stderr, flush=True)
        os.kill(os.getpid(), signal.SIGSTOP)


def _source_error(error: SyntaxError, label: str) -> SourceError:
    message = error.msg or str(error)
    # Oxigraph's message repeats the span ("Parser error between line 3 column 11 and …: ");
    # the location is reported separately, so keep only the explanation.
    if message.startswith("Parser error") and ": " in message:
        message = message.split(": ", 1)[1]
    return SourceError(message, label, error.lineno, error.offset)
