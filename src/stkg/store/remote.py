"""The remote backend: any SPARQL 1.1 server over HTTP (Virtuoso is the one tested).

Queries go by form POST (a direct `application/sparql-query` POST hangs Virtuoso 7.2), with
the dataset spelled out: the default graph is the union of stkg's graphs on the server and
`GRAPH ?g` sees only those, as on the embedded store (a server's own default graph holds
graphs of its own: Virtuoso's has 2,500 triples on an empty database). Answers are parsed
into the same `QueryResult` as the embedded store's, so no caller knows the difference.

What the server answers wrongly is found by the conformance probe (`stkg.store.probe`) and
rewritten (`stkg.store.rewrite`) or refused; an answer that the server may have cut at a row
cap is an error, never a shorter answer. Loads are staged in a scratch graph, then moved onto
the target graph in one update: a failed load leaves the graph as it was.

Nothing is ever written on the local disk for a remote store.
"""

from __future__ import annotations

import contextlib
import re
import time
import uuid
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Unpack

import pyoxigraph as ox
import requests
from requests.auth import AuthBase, HTTPBasicAuth, HTTPDigestAuth

from stkg.errors import SourceError, StkgError
from stkg.rdf_files import Source, check_syntax, read_quads
from stkg.results import QueryResult
from stkg.sandbox import tokens
from stkg.store.base import Capabilities, LoadReport, QueryOptions, export_format
from stkg.store.remote_wire import (
    INSERT_NTRIPLES,
    batches,
    bind_values,
    check_reply,
    insert_data_with_blank_nodes,
    insert_text,
    quads_text,
    query_form,
    read_answer,
    refuse_cut,
    spo,
    values_clause,
)
from stkg.store.rewrite import FRESH, rewrite

# Graphs stkg writes for itself on the server: staging copies of a load, the probe's.
STAGING = "urn:stkg:staging:"
PROBE_GRAPHS = "urn:stkg:probe:"
# Graphs a server keeps for itself; never part of stkg's dataset.
SERVER_GRAPHS = (
    "http://www.openlinksw.com/",
    "http://www.w3.org/ns/ldp#",
    "http://localuriqaserver/",
    STAGING,
    PROBE_GRAPHS,
)
NO_GRAPH = "urn:stkg:no-graph"  # names an empty dataset (an empty list means "the server's")
GSP_BATCH = 50_000  # triples per Graph Store Protocol request
LISTING_AGE = 2.0  # seconds a list of the server's graphs is trusted for a dataset
UPDATE_BATCH = 1_000  # triples per INSERT DATA: Virtuoso's parser runs out of memory at 5,000

_ACCEPT = {
    "select": "application/sparql-results+xml",
    "ask": "application/sparql-results+xml",
    "graph": "application/n-triples",
}


def is_url(spec: object) -> bool:
    return isinstance(spec, str) and re.match(r"^https?://", spec, re.I) is not None


class RemoteStore:
    """A SPARQL 1.1 server as stkg's store: `url` answers queries; `update_url` (the same by
    default) takes SPARQL Update, with `user` and `password` by Basic or Digest auth,
    whichever the server asks for."""

    def __init__(
        self,
        url: str,
        *,
        update_url: str | None = None,
        user: str | None = None,
        password: str | None = None,
        gsp_url: str | None = None,
        timeout: float | None = None,
        probe: bool = True,
    ) -> None:
        self.url = url
        self.update_url = update_url or url
        self.gsp_url = gsp_url or _graph_store_url(self.update_url)
        self.timeout = timeout
        self.capabilities = Capabilities(union_default_graph=True, snapshots=False, persistent=True)
        self.rolled_back = False
        self._credentials = (user, password or "") if user else None
        self._auth: AuthBase | None = None
        self._session = requests.Session()
        self._names: list[str] | None = None  # stkg's graphs, until this process writes
        self._all: list[str] | None = None  # every graph on the server, as last listed
        self._listed = 0.0
        self._closures: dict[tuple[str, str, tuple[str, ...]], list[str]] = {}
        self.faults: set[str] = set()
        self.row_cap: int | None = None
        self.booleans_as_numbers = False
        self.server = ""
        if probe:
            from stkg.store.probe import findings

            findings(self).apply(self)

    def __repr__(self) -> str:
        return f"RemoteStore({self.url!r})"

    # --- HTTP ----------------------------------------------------------------------------

    def send(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        """One request, answering the server's auth challenge with the credentials."""
        kwargs.setdefault("timeout", (10, self.timeout))
        try:
            reply = self._session.request(method, url, auth=self._auth, **kwargs)
            if reply.status_code == 401 and self._credentials and self._auth is None:
                self._auth = _auth_for(reply, *self._credentials)
                reply = self._session.request(method, url, auth=self._auth, **kwargs)
        except requests.Timeout:
            from stkg.execution import QueryTimeout

            raise QueryTimeout(
                f"the SPARQL server {url} did not answer within {self.timeout:g} s"
            ) from None
        except requests.RequestException as error:
            raise StkgError(f"{url}: cannot reach the SPARQL server: {error}") from None
        self.server = reply.headers.get("Server", self.server)
        return reply

    # --- Queries -------------------------------------------------------------------------

    def raw_query(
        self,
        text: str,
        *,
        default_graphs: Sequence[str] | None = None,
        named_graphs: Sequence[str] | None = None,
        use_dataset: bool = True,
    ) -> tuple[QueryResult, requests.Response]:
        """The server's own answer to `text`, parsed, with no rewrite and no cap check."""
        toks = tokens(text)
        form = query_form(toks)
        headers = {"Accept": _ACCEPT[form]}
        if not use_dataset or any(t.kind == "word" and t.text.upper() == "FROM" for t in toks):
            reply = self.send("POST", self.url, data=[("query", text)], headers=headers)
            return self._answer(reply, form)
        if self.server.startswith("Virtuoso") and time.monotonic() - self._listed > LISTING_AGE:
            self._names = None  # graphs others made since: the exclusions must name them
        own = self.graph_names()
        default = list(default_graphs) if default_graphs is not None else own
        named = list(named_graphs) if named_graphs is not None else own
        listed = [("query", text)]
        listed += [("default-graph-uri", g) for g in default or [NO_GRAPH]]
        listed += [("named-graph-uri", g) for g in named or [NO_GRAPH]]
        if self.server.startswith("Virtuoso"):
            # The same dataset as exclusions from the server's union: a complex query with
            # 21 graphs as default-graph-uri took 7.7 s, with exclusions 0.4 s. Some queries
            # overflow Virtuoso's stack with them (SQ200): those go with the list.
            # (named-graph-uri stays a list: with define input:named-graph-exclude, or with
            # no named graphs given, Virtuoso's GRAPH <g> matched nothing.)
            excluded = [("query", _excluding(self._all or [], default) + text)]
            excluded += [("named-graph-uri", g) for g in named or [NO_GRAPH]]
            reply = self.send("POST", self.url, data=excluded, headers=headers)
            if not (reply.status_code == 500 and "SQ200" in reply.text[:200]):
                return self._answer(reply, form)
        reply = self.send("POST", self.url, data=listed, headers=headers)
        return self._answer(reply, form)

    def _answer(self, reply: requests.Response, form: str) -> tuple[QueryResult, requests.Response]:
        check_reply(reply, "query", anonymous=self._credentials is None)
        return read_answer(reply.content, form, booleans_as_numbers=self.booleans_as_numbers), reply

    def query(self, sparql: str, **options: Unpack[QueryOptions]) -> QueryResult:
        """Run a SPARQL 1.1 query on the server (`QueryOptions` says what the options mean):
        rewritten where the server is wrong, refused where it cannot be, never cut."""
        text = sparql
        base_iri = options.get("base_iri")
        if base_iri and not re.match(r"\s*BASE\b", text, re.I):
            text = f"BASE <{base_iri}>\n{text}"
        default_graphs = options.get("default_graphs")
        named_graphs = options.get("named_graphs")
        done = rewrite(
            text, self.faults, lambda predicate, iri: self._closure(predicate, iri, default_graphs)
        )
        text = done.text
        bindings = options.get("bindings")
        if bindings:
            text = bind_values(text, values_clause(bindings))
        result, reply = self.raw_query(
            text, default_graphs=default_graphs, named_graphs=named_graphs
        )
        refuse_cut(result, reply, self.row_cap)
        if done.applied and any(v.startswith(FRESH) for v in result.variables):
            keep = [i for i, v in enumerate(result.variables) if not v.startswith(FRESH)]
            result.variables = [result.variables[i] for i in keep]
            result.rows = [tuple(row[i] for i in keep) for row in result.rows]
        return result

    def _closure(self, predicate: str, iri: str, graphs: Sequence[str] | None) -> list[str]:
        """What `?c <predicate>* <iri>` covers, asked with `?c` unbound (which servers
        answer right), and `<iri>` itself: the zero-length step."""
        key = (predicate, iri, tuple(graphs or ()))
        if key not in self._closures:
            result, reply = self.raw_query(
                f"SELECT DISTINCT ?c WHERE {{ ?c <{predicate}>* <{iri}> }}", default_graphs=graphs
            )
            refuse_cut(result, reply, self.row_cap)
            found = {row[0].value for row in result.rows if isinstance(row[0], ox.NamedNode)}
            self._closures[key] = sorted(found | {iri})
        return self._closures[key]

    # --- Writes --------------------------------------------------------------------------

    def _changed(self) -> None:
        self._names = None
        self._closures.clear()

    def update(self, sparql: str, *, base_iri: str | None = None) -> None:
        """Run SPARQL Update on the server; one large INSERT DATA of triples (a stored
        validation report) goes in batches, its blank nodes kept whole."""
        big = INSERT_NTRIPLES.match(sparql) if len(sparql) > 100_000 else None
        if big is not None:  # e.g. a validation report: Virtuoso's parser stops at ~5,000
            try:
                triples = list(ox.parse(big.group(2), format=ox.RdfFormat.TURTLE))
            except SyntaxError:
                triples = None
            if triples is not None:  # staged, then added in one update: all or nothing
                staging = f"{STAGING}{uuid.uuid4().hex}"
                node = ox.NamedNode(staging)
                try:
                    self._insert(staging, [ox.Quad(*spo(t), node) for t in triples])
                    self.update(f"ADD SILENT GRAPH <{staging}> TO GRAPH <{big.group(1)}>")
                finally:
                    self.update(f"DROP SILENT GRAPH <{staging}>")
                return
        text = sparql
        if base_iri and not re.match(r"\s*BASE\b", text, re.I):
            text = f"BASE <{base_iri}>\n{text}"
        text = insert_data_with_blank_nodes(text)
        try:
            reply = self.send("POST", self.update_url, data={"update": text})
            check_reply(reply, "update", anonymous=self._credentials is None)
        finally:
            self._changed()

    def load(self, sources: Sequence[Source], *, replace: bool = True) -> list[LoadReport]:
        """Load files, each into its own named graph, all parsed before any is sent. Each
        graph is filled in a staging graph first; one update then moves every staged graph
        onto its target, so a failure half way leaves the targets as they were."""
        counts = [check_syntax(source) for source in sources]
        run = uuid.uuid4().hex
        staged: list[tuple[str, str, bool]] = []
        emptied: list[str] = []
        try:
            for source in sources:
                by_graph: dict[str, list[ox.Quad]] = {source.graph: []}
                for quad in read_quads(source):
                    by_graph.setdefault(quad.graph_name.value, []).append(quad)
                for graph, quads in by_graph.items():
                    replacing = replace and graph == source.graph
                    if not quads:
                        if replacing:
                            emptied.append(graph)
                        continue
                    staging = f"{STAGING}{run}/{len(staged)}"
                    self._insert(staging, quads)
                    staged.append((staging, graph, replacing))
            operations = [f"DROP SILENT GRAPH <{g}>" for g in emptied]
            for staging, graph, replacing in staged:
                if replacing:
                    operations.append(f"MOVE SILENT GRAPH <{staging}> TO GRAPH <{graph}>")
                else:
                    operations.append(f"ADD SILENT GRAPH <{staging}> TO GRAPH <{graph}>")
                    operations.append(f"DROP SILENT GRAPH <{staging}>")
            if operations:
                self.update(" ;\n".join(operations))
        except BaseException:
            for staging, _, _ in staged:
                with contextlib.suppress(StkgError):
                    self.update(f"DROP SILENT GRAPH <{staging}>")
            raise
        finally:
            self._changed()
        return [
            LoadReport(s.graph, s.label, count) for s, count in zip(sources, counts, strict=True)
        ]

    def _insert(self, graph: str, quads: Sequence[ox.Quad]) -> None:
        """Add `quads` to `graph` in batches; a blank node's statements share one batch, so
        it stays one node."""
        triples = [ox.Triple(q.subject, q.predicate, q.object) for q in quads]
        if self.gsp_url is not None:
            for batch in batches(triples, GSP_BATCH):
                body = ox.serialize(batch, format=ox.RdfFormat.N_TRIPLES)
                reply = self.send(
                    "POST",
                    self.gsp_url,
                    params={"graph": graph},
                    data=body,
                    headers={"Content-Type": "application/n-triples"},
                )
                check_reply(reply, "update", anonymous=self._credentials is None)
        else:
            for batch in batches(triples, UPDATE_BATCH):
                self.update(insert_text(graph, batch))
        self._changed()

    def add_quads(self, quads: Iterable[ox.Quad]) -> None:
        by_graph: dict[str, list[ox.Quad]] = {}
        for quad in quads:
            if not isinstance(quad.graph_name, ox.NamedNode):
                raise StkgError("a remote store holds named graphs only")
            by_graph.setdefault(quad.graph_name.value, []).append(quad)
        for graph, group in by_graph.items():
            self._insert(graph, group)

    def write(
        self,
        *,
        drop: Sequence[str] = (),
        remove: Iterable[ox.Quad] = (),
        add: Iterable[ox.Quad] = (),
    ) -> None:
        """Empty the `drop` graphs, remove and add quads, in one update request."""
        removed, added = list(remove), list(add)
        if any(isinstance(t, ox.BlankNode) for q in removed for t in (q.subject, q.object)):
            raise StkgError("a remote store cannot remove statements about blank nodes")
        operations = [f"DROP SILENT GRAPH <{g}>" for g in drop]
        if removed:
            operations.append(f"DELETE DATA {{ {quads_text(removed)} }}")
        if added:
            operations.append(
                insert_data_with_blank_nodes(f"INSERT DATA {{ {quads_text(added)} }}")
            )
        if operations:
            self.update(" ;\n".join(operations))

    def drop_graph(self, graph: str) -> None:
        self.update(f"DROP SILENT GRAPH <{graph}>")

    # --- Reads ---------------------------------------------------------------------------

    def quads(self, graph: str) -> list[ox.Quad]:
        node = ox.NamedNode(graph)
        return [ox.Quad(t.subject, t.predicate, t.object, node) for t in self._triples(graph)]

    def _triples(self, graph: str | None) -> list[ox.Triple]:
        where = f"GRAPH <{graph}> {{ ?s ?p ?o }}" if graph else "?s ?p ?o"
        result, reply = self.raw_query(f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ {where} }}")
        refuse_cut(result, reply, self.row_cap)
        return result.triples

    def export(self, fmt: str, *, graph: str | None = None) -> bytes:
        """Serialise stkg's graphs on the server, as the embedded store does."""
        rdf_fmt, prefixes = export_format(fmt)
        if graph is not None:
            if graph not in self.graph_names():
                raise SourceError(f"no graph named <{graph}> in the store")
            return ox.serialize(self._triples(graph), format=rdf_fmt, prefixes=prefixes)
        if rdf_fmt.supports_datasets:
            quads = [q for name in self.graph_names() for q in self.quads(name)]
            return ox.serialize(quads, format=rdf_fmt, prefixes=prefixes)
        return ox.serialize(set(self._triples(None)), format=rdf_fmt, prefixes=prefixes)

    def graphs(self) -> dict[str, int]:
        # GROUP BY, not DISTINCT: Virtuoso answers DISTINCT ?g by a scan (10 s for 27 graphs
        # on a loaded machine), GROUP BY ?g from an index (10 ms)
        result, _ = self.raw_query(
            "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g",
            use_dataset=False,
        )
        counts = {
            row[0].value: int(row[1].value)
            for row in result.rows
            if isinstance(row[0], ox.NamedNode)
        }
        self._all = sorted(counts)
        self._listed = time.monotonic()
        self._names = [g for g in self._all if _ours(g)]
        return {g: counts[g] for g in self._names}

    def graph_names(self) -> list[str]:
        if self._names is None:
            result, _ = self.raw_query(
                "SELECT ?g WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g", use_dataset=False
            )
            self._all = sorted(r[0].value for r in result.rows if isinstance(r[0], ox.NamedNode))
            self._listed = time.monotonic()
            self._names = [g for g in self._all if _ours(g)]
        return list(self._names)

    def snapshot(self, target: Path) -> None:
        raise StkgError("a remote store has no local snapshot (capabilities.snapshots)")

    def flush(self) -> None:
        """Nothing to do: every update is committed by the server when it answers."""

    def optimize(self) -> None:
        """Nothing to do: the server manages its own files."""

    def close(self) -> None:
        self._session.close()

    def __len__(self) -> int:
        result = self.query("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
        return int(result.rows[0][0].value) if result.rows else 0


# --- Helpers ------------------------------------------------------------------------------


def _excluding(every: Sequence[str], default: Sequence[str]) -> str:
    """Virtuoso's pragmas for a default graph: its union of graphs less those not in it."""
    keep = set(default)
    return "".join(f"define input:default-graph-exclude <{g}>\n" for g in every if g not in keep)


def _ours(graph: str) -> bool:
    return not graph.startswith(SERVER_GRAPHS)


def _graph_store_url(update_url: str) -> str | None:
    """Virtuoso's Graph Store Protocol endpoint beside its authenticated SPARQL one."""
    if update_url.rstrip("/").endswith("/sparql-auth"):
        return update_url.rstrip("/")[: -len("/sparql-auth")] + "/sparql-graph-crud-auth"
    return None


def _auth_for(reply: requests.Response, user: str, password: str) -> AuthBase:
    challenge = reply.headers.get("WWW-Authenticate", "").lower()
    return (
        HTTPDigestAuth(user, password) if "digest" in challenge else HTTPBasicAuth(user, password)
    )
