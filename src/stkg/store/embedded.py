"""The embedded backend: Oxigraph in memory, or on disk (RocksDB) with a path.

On disk the store keeps an image of its content for fast in-memory copies and a manifest of
the files loaded (`stkg.store.image`): every write marks the image stale first, and `close`
(or the next `memory_copy`) writes it again.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Unpack

import pyoxigraph as ox

from stkg import restore_point
from stkg.errors import SourceError, StkgError
from stkg.negation import minus_for_not_exists
from stkg.rdf_files import Source, check_syntax, load_file, pause_at, rdf_format
from stkg.results import QueryResult
from stkg.store import image
from stkg.store.base import (
    Capabilities,
    LoadReport,
    NQuads,
    QueryOptions,
    Term,
    export_format,
)

WRITE_PART = 100_000  # quads per bulk write into an on-disk store
COPY_PART = 2_000  # quads per transaction when a new in-memory store is filled (`filled`)


def filled(quads: Iterable[ox.Quad]) -> ox.Store:
    """A new in-memory Oxigraph store holding `quads`, every term as it is (blank nodes keep
    their ids; a dump and load would rename them), added `COPY_PART` quads per transaction
    as they are read. Queries on a store filled by one `bulk_extend` or one `extend` of all
    the quads ran 2.3x slower than on one made with Oxigraph's `load` (100,000 systems:
    systems-without-owner 325 ms against 140 ms); with parts of 2,000 they ran as fast as
    after `load` (141 ms), with parts of 20,000 at 157 ms and of 200,000 at 259 ms, and
    the store took 1.5 GiB instead of 1.8 (docs/decisions.md, 2026-12-07)."""
    store = ox.Store()
    quads = iter(quads)
    while part := list(itertools.islice(quads, COPY_PART)):
        store.extend(part)
    return store


def query_error(error: SyntaxError, label: str = "query") -> SourceError:
    """A SPARQL syntax error as a SourceError with line and column when Oxigraph gives them."""
    message = str(error)
    line = column = None
    # Oxigraph reports query errors as "error at LINE:COLUMN: explanation".
    if message.startswith("error at "):
        where, _, rest = message[len("error at ") :].partition(": ")
        line_text, _, column_text = where.partition(":")
        if line_text.isdigit() and column_text.isdigit():
            line, column, message = int(line_text), int(column_text), rest
    return SourceError(message, label, line, column)


def query_options(
    bindings: Mapping[str, Term] | None = None,
    default_graphs: Sequence[str] | None = None,
    named_graphs: Sequence[str] | None = None,
    base_iri: str | None = None,
) -> dict[str, Any]:
    """Keyword arguments for `pyoxigraph.Store.query`: stkg's dataset and binding rules."""
    options: dict[str, Any] = {"base_iri": base_iri}
    if default_graphs is not None:
        options["default_graph"] = [ox.NamedNode(g) for g in default_graphs]
    else:
        options["use_default_graph_as_union"] = True
    if named_graphs is not None:
        options["named_graphs"] = [ox.NamedNode(g) for g in named_graphs]
    if bindings:
        options["substitutions"] = {ox.Variable(k): v for k, v in bindings.items()}
    return options


class OxigraphStore:
    """The embedded store: Oxigraph in memory, or on disk when given a path."""

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path).absolute() if path is not None else None
        self.capabilities = Capabilities(
            union_default_graph=True,
            snapshots=True,
            persistent=self.path is not None,
            memory_copy=self.path is not None,
        )
        self.rolled_back = False  # an interrupted load was undone when the store was opened
        self._copy: OxigraphStore | None = None  # the in-memory copy, until the next write
        self._stale = False  # this process wrote since the image was last written
        if self.path is None:
            self._store = ox.Store()
            return
        if self.path.is_file():
            raise StkgError(f"{self.path}: is a file, not a store folder")
        restore_point.finish_interrupted_roll_back(self.path)
        self._store = self._open()
        if restore_point.pending(self.path):  # a load was killed: put the old content back
            self._roll_back()
            self.rolled_back = True
        restore_point.clean(self.path)

    @classmethod
    def from_files(cls, sources: Sequence[Source]) -> OxigraphStore:
        """A new in-memory store of these files, each in its graph, parsed once by Oxigraph.

        `load` parses every file twice (a syntax pass first) so that a change to a store
        that holds data is all or nothing; a new store needs no such care: a file that does
        not parse raises SourceError and no store is made."""
        store = cls()
        for source in sources:
            load_file(store._store, source)
        return store

    @classmethod
    def from_quads(cls, quads: Iterable[ox.Quad]) -> OxigraphStore:
        """A new in-memory store of these quads (`filled`). Should reading them fail, no
        store is made."""
        store = cls()
        store._store = filled(quads)
        return store

    def _open(self) -> ox.Store:
        assert self.path is not None
        try:
            self.path.mkdir(parents=True, exist_ok=True)
            return ox.Store(str(self.path))
        except OSError as error:  # most often: another process has the store open
            raise StkgError(f"{self.path}: cannot open the store: {error}") from None

    def _will_change(self, graphs: Sequence[str] | None = None) -> None:
        """Before any write: drop the in-memory copy; on disk, mark the image stale and let
        the manifest forget the graphs that may change (None: any), both durably first."""
        self._copy = None
        if self.path is not None:
            try:
                image.invalidate(self.path)
                image.forget(self.path, list(graphs) if graphs is not None else None)
            except OSError as error:
                raise StkgError(f"{self.path}: cannot write the store: {error}") from None
            self._stale = True

    def memory_copy(self) -> OxigraphStore:
        """An in-memory copy, loaded from the image (written first when stale): validation
        on it is faster than on RocksDB even with the load (docs/decisions.md). In memory,
        the store itself."""
        if self.path is None:
            return self
        if self._copy is None:
            found = self._image()
            copy = OxigraphStore()
            copy._store = image.load(found)
            self._copy = copy
        return self._copy

    def _image(self) -> Path:
        assert self.path is not None
        found = None if self._stale else image.current(self.path)
        if found is None:
            self.flush()
            try:
                found = image.write(self._store, self.path)
            except OSError as error:
                raise StkgError(f"{self.path}: cannot write the store's image: {error}") from None
            self._stale = False
        return found

    def _roll_back(self) -> None:
        assert self.path is not None
        self._will_change()
        del self._store  # releases the lock; the files can then be swapped
        try:
            restore_point.roll_back(self.path)
        finally:
            self._store = self._open()

    @contextmanager
    def _all_or_nothing(self) -> Iterator[None]:
        """On disk, the writes inside happen whole or not at all, even under kill -9."""
        if self.path is None:
            yield
            return
        try:
            restore_point.create(self._store, self.path)
        except OSError as error:
            raise StkgError(f"{self.path}: cannot make a restore point: {error}") from None
        try:
            yield
            self._store.flush()
        except BaseException:
            self._roll_back()
            raise
        restore_point.discard(self.path)

    def query(self, sparql: str, **options: Unpack[QueryOptions]) -> QueryResult:
        """Run a SPARQL 1.1 query (`QueryOptions` says what the options mean)."""
        if not options.get("bindings"):  # see stkg.negation for why not with bindings
            sparql = minus_for_not_exists(sparql)
        try:
            raw = self._store.query(sparql, **query_options(**options))
        except SyntaxError as error:
            raise query_error(error) from None
        except RuntimeError as error:  # e.g. a binding for a variable the query does not project
            raise SourceError(str(error), "query") from None
        return QueryResult.from_oxigraph(raw)

    def update(self, sparql: str, *, base_iri: str | None = None) -> None:
        self._will_change()
        try:
            self._store.update(sparql, base_iri=base_iri)
        except SyntaxError as error:
            raise query_error(error, "update") from None

    def load(self, sources: Sequence[Source], *, replace: bool = True) -> list[LoadReport]:
        """Load files, each into its own named graph; all are parsed before any is written.

        Oxigraph then reads each file itself, in one transaction, so a large file never
        becomes millions of Python objects.

        With `replace`, a graph that already exists is emptied first, so loading the same
        file twice leaves one copy; on disk, a file the manifest says is loaded unchanged in
        its graph is not loaded again (every command loads the project).
        """
        kept: dict[str, LoadReport] = {}
        if replace and self.path is not None:
            graphs = set(self.graph_names())
            for source in sources:
                same = image.unchanged(self.path, source, graphs)
                if same is not None:
                    kept[source.graph] = LoadReport(source.graph, source.label, same)
        changed = [s for s in sources if s.graph not in kept]
        if not changed:
            return [kept[s.graph] for s in sources]
        counts = [check_syntax(source) for source in changed]
        loaded: dict[str, LoadReport] = {}
        self._will_change([s.graph for s in changed])
        with self._all_or_nothing():
            pause_at("restore-point", changed)
            for source, count in zip(changed, counts, strict=True):
                if replace:
                    self.drop_graph(source.graph)
                pause_at("dropped", [source])
                # In memory, one transaction per file. On disk, a transaction of millions
                # of triples is very slow in RocksDB (a 4.2M-triple file did not finish in
                # 400 s; bulk_load took 52 s), and the syntax pass above already rules out
                # bad input; the restore point makes the whole load all-or-nothing.
                # No local holds the reader: an exception's traceback would keep the store
                # open through it, and the roll back must close the store to swap its files.
                try:  # blank nodes are fresh per load, so two files never share one
                    (self._store.load if self.path is None else self._store.bulk_load)(
                        path=source.path,
                        format=rdf_format(source.path, source.label),
                        base_iri=source.path.resolve().as_uri(),
                        to_graph=ox.NamedNode(source.graph),
                    )
                except (SyntaxError, OSError, ValueError, MemoryError) as error:
                    raise SourceError(str(error), source.label) from None
                pause_at("loaded", [source])
                loaded[source.graph] = LoadReport(source.graph, source.label, count)
        pause_at("committed", changed)
        if self.path is not None and replace:
            image.record_loads(self.path, {s.graph: (s, loaded[s.graph].triples) for s in changed})
        return [kept.get(s.graph) or loaded[s.graph] for s in sources]

    def add_quads(self, quads: Iterable[ox.Quad]) -> None:
        self._will_change()
        self._store.extend(quads)

    def write(
        self,
        *,
        drop: Sequence[str] = (),
        remove: Iterable[ox.Quad] = (),
        add: Iterable[ox.Quad] = (),
    ) -> None:
        """Empty the `drop` graphs, remove quads and add quads as one change: on disk all or
        nothing even under kill -9 (the restore point `load` makes). In memory the quads are
        all made before the store is touched, so a bad one changes nothing; on disk `add` is
        read and written in parts of `WRITE_PART` quads, so a caller that lets each part go
        as it is read (an iterator) never holds them all beside the store's copy, and a bad
        one rolls the whole change back. `NQuads` text is loaded by Oxigraph a part at a
        time (see `_add_text`).

        Emptying a graph on disk costs like removing each of its quads (68 s for 412,453 in
        RocksDB), so a caller replacing a graph with a similar one removes only what went."""
        removed = list(remove)
        text = isinstance(add, NQuads)
        added = list(add) if self.path is None and not text else iter(add)
        self._will_change()
        with self._all_or_nothing():
            for graph in drop:
                self.drop_graph(graph)
            for quad in removed:
                self._store.remove(quad)
            if text:
                self._add_text(add)  # type: ignore[arg-type]
                return
            if self.path is None:
                self._store.extend(added)
                return
            # bulk_extend for the reason load uses bulk_load (see `load`), a part at a time:
            # Oxigraph's bulk loader holds up to a million quads per thread before writing,
            # 2.4 GiB more at 4.1 million (docs/decisions.md)
            while part := list(itertools.islice(added, WRITE_PART)):
                self._store.bulk_extend(part)
                del part
                pause_at("written-part")

    def _add_text(self, add: NQuads) -> None:
        """Oxigraph loads the text: in memory as one transaction (a caller that wants its
        parts let go writes one part per change), on disk a part at a time inside the
        write's restore point. Text with blank nodes is parsed into quads instead: a load
        gives blank nodes new labels, and the quads given keep theirs."""
        parts = add.parts() if self.path is not None else iter(["".join(add.parts())])
        for part in parts:
            if "_:" in part:  # a blank node, or only a literal's text: parsed either way
                quads = list(ox.parse(part, format=ox.RdfFormat.N_QUADS))
                (self._store.extend if self.path is None else self._store.bulk_extend)(quads)
            else:
                (self._store.load if self.path is None else self._store.bulk_load)(
                    part, format=ox.RdfFormat.N_QUADS
                )
            if self.path is not None:
                pause_at("written-part")

    def quads(self, graph: str) -> Iterator[ox.Quad]:
        """The statements of one named graph, read from the store as they are iterated."""
        return self._store.quads_for_pattern(None, None, None, ox.NamedNode(graph))

    def export(self, fmt: str, *, graph: str | None = None) -> bytes:
        """Serialise the store. Quad formats keep the named graphs; triple formats write
        one graph, or the union of all graphs when none is named."""
        rdf_fmt, prefixes = export_format(fmt)
        if graph is not None:
            if not self._store.contains_named_graph(ox.NamedNode(graph)):
                raise SourceError(f"no graph named <{graph}> in the store")
            return self._store.dump(
                format=rdf_fmt, from_graph=ox.NamedNode(graph), prefixes=prefixes
            )
        if rdf_fmt.supports_datasets:
            return self._store.dump(format=rdf_fmt, prefixes=prefixes)
        triples = {ox.Triple(q.subject, q.predicate, q.object) for q in self._store}
        return ox.serialize(triples, format=rdf_fmt, prefixes=prefixes)

    def graphs(self) -> dict[str, int]:
        """Named graphs and their triple counts."""
        result = self._store.query(
            "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
        )
        counts = {row["g"].value: int(row["n"].value) for row in result}
        for name in self._store.named_graphs():  # empty graphs still exist
            if isinstance(name, ox.NamedNode):
                counts.setdefault(name.value, 0)
        return dict(sorted(counts.items()))

    def graph_names(self) -> list[str]:
        answer = self._store.query("SELECT DISTINCT ?g WHERE { GRAPH ?g { } }")
        return sorted(row[0].value for row in answer if isinstance(row[0], ox.NamedNode))

    def snapshot(self, target: Path) -> None:
        """A copy for query workers. On disk, a checkpoint of hard links to the immutable
        files (cheap); in memory, a new on-disk store, compacted: queries on merged files are
        2-3x faster than after a bulk load."""
        if self.path is not None:
            self.flush()
            self._store.backup(str(target))
            return
        copy = ox.Store(str(target))
        copy.bulk_extend(iter(self._store))
        copy.flush()
        copy.optimize()
        del copy

    def drop_graph(self, graph: str) -> None:
        node = ox.NamedNode(graph)
        if self._store.contains_named_graph(node):
            self._will_change([graph])
            self._store.remove_graph(node)

    def flush(self) -> None:
        if self.path is not None:
            try:
                self._store.flush()
            except OSError as error:  # e.g. the disk is full or the folder was removed
                raise StkgError(f"{self.path}: cannot write the store: {error}") from None

    def optimize(self) -> None:
        """Merge an on-disk store's files after a large load: bulk loading leaves them
        unmerged, and queries on them are slower (docs/decisions.md, "On-disk stores are
        compacted"). Takes seconds at millions of triples; nothing to do in memory."""
        if self.path is not None:
            self.flush()
            try:
                self._store.optimize()
            except OSError as error:
                raise StkgError(f"{self.path}: cannot compact the store: {error}") from None

    def close(self) -> None:
        """Flush and release the store; an on-disk store can then be opened again."""
        if not hasattr(self, "_store"):  # a roll back could not reopen it
            return
        try:
            self.flush()
            if self._stale:  # the next command reads the image: write it now, not then
                self._image()
        finally:
            self._copy = None
            del self._store

    def __len__(self) -> int:
        return len(self._store)
