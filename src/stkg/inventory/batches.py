"""Import batches: each import is one named graph, written in one all-or-nothing change with
its PROV-O record; a rollback removes the graph and is recorded too.

The batch graph is `https://w3id.org/stkg/graph/import/BATCH`; the record of every import and
rollback is in `https://w3id.org/stkg/graph/import-provenance`:

    <…/import-provenance/BATCH/20260101T120000.000000Z> a prov:Activity ;
        prov:wasAssociatedWith <urn:stkg:agent:NAME> ;
        prov:startedAtTime …, prov:endedAtTime … ;
        prov:used <…/source/1> ;  # a prov:Entity: the file's name and stkg:sha256
        prov:generated <…/graph/import/BATCH> ;  # prov:invalidated for a rollback
        stkg:rowCount 42 ; stkg:tripleCount 500 .
"""

from __future__ import annotations

import datetime
import getpass
import itertools
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import pyoxigraph as ox

from stkg.errors import SourceError, StkgError
from stkg.inventory.read import SourceFile
from stkg.namespace import STKG_NS
from stkg.project import GRAPH_BASE
from stkg.store import Store
from stkg.store.base import NQuads

BATCH_BASE = GRAPH_BASE + "import/"
PROVENANCE_GRAPH = GRAPH_BASE + "import-provenance"
PROV = "http://www.w3.org/ns/prov#"
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
RDFS_LABEL = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
XSD = "http://www.w3.org/2001/XMLSchema#"
_BATCH_ID = re.compile(r"^[a-z0-9][a-z0-9._-]{0,99}$")


@dataclass
class Batch:
    """An import checked and built, ready to write."""

    id: str
    statements: list[str]  # N-Quads lines in the batch's graph; empty once `released`
    rows: int
    files: list[SourceFile]
    started: datetime.datetime = field(default_factory=lambda: now())
    written: int | None = None  # the number of quads, once they are released

    @property
    def graph(self) -> str:
        return batch_graph(self.id)

    @property
    def triples(self) -> int:
        return len(self.statements) if self.written is None else self.written

    def release(self) -> None:
        """Let the statements go once they are in the store: at 100,000 systems 4.1
        million lines that the validation after an import needs no more."""
        self.written, self.statements = self.triples, []


def lines(quads: Iterable[ox.Quad]) -> list[str]:
    """Quads as N-Quads lines, the form a `Batch` holds them in."""
    return [f"{quad} .\n" for quad in quads]


def now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def batch_graph(batch: str) -> str:
    """The graph of a batch: an import's is under BATCH_BASE; a graph written through the
    Graph Store Protocol is its own batch, named by its IRI (a batch id has no `:`)."""
    return batch if ":" in batch else BATCH_BASE + batch


def batch_id(paths: Sequence[Path], explicit: str | None = None) -> str:
    """The batch a source goes to: `--batch`, else the name of the folder, file or
    workbook (several files: the folder holding them), so importing the same source again
    replaces its batch."""
    if explicit is not None:
        if not _BATCH_ID.match(explicit):
            raise SourceError(
                "a batch id is lower-case letters, digits, '.', '_' and '-'", f"--batch {explicit}"
            )
        return explicit
    resolved = [p.expanduser().absolute() for p in paths]
    if len(resolved) == 1:
        name = resolved[0].name if resolved[0].is_dir() else resolved[0].stem
    else:
        parents = {p.parent for p in resolved}
        name = parents.pop().name if len(parents) == 1 else "-".join(p.stem for p in resolved)
    slug = re.sub(r"[^a-z0-9._-]+", "-", name.lower()).strip("-.") or "inventory"
    return slug[:100]


def default_agent() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no user name in the environment or the password database
        return "unknown"


def _stkg(name: str) -> ox.NamedNode:
    return ox.NamedNode(STKG_NS + name)


def _prov(name: str) -> ox.NamedNode:
    return ox.NamedNode(PROV + name)


def _time(moment: datetime.datetime) -> ox.Literal:
    return ox.Literal(
        moment.isoformat().replace("+00:00", "Z"), datatype=ox.NamedNode(XSD + "dateTime")
    )


def _activity(batch: str, moment: datetime.datetime) -> ox.NamedNode:
    return ox.NamedNode(f"{PROVENANCE_GRAPH}/{batch}/{moment.strftime('%Y%m%dT%H%M%S.%fZ')}")


def _record(
    activity: ox.NamedNode,
    label: str,
    agent: str,
    started: datetime.datetime,
) -> list[ox.Triple]:
    agent_node = ox.NamedNode("urn:stkg:agent:" + quote(agent, safe=""))
    return [
        ox.Triple(activity, RDF_TYPE, _prov("Activity")),
        ox.Triple(activity, RDFS_LABEL, ox.Literal(label)),
        ox.Triple(activity, _prov("wasAssociatedWith"), agent_node),
        ox.Triple(agent_node, RDF_TYPE, _prov("Agent")),
        ox.Triple(agent_node, RDFS_LABEL, ox.Literal(agent)),
        ox.Triple(activity, _prov("startedAtTime"), _time(started)),
        ox.Triple(activity, _prov("endedAtTime"), _time(now())),
    ]


def provenance(batch: Batch, agent: str) -> list[ox.Quad]:
    """The PROV-O record of an import."""
    activity = _activity(batch.id, batch.started)
    graph = ox.NamedNode(batch.graph)
    names = ", ".join(Path(f.label).name for f in batch.files)
    triples = _record(activity, f"stkg import of {names} (batch {batch.id})", agent, batch.started)
    triples += [
        ox.Triple(activity, _prov("generated"), graph),
        ox.Triple(graph, RDF_TYPE, _prov("Entity")),
        ox.Triple(graph, RDFS_LABEL, ox.Literal(f"import batch {batch.id}")),
        ox.Triple(activity, _stkg("rowCount"), ox.Literal(batch.rows)),
        ox.Triple(activity, _stkg("tripleCount"), ox.Literal(batch.triples)),
    ]
    for number, file in enumerate(batch.files, start=1):
        source = ox.NamedNode(f"{activity.value}/source/{number}")
        triples += [
            ox.Triple(activity, _prov("used"), source),
            ox.Triple(source, RDF_TYPE, _prov("Entity")),
            ox.Triple(source, RDFS_LABEL, ox.Literal(file.label)),
            ox.Triple(source, _stkg("sha256"), ox.Literal(file.sha256)),
        ]
    where = ox.NamedNode(PROVENANCE_GRAPH)
    return [ox.Quad(t.subject, t.predicate, t.object, where) for t in triples]


def change_record(
    graph: str,
    label: str,
    agent: str,
    started: datetime.datetime,
    sources: Sequence[tuple[str, str]] = (),
    triples: int | None = None,
    *,
    removed: bool = False,
) -> list[ox.Quad]:
    """The PROV-O record of a change to a graph made outside an import (the Graph Store
    Protocol): as an import's, with `sources` (name, SHA-256) and the triples written, or,
    when the graph was `removed`, prov:invalidated as for a rollback."""
    activity = _activity(quote(graph, safe=""), started)
    triples_ = _record(activity, label, agent, started)
    node = ox.NamedNode(graph)
    if removed:
        triples_.append(ox.Triple(activity, _prov("invalidated"), node))
    else:
        triples_ += [
            ox.Triple(activity, _prov("generated"), node),
            ox.Triple(node, RDF_TYPE, _prov("Entity")),
            ox.Triple(activity, _stkg("rowCount"), ox.Literal(triples or 0)),
            ox.Triple(activity, _stkg("tripleCount"), ox.Literal(triples or 0)),
        ]
    for number, (name, sha256) in enumerate(sources, start=1):
        source = ox.NamedNode(f"{activity.value}/source/{number}")
        triples_ += [
            ox.Triple(activity, _prov("used"), source),
            ox.Triple(source, RDF_TYPE, _prov("Entity")),
            ox.Triple(source, RDFS_LABEL, ox.Literal(name)),
            ox.Triple(source, _stkg("sha256"), ox.Literal(sha256)),
        ]
    where = ox.NamedNode(PROVENANCE_GRAPH)
    return [ox.Quad(t.subject, t.predicate, t.object, where) for t in triples_]


PART = 250_000  # statements per change when an in-memory store is written in parts
PERSISTENT_PART = 100_000  # statements per part of a persistent store's one change


def write(store: Store, batch: Batch, agent: str) -> tuple[int, int]:
    """Replace the batch's graph and record the import, in one all-or-nothing change. When
    the graph holds statements already, only the difference is written (a source imported
    again with a few rows changed changes a few statements), unless most of it changed.
    Returns the numbers of quads added and removed; the batch's statements are `released`.

    The graph is read as the store gives it, one statement at a time, against a set of the
    batch's lines: at 4.1 million, a set of what the graph held made 2 GiB of Python quads
    beside the batch's own."""
    record = "".join(lines(provenance(batch, agent)))
    # no reader of the store is kept over a write: a roll back closes the store
    held = iter(store.quads(batch.graph))
    first = next(held, None)
    if first is None:
        del held
        added = batch.triples
        _replace(store, batch, record)
        return added, 0
    unseen = set(batch.statements)
    gone, count = [], 0
    for quad in itertools.chain([first], held):
        count += 1
        line = f"{quad} .\n"
        if line in unseen:
            unseen.discard(line)
        else:
            gone.append(quad)
    del held, first
    new = [s for s in batch.statements if s in unseen]
    del unseen
    if len(gone) > count // 2:
        _replace(store, batch, record)
    else:
        store.write(remove=gone, add=NQuads(["".join(new) + record]))
        batch.release()
    return len(new), len(gone)


def _replace(store: Store, batch: Batch, record: str) -> None:
    """The batch's graph emptied and written anew, its statements let go a part at a time
    once the store has them. A persistent store is given them as one change, all or
    nothing, that it reads in parts (the on-disk store's restore point, a remote store's
    one update). An in-memory store is written a part per change: it copies all it is
    given before adding any, and at 4.1 million quads the Python quads, that copy and the
    store came to 4.8 GiB at once; should a part fail, the graph gets back what it held
    before."""
    statements = batch.statements
    batch.release()
    if store.capabilities.persistent:
        parts = itertools.chain(_parts(statements, PERSISTENT_PART), [record])
        store.write(drop=[batch.graph], add=NQuads(parts))
        return
    before = list(store.quads(batch.graph))
    drop = [batch.graph]
    try:
        for part in _parts(statements, PART):
            store.write(drop=drop, add=NQuads([part]))
            drop = []
        store.write(drop=drop, add=NQuads([record]))
    except BaseException:
        store.write(drop=[batch.graph], add=before)
        raise


def _parts(statements: list[str], size: int) -> Iterator[str]:
    """The statements as text in parts of `size` lines, from the end, each dropped from
    the list as it is handed out, so that what the store has is let go. (The in-memory
    store's N-Quads export orders a graph by the changes that wrote it: parts of `PART`
    keep the export of an imported graph byte for byte what it was.)"""
    while statements:
        part = "".join(statements[-size:])
        del statements[-size:]
        yield part


def rollback(store: Store, batch: str, agent: str) -> int:
    """Remove a batch's graph, recording who did it; the number of triples removed."""
    graphs = store.graphs()
    if batch_graph(batch) not in graphs:
        known = [b["batch"] for b in list_batches(store) if b["present"]]
        listed = ", ".join(known) if known else "none"
        raise StkgError(f"no import batch {batch!r} in the store (batches: {listed})")
    started = now()
    activity = _activity(quote(batch, safe="") if ":" in batch else batch, started)
    triples = _record(activity, f"stkg import --rollback {batch}", agent, started)
    triples.append(ox.Triple(activity, _prov("invalidated"), ox.NamedNode(batch_graph(batch))))
    where = ox.NamedNode(PROVENANCE_GRAPH)
    store.write(
        drop=[batch_graph(batch)],
        add=[ox.Quad(t.subject, t.predicate, t.object, where) for t in triples],
    )
    return graphs[batch_graph(batch)]


_LIST = f"""PREFIX prov: <{PROV}>
PREFIX stkg: <{STKG_NS}>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?graph ?activity ?end ?agent ?rows ?triples ?rolled WHERE {{
  GRAPH <{PROVENANCE_GRAPH}> {{
    {{ ?activity prov:generated ?graph ; stkg:rowCount ?rows ; stkg:tripleCount ?triples }}
    UNION {{ ?activity prov:invalidated ?graph BIND(true AS ?rolled) }}
    ?activity prov:endedAtTime ?end ; prov:wasAssociatedWith/rdfs:label ?agent .
  }}
}} ORDER BY ?end"""


def list_batches(store: Store) -> list[dict[str, object]]:
    """Every batch the provenance graph records, with its last import or rollback."""
    if PROVENANCE_GRAPH not in store.graphs():
        return []
    present = store.graphs()
    batches: dict[str, dict[str, object]] = {}
    answer = store.query(_LIST)
    names = answer.variables
    for values in answer.rows:
        row = dict(zip(names, values, strict=True))
        graph = row["graph"].value
        entry = batches.setdefault(graph, {"batch": graph.removeprefix(BATCH_BASE)})
        entry["last"] = "rollback" if row.get("rolled") is not None else "import"
        entry["at"] = row["end"].value
        entry["agent"] = row["agent"].value
        if row.get("rolled") is None:
            entry["rows"] = int(row["rows"].value)
            entry["triples"] = int(row["triples"].value)
            entry["activity"] = row["activity"].value
    for graph, entry in batches.items():
        entry["present"] = graph in present
        activity = entry.get("activity")
        entry["sources"] = _sources(store, str(activity)) if activity else []
    return sorted(batches.values(), key=lambda b: str(b["batch"]))


def _sources(store: Store, activity: str) -> list[dict[str, str]]:
    answer = store.query(
        f"""PREFIX prov: <{PROV}> PREFIX stkg: <{STKG_NS}>
        PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
        SELECT ?label ?sha WHERE {{ GRAPH <{PROVENANCE_GRAPH}> {{
          <{activity}> prov:used ?s . ?s rdfs:label ?label ; stkg:sha256 ?sha }} }}
        ORDER BY ?label"""
    )
    return [{"file": label.value, "sha256": sha.value} for label, sha in answer.rows]
