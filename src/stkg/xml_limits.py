"""Limits on an RDF/XML file, checked before Oxigraph parses it: entities and nesting.

Oxigraph's RDF/XML parser expands internal entities with no limit: a "billion laughs" file
of 1 KB (nine levels of ten references) loaded for 64 s into a 3,000,000,000-character
literal and 9.2 GB of memory. Refusing every DOCTYPE would refuse the ontologies Protégé
writes, which declare one entity per namespace (`<!ENTITY owl "http://…#">`) and use it in
thousands of attributes. So the declarations are read (expat, stopped at the root element)
and the references counted in the raw bytes: entities may add at most
`max(STKG_MAX_ENTITY_EXPANSION, the file's size)` characters in all, the budget expat
itself uses (an amplification factor above a floor). External and parameter entities are
refused outright: nothing is ever fetched. The count runs in well under a second for the
bomb, since no entity is expanded to count it.

Nesting is capped too (`MAX_DEPTH` elements): Oxigraph's RDF/XML parser takes time
quadratic in depth (10,000 nested descriptions 0.4 s, 20,000 2 s, 100,000 over a minute,
from a 3.5 MB file). The depth pass (expat, whole file) costs 1.25 s per 100 MB, against
2.7 s for Oxigraph's own parse of the same 842k triples.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from xml.parsers import expat

from stkg.errors import SourceError

DEFAULT_MAX_ENTITY_EXPANSION = 16 * 1024 * 1024  # characters entities may add to a file
LIMIT_SETTING = "STKG_MAX_ENTITY_EXPANSION"
MAX_DEPTH = 1000  # nested elements; real RDF/XML nests a few dozen deep

_REFERENCE = re.compile(rb"&([^\s&;#<>\"'=]{1,256});")  # general entity refs, not &#…;
_CHUNK = 1 << 20


class _RootReached(Exception):
    """The prolog is over: no declaration can follow the root element's start tag."""


def max_expansion() -> int:
    """The floor of the expansion budget, from the environment (read when a file is
    checked, never at import)."""
    value = os.environ.get(LIMIT_SETTING, "")
    return int(value) if value.strip().isdigit() else DEFAULT_MAX_ENTITY_EXPANSION


def check_rdfxml(path: Path, label: str) -> None:
    """Raise a SourceError (file, line, column) when the entities of an RDF/XML file are
    external, parameter entities, recursive, or would expand beyond the budget, or when
    its elements nest deeper than MAX_DEPTH. Entities first: the depth pass expands them."""
    declared, positions, body_start = _declarations(path, label)
    if declared:
        limit = max(max_expansion(), path.stat().st_size)
        sizes: dict[str, int] = {}
        for name in declared:
            if _expanded(name, declared, sizes, limit, ()) > limit:
                raise _too_large(name, limit, label, *positions[name])
        _count_references(path, label, body_start, sizes, limit)
    _check_depth(path, label)


def _check_depth(path: Path, label: str) -> None:
    parser = expat.ParserCreate()
    depth = 0

    def start(*_: object) -> None:
        nonlocal depth
        depth += 1
        if depth > MAX_DEPTH:
            raise SourceError(
                f"elements nested more than {MAX_DEPTH} deep",
                label,
                parser.CurrentLineNumber,
                parser.CurrentColumnNumber + 1,
            )

    def end(*_: object) -> None:
        nonlocal depth
        depth -= 1

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    try:
        with path.open("rb") as file:
            parser.ParseFile(file)
    except (expat.ExpatError, OSError):
        pass  # not well-formed or unreadable: the RDF/XML parser says where


def _declarations(path: Path, label: str) -> tuple[dict[str, str], dict[str, tuple[int, int]], int]:
    """Internal entities of the DTD's internal subset, where each was declared, and the
    byte offset of the root element (expat reads the prolog only; it never loads an
    external DTD or entity unless asked, and it is not asked)."""
    parser = expat.ParserCreate()
    declared: dict[str, str] = {}
    positions: dict[str, tuple[int, int]] = {}

    def where() -> tuple[int, int]:
        return parser.CurrentLineNumber, parser.CurrentColumnNumber + 1

    def entity(name, is_parameter, value, _base, system_id, public_id, _notation) -> None:  # noqa: ANN001
        if is_parameter:
            raise SourceError(f"parameter entity %{name}; refused", label, *where())
        if value is None or system_id or public_id:
            raise SourceError(f"external entity &{name}; refused (never fetched)", label, *where())
        declared[name] = value
        positions[name] = where()

    def root(*_: object) -> None:
        raise _RootReached

    parser.EntityDeclHandler = entity
    parser.StartElementHandler = root
    try:
        with path.open("rb") as file:
            while chunk := file.read(_CHUNK):
                parser.Parse(chunk, False)
            parser.Parse(b"", True)
    except _RootReached:
        return declared, positions, parser.CurrentByteIndex
    except (expat.ExpatError, OSError):
        pass  # not well-formed or unreadable: the RDF/XML parser says where
    return declared, positions, 0


def _expanded(
    name: str, declared: dict[str, str], sizes: dict[str, int], limit: int, stack: tuple[str, ...]
) -> int:
    """Characters the entity expands to, counted without expanding it (stops past limit)."""
    if name in sizes:
        return sizes[name]
    if name in stack:
        return limit + 1  # recursive: would never end
    value = declared[name]
    total = len(value)
    for match in _REFERENCE.finditer(value.encode("utf-8")):
        inner = match.group(1).decode("utf-8", "replace")
        if inner in declared:
            total += _expanded(inner, declared, sizes, limit, (*stack, name)) - len(match[0])
            if total > limit:
                break
    sizes[name] = total
    return total


def _count_references(
    path: Path, label: str, start: int, sizes: dict[str, int], limit: int
) -> None:
    """Add up what every reference in the document adds; refuse at the one that goes over.
    References in comments count too: an overestimate, never an underestimate."""
    added = 0
    line = 1
    with path.open("rb") as file:
        line += file.read(start).count(b"\n")
        carry = b""
        while chunk := file.read(_CHUNK):
            data = carry + chunk
            # keep an unfinished reference for the next chunk
            cut = data.rfind(b"&")
            if cut != -1 and b";" not in data[cut:] and len(data) - cut <= 260:
                data, carry = data[:cut], data[cut:]
            else:
                carry = b""
            for match in _REFERENCE.finditer(data):
                name = match.group(1).decode("utf-8", "replace")
                if name in sizes:
                    added += sizes[name] - len(match[0])
                    if added > limit:
                        before = data[: match.start()]
                        here = line + before.count(b"\n")
                        column = match.start() - (before.rfind(b"\n") + 1) + 1
                        raise SourceError(
                            f"entity references would add more than {limit:,} characters "
                            f"(limit: {LIMIT_SETTING} or the file's size)",
                            label,
                            here,
                            column,
                        )
            line += data.count(b"\n")


def _too_large(name: str, limit: int, label: str, line: int, column: int) -> SourceError:
    return SourceError(
        f"entity &{name}; would expand to more than {limit:,} characters "
        f"(limit: {LIMIT_SETTING} or the file's size)",
        label,
        line,
        column,
    )
