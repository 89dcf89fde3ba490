"""The conformance probe: what a SPARQL server answers wrongly, found before it matters.

A small known dataset goes into a scratch graph; each query shape stkg relies on is asked
and its answer compared with the right one. A wrong shape is then rewritten
(`stkg.store.rewrite`), normalised in the answers, or refused with an error naming it; a
row cap is measured, and an answer that reaches it is an error (`AnswerCut`). Every shape
here was found wrong on a real server (Virtuoso 7.2.5; docs/remote-store.md).

The findings are kept on the server itself, in `urn:stkg:probe:result`, with the server's
version (its `Server` header) and the probe's: a later connection reads them in one query and
probes again only when either changed. A client without update rights cannot probe; it
assumes every fault (each rewrite means the same on a server that has none).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pyoxigraph as ox

from stkg.errors import StkgError
from stkg.results import QueryResult
from stkg.store.rewrite import MINUS_UNSHARED, SAMETERM_LITERAL, STAR_PATH, UNBOUND_EXPRESSION

if TYPE_CHECKING:
    from stkg.store.remote import RemoteStore

PROBE_VERSION = "4"
DATA_GRAPH = "urn:stkg:probe:data"
RESULT_GRAPH = "urn:stkg:probe:result"
BOOLEANS = "boolean-terms"
ROW_CAP = "row-cap"
ASSUMED = ("rewritten", "normalised", "refused: COALESCE")  # what a read-only client assumes
ROWS_ASKED = 101 * 100  # above Debian Virtuoso's default ResultSetMaxRows (10,000)

DATA = """\
@prefix p: <urn:stkg:probe:> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
p:Sub rdfs:subClassOf p:Top .
p:Top rdfs:subClassOf p:Thing .
p:x a p:Sub ; p:level "high" ; p:flag true .
p:y a p:Other ; p:level "low" .
p:z a p:Top ; p:level "mid" .
"""
INSERTED = "<urn:stkg:probe:w> <urn:stkg:probe:flag> false ."  # by SPARQL Update
_P = "PREFIX p: <urn:stkg:probe:> PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> "
X, Y, Z = "<urn:stkg:probe:x>", "<urn:stkg:probe:y>", "<urn:stkg:probe:z>"


@dataclass(frozen=True)
class Check:
    name: str  # the fault it finds, as rewrites and errors name it
    shape: str  # what is asked, in words
    queries: tuple[str, ...]
    expected: frozenset[tuple[str, ...]]
    remedy: str  # what stkg does when the server gets it wrong


CHECKS = (
    Check(
        STAR_PATH,
        "the zero-length step of a * property path joined after a group",
        (_P + "SELECT ?s WHERE { { ?s p:level ?l } ?s a ?c . ?c rdfs:subClassOf* p:Top }",),
        frozenset({(X,), (Z,)}),
        "rewritten: VALUES over the closure, asked first; refused where it cannot be",
    ),
    Check(
        STAR_PATH,
        "the zero-length step of a * property path inside MINUS, FILTER NOT EXISTS and "
        "OPTIONAL…!BOUND",
        (
            _P + "SELECT ?s WHERE { ?s p:level ?l MINUS { ?s a/rdfs:subClassOf* p:Top } }",
            _P + "SELECT ?s WHERE { ?s p:level ?l FILTER NOT EXISTS { "
            "?c rdfs:subClassOf* p:Top . ?s a ?c } }",
            _P + "SELECT ?s WHERE { ?s p:level ?l OPTIONAL { ?s a/rdfs:subClassOf* p:Top "
            "BIND(1 AS ?t) } FILTER(!BOUND(?t)) }",
        ),
        frozenset({(Y,)}),
        "rewritten: VALUES over the closure, asked first; refused where it cannot be",
    ),
    Check(
        SAMETERM_LITERAL,
        'sameTerm(?v, "high") on a stored simple literal',
        (_P + 'SELECT ?s WHERE { ?s p:level ?v FILTER(sameTerm(?v, "high")) }',),
        frozenset({(X,)}),
        'rewritten: (?v = "high")',
    ),
    Check(
        MINUS_UNSHARED,
        "MINUS sharing no variable with the pattern before it",
        (_P + "SELECT ?s WHERE { ?s p:level ?l MINUS { ?a p:flag ?b } }",),
        frozenset({(X,), (Y,), (Z,)}),
        "rewritten: such a MINUS is left out (it removes nothing)",
    ),
    Check(
        UNBOUND_EXPRESSION,
        "an expression over an unbound variable is an error (COALESCE moves on)",
        (_P + 'SELECT ?s (COALESCE(IF(?u = 1, "a", "b"), "none") AS ?v) WHERE { ?s p:flag ?f }',),
        frozenset({(X, '"none"'), ("<urn:stkg:probe:w>", '"none"')}),
        "refused: COALESCE(IF(…), …); test the variable with BOUND()",
    ),
    Check(
        BOOLEANS,
        "a stored xsd:boolean (loaded, and inserted by SPARQL Update) comes back as itself",
        (_P + "SELECT ?f WHERE { ?s p:flag ?f }",),
        frozenset(
            {
                ('"true"^^<http://www.w3.org/2001/XMLSchema#boolean>',),
                ('"false"^^<http://www.w3.org/2001/XMLSchema#boolean>',),
            }
        ),
        'normalised: "1"^^xsd:boolean is read as true',
    ),
    Check(
        "values-clause",
        "VALUES first in the WHERE group (how bound parameters are sent)",
        (_P + "SELECT ?s ?l WHERE { VALUES ?s { p:x } ?s p:level ?l } ORDER BY ?l",),
        frozenset({(X, '"high"')}),
        "refused: named queries with parameters cannot run",
    ),
    Check(
        "ask",
        "ASK",
        (_P + 'ASK { ?s p:level "high" }',),
        frozenset({("true",)}),
        "refused: ASK queries cannot run",
    ),
)


@dataclass
class Findings:
    """What the probe found: faults by check name, the row cap, the server's version."""

    server: str = ""
    faults: set[str] = field(default_factory=set)
    row_cap: int | None = None
    probed: bool = True  # False: the client could not probe, so every fault is assumed

    def apply(self, store: RemoteStore) -> None:
        store.faults = self.faults - {BOOLEANS}
        store.booleans_as_numbers = BOOLEANS in self.faults
        store.row_cap = self.row_cap

    def to_json(self) -> str:
        return json.dumps(
            {"server": self.server, "faults": sorted(self.faults), "row_cap": self.row_cap}
        )

    @classmethod
    def from_json(cls, text: str) -> Findings:
        data = json.loads(text)
        return cls(data["server"], set(data["faults"]), data["row_cap"])


_seen: dict[tuple[str, str], Findings] = {}  # per process: (URL, server version) -> findings


def findings(store: RemoteStore) -> Findings:
    """The server's findings: this process's, else those kept on the server for its
    version, else a fresh probe (kept on the server for the next connection)."""
    kept = _kept(store)  # also learns the server's version from its answer
    key = (store.url, store.server)
    if key in _seen:
        return _seen[key]
    if kept is not None and kept.server == store.server:
        _seen[key] = kept
        return kept
    found = probe(store)
    if found.probed:
        with contextlib.suppress(StkgError):
            _keep(store, found)
    _seen[key] = found
    return found


def _kept(store: RemoteStore) -> Findings | None:
    result, _ = store.raw_query(
        f"SELECT ?r WHERE {{ GRAPH <{RESULT_GRAPH}> {{ <{RESULT_GRAPH}> "
        f"<urn:stkg:probe:findings-{PROBE_VERSION}> ?r }} }}",
        use_dataset=False,
    )
    if not result.rows or result.rows[0][0] is None:
        return None
    try:
        return Findings.from_json(result.rows[0][0].value)
    except (ValueError, KeyError):
        return None


def _keep(store: RemoteStore, found: Findings) -> None:
    text = ox.Literal(found.to_json())
    store.update(
        f"DROP SILENT GRAPH <{RESULT_GRAPH}> ; INSERT DATA {{ GRAPH <{RESULT_GRAPH}> {{ "
        f"<{RESULT_GRAPH}> <urn:stkg:probe:findings-{PROBE_VERSION}> {text} }} }}"
    )


def probe(store: RemoteStore) -> Findings:
    """Run every check on the server now."""
    found = Findings(store.server)
    found.row_cap = _row_cap(lambda text: store.raw_query(text, use_dataset=False)[0])
    try:
        store.update(f"DROP SILENT GRAPH <{DATA_GRAPH}>")
        store.add_quads(
            ox.Quad(t.subject, t.predicate, t.object, ox.NamedNode(DATA_GRAPH))
            for t in ox.parse(DATA, format=ox.RdfFormat.TURTLE)
        )
        store.update(f"INSERT DATA {{ GRAPH <{DATA_GRAPH}> {{ {INSERTED} }} }}")
    except StkgError:  # read-only: assume the worst, which the rewrites make right anyway
        found.faults = {c.name for c in CHECKS if c.remedy.startswith(ASSUMED)}
        found.probed = False
        return found
    try:
        found.faults = set(
            wrong(
                lambda text: store.raw_query(text, default_graphs=[DATA_GRAPH], named_graphs=[])[0]
            )
        )
    finally:
        store.update(f"DROP SILENT GRAPH <{DATA_GRAPH}>")
    found.server = store.server
    return found


def wrong(ask: Callable[[str], QueryResult]) -> list[str]:
    """The names of the checks `ask` answers wrongly (`ask` runs on the probe's data)."""
    faults = []
    for check in CHECKS:
        for text in check.queries:
            try:
                answer = _rows(ask(text))
            except StkgError:
                answer = None
            if answer != check.expected:
                faults.append(check.name)
                break
    return faults


def _row_cap(ask: Callable[[str], QueryResult]) -> int | None:
    values = " ".join(str(i) for i in range(101))
    result = ask(f"SELECT ?a ?b WHERE {{ VALUES ?a {{ {values} }} VALUES ?b {{ {values[:-4]} }} }}")
    return len(result) if len(result) < ROWS_ASKED else None


def _rows(result: QueryResult) -> frozenset[tuple[str, ...]]:
    if result.kind == "ask":
        return frozenset({("true" if result.boolean else "false",)})
    return frozenset(tuple(str(t) for t in row) for row in result.rows)


def report(found: Findings) -> list[tuple[str, str, str]]:
    """(check, what was asked, verdict) for `stkg store check`."""
    lines = []
    for check in CHECKS:
        verdict = f"wrong; {check.remedy}" if check.name in found.faults else "right"
        lines.append((check.name, check.shape, verdict))
    cap = (
        f"wrong; answers stop at {found.row_cap:,} rows: one that reaches it is an error"
        if found.row_cap
        else "right"
    )
    lines.append((ROW_CAP, "a row cap that cuts answers without saying so", cap))
    return lines
