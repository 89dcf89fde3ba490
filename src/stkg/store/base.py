"""What stkg needs from a quad store: the `Store` protocol and the values it trades in.

Every part of stkg (CLI, web app, validation, classification, mappings) talks to a `Store`
and never to a backend's own API. Differences between backends that callers must know about
are `Capabilities`, read as flags, not found out with `isinstance`. Terms are pyoxigraph terms
throughout, because pyoxigraph also parses SPARQL result documents from remote endpoints into
the same types.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, TypedDict, Unpack

import pyoxigraph as ox

from stkg.errors import SourceError
from stkg.rdf_files import Source
from stkg.results import QueryResult

Term = ox.NamedNode | ox.BlankNode | ox.Literal

# Names accepted by `stkg export --format` and the store's export().
EXPORT_FORMATS: dict[str, ox.RdfFormat] = {
    "turtle": ox.RdfFormat.TURTLE,
    "nt": ox.RdfFormat.N_TRIPLES,
    "nquads": ox.RdfFormat.N_QUADS,
    "trig": ox.RdfFormat.TRIG,
    "jsonld": ox.RdfFormat.JSON_LD,
    "rdfxml": ox.RdfFormat.RDF_XML,
}

# Prefixes written into Turtle/TriG exports and used to shorten IRIs in tables.
PREFIXES: dict[str, str] = {
    "stkg": "https://w3id.org/stkg#",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "dct": "http://purl.org/dc/terms/",
    "sh": "http://www.w3.org/ns/shacl#",
    "prov": "http://www.w3.org/ns/prov#",
}


class QueryOptions(TypedDict, total=False):
    """How a query runs, beside its text: the one spelling of these options in stkg.

    `bindings` are bound by the engine, never pasted into the text. The default graph is
    the union of all graphs unless `default_graphs` names some; `named_graphs` limits what
    `GRAPH` sees. Relative IRIs resolve against `base_iri`.
    """

    bindings: Mapping[str, Term] | None
    default_graphs: Sequence[str] | None
    named_graphs: Sequence[str] | None
    base_iri: str | None


@dataclass(frozen=True)
class QueryRequest:
    """One query to run: its text and its `QueryOptions`, as one value that passes
    unchanged from a door (CLI, web) through an executor to a store or a worker process."""

    sparql: str
    bindings: Mapping[str, Term] | None = None
    default_graphs: Sequence[str] | None = None
    named_graphs: Sequence[str] | None = None
    base_iri: str | None = None

    @classmethod
    def of(cls, request: QueryRequest | str) -> QueryRequest:
        """A request as given, or a bare query text with no options."""
        return request if isinstance(request, QueryRequest) else cls(request)

    def options(self) -> QueryOptions:
        """The options, for `Store.query(request.sparql, **request.options())`."""
        return QueryOptions(
            bindings=self.bindings,
            default_graphs=self.default_graphs,
            named_graphs=self.named_graphs,
            base_iri=self.base_iri,
        )


class NQuads:
    """Quads written as N-Quads text, in parts of whole lines (`f"{quad} .\\n"`, as
    pyoxigraph prints a quad), for `Store.write(add=...)`. Iterating it gives the quads,
    parsed (blank nodes keep their labels), so every store takes it; the embedded store has
    Oxigraph load the text itself instead, without a Python object per quad. At 10,000
    imported systems (412,453 quads) the text cost 0.4 s to make against 1.5 s for the
    `Quad` objects, and the compiled SHACL checks then ran in 2.4-2.8 s of CPU against
    4.3-4.5 s on the same quads given to `extend` (docs/decisions.md). The parts are read
    once, as they are iterated: a caller handing them out one by one lets each go once
    written."""

    def __init__(self, parts: Iterable[str]) -> None:
        self._parts = iter(parts)

    def parts(self) -> Iterator[str]:
        """The text, a part at a time (once)."""
        return self._parts

    def __iter__(self) -> Iterator[ox.Quad]:
        for part in self._parts:
            yield from ox.parse(part, format=ox.RdfFormat.N_QUADS)


@dataclass(frozen=True)
class LoadReport:
    graph: str
    label: str
    triples: int


@dataclass(frozen=True)
class Capabilities:
    """What a backend can do that callers choose their way by.

    - `union_default_graph`: a query's default graph is exactly the union of the named
      graphs (a remote server's default graph may hold graphs of its own).
    - `snapshots`: `snapshot(target)` writes a read-only copy that query workers open.
    - `persistent`: writes survive the process (an on-disk or remote store).
    - `memory_copy`: `memory_copy()` gives an in-memory copy that answers analytical reads
      (validation, reports, queries) faster than the store itself (`stkg.store.for_reading`).
    """

    union_default_graph: bool
    snapshots: bool
    persistent: bool
    memory_copy: bool = False


class Store(Protocol):
    """What stkg needs from a quad store. Implemented by `OxigraphStore`."""

    capabilities: Capabilities
    rolled_back: bool  # opening the store undid an interrupted load

    def query(self, sparql: str, **options: Unpack[QueryOptions]) -> QueryResult: ...

    def update(self, sparql: str, *, base_iri: str | None = None) -> None: ...

    def load(self, sources: Sequence[Source], *, replace: bool = True) -> list[LoadReport]:
        """Load files, each into its own graph, all or nothing."""
        ...

    def add_quads(self, quads: Iterable[ox.Quad]) -> None: ...

    def export(self, fmt: str, *, graph: str | None = None) -> bytes: ...

    def write(
        self,
        *,
        drop: Sequence[str] = (),
        remove: Iterable[ox.Quad] = (),
        add: Iterable[ox.Quad] = (),
    ) -> None:
        """Empty the `drop` graphs, remove `remove` and add `add`, as one change: all or
        nothing."""
        ...

    def quads(self, graph: str) -> Iterable[ox.Quad]:
        """The statements of one named graph (a store may read them as they are iterated)."""
        ...

    def graphs(self) -> dict[str, int]:
        """Named graphs and their triple counts."""
        ...

    def graph_names(self) -> list[str]:
        """Named graphs, sorted, without counting their triples."""
        ...

    def drop_graph(self, graph: str) -> None: ...

    def snapshot(self, target: Path) -> None:
        """Write a read-only copy at `target` (when `capabilities.snapshots`)."""
        ...

    def memory_copy(self) -> Store:
        """An in-memory copy of the store as it is now (when `capabilities.memory_copy`),
        kept until the next write."""
        ...

    def flush(self) -> None: ...

    def optimize(self) -> None: ...

    def close(self) -> None: ...

    def __len__(self) -> int: ...


def export_format(fmt: str) -> tuple[ox.RdfFormat, dict[str, str] | None]:
    """The format `stkg export --format` names, and the prefixes written with it (Turtle and
    TriG only)."""
    try:
        rdf_fmt = EXPORT_FORMATS[fmt]
    except KeyError:
        raise SourceError(f"unknown export format {fmt!r}") from None
    return rdf_fmt, PREFIXES if rdf_fmt in (ox.RdfFormat.TURTLE, ox.RdfFormat.TRIG) else None
