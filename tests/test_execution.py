"""Queries in worker processes: a hard time limit, a row cap, clean shutdown."""

from __future__ import annotations

import contextlib
import os
import signal
import time

import pyoxigraph as ox
import pytest

from stkg.errors import SourceError, StkgError
from stkg.execution import CachingExecutor, LocalExecutor, QueryTimeout
from stkg.store import OxigraphStore, QueryRequest
from stkg.worker_pool import WorkerPool

# Four unconstrained patterns over a few thousand triples: billions of rows.
CPU_BOMB = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"


@pytest.fixture(scope="module")
def pool(store):
    pool = WorkerPool(store, workers=1, timeout=1.0, max_rows=5)
    yield pool
    pool.close()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a killed child that was reaped is gone; a zombie would still be listed
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().split()[2] != "Z"


def test_a_query_past_the_time_limit_is_stopped_and_its_worker_replaced(pool):
    before = pool.pids()
    with pytest.raises(QueryTimeout, match="time limit of 1 s"):
        pool.query(CPU_BOMB)
    assert not any(_alive(pid) for pid in before)
    # the pool is usable again: the replacement worker answers
    assert pool.query("ASK { ?s ?p ?o }").result.boolean is True
    assert pool.pids() and set(pool.pids()).isdisjoint(before)


def test_rows_beyond_the_cap_are_cut_and_flagged(pool):
    answer = pool.query("SELECT ?s WHERE { ?s ?p ?o }")
    assert answer.truncated is True
    assert len(answer.result.rows) == 5
    small = pool.query("SELECT ?s WHERE { ?s ?p ?o } LIMIT 3")
    assert (small.truncated, len(small.result.rows)) == (False, 3)
    graph = pool.query("CONSTRUCT WHERE { ?s ?p ?o }")
    assert graph.truncated is True and len(graph.result.triples) == 5


def test_workers_return_exact_terms_and_bind_parameters(pool):
    loan = ox.NamedNode("https://w3id.org/stkg/example/acme/LoanApproval")
    answer = pool.query(
        QueryRequest(
            "SELECT ?s ?label WHERE { ?s <http://www.w3.org/2000/01/rdf-schema#label> ?label }",
            bindings={"s": loan},
        )
    )
    assert answer.result.rows == [(loan, ox.Literal("AI-based loan approval"))]


def test_a_syntax_error_in_a_worker_keeps_its_position(pool):
    with pytest.raises(SourceError) as error:
        pool.query("SELECT * WHERE {\n ?s ?p }")
    assert error.value.line == 2


def test_an_on_disk_store_is_snapshotted_and_closing_stops_every_worker(tmp_path):
    disk = OxigraphStore(tmp_path / "kg")
    disk.add_quads([ox.Quad(ox.NamedNode("urn:a"), ox.NamedNode("urn:b"), ox.Literal("c"))])
    disk.flush()
    pool = WorkerPool(disk, workers=2, timeout=5)
    pids = pool.pids()
    assert len(pids) == 2
    assert pool.query("SELECT ?o WHERE { <urn:a> <urn:b> ?o }").result.rows == [(ox.Literal("c"),)]
    disk.add_quads([ox.Quad(ox.NamedNode("urn:a"), ox.NamedNode("urn:b"), ox.Literal("d"))])
    pool.reload()
    assert len(pool.query("SELECT ?o WHERE { <urn:a> <urn:b> ?o }").result.rows) == 2
    pool.close()
    assert not any(_alive(pid) for pid in pids + pool.pids())
    disk.close()


def _running(pids: list[int]) -> set[int]:
    return {pid for pid in pids if _alive(pid)}


def test_workers_move_to_a_copy_in_memory_that_keeps_every_term_exactly(tmp_path):
    disk = OxigraphStore(tmp_path / "kg")
    blank = ox.BlankNode("b0")
    disk.add_quads(
        [
            ox.Quad(
                blank, ox.NamedNode("urn:p"), ox.Literal("x", language="en"), ox.NamedNode("urn:g")
            ),
            ox.Quad(ox.NamedNode("urn:a"), ox.NamedNode("urn:p"), blank),
        ]
    )
    disk.flush()
    pool = WorkerPool(disk, workers=2, timeout=5)
    try:
        before = set(pool.pids())
        assert pool.in_memory(timeout=60)
        query = "SELECT ?s ?o ?g WHERE { GRAPH ?g { ?s <urn:p> ?o } }"
        for _ in range(3):  # each worker has come back idle once: all forked from the copy
            answer = pool.query(query)
            assert answer.result.rows == [
                (blank, ox.Literal("x", language="en"), ox.NamedNode("urn:g"))
            ]
        assert set(pool.pids()).isdisjoint(before)
    finally:
        pool.close()
        disk.close()


def test_the_zygotes_copy_holds_every_quad_of_a_snapshot_of_many_parts(tmp_path):
    """The copy is made a part at a time (`COPY_PART` quads per transaction): a snapshot of
    a few parts and a bit comes over whole, blank nodes with their ids."""
    from stkg.store.embedded import COPY_PART, filled

    disk = ox.Store(str(tmp_path / "kg"))
    quads = [
        ox.Quad(ox.BlankNode(f"b{n}"), ox.NamedNode("urn:p"), ox.Literal(n), ox.NamedNode("urn:g"))
        for n in range(3 * COPY_PART + 7)
    ]
    disk.extend(quads)
    disk.flush()
    copy = filled(ox.Store.read_only(str(tmp_path / "kg")))
    assert len(copy) == len(quads)
    assert set(copy) == set(quads)


def test_a_reload_retires_the_old_snapshots_zygote_and_a_killed_zygote_is_replaced(tmp_path):
    disk = OxigraphStore(tmp_path / "kg")
    disk.add_quads([ox.Quad(ox.NamedNode("urn:a"), ox.NamedNode("urn:b"), ox.Literal("c"))])
    pool = WorkerPool(disk, workers=1, timeout=5, copy=False)
    try:
        (first,) = pool.zygote_pids()
        pool.reload()
        assert pool.query('ASK { <urn:a> <urn:b> "c" }').result.boolean is True
        (second,) = pool.zygote_pids()
        assert second != first and not _alive(first)
        os.kill(second, signal.SIGKILL)  # its worker dies with it
        answers = []
        for _ in range(3):  # a dead worker is replaced; a dead zygote is restarted
            with contextlib.suppress(StkgError):
                answers.append(pool.query('ASK { <urn:a> <urn:b> "c" }').result.boolean)
            time.sleep(1)
        assert answers and answers[-1] is True
        zygotes = pool.zygote_pids()
        assert zygotes and second not in zygotes
    finally:
        pool.close()
        disk.close()
    assert not _running(zygotes + pool.pids())


def test_the_local_executor_caps_rows_too(store):
    answer = LocalExecutor(store, max_rows=2).query("SELECT ?s WHERE { ?s ?p ?o }")
    assert answer.truncated is True and len(answer.result.rows) == 2


@pytest.mark.parametrize("kind", ["local", "workers"])
def test_a_query_request_carries_its_dataset_and_bindings_to_the_engine(kind):
    store = OxigraphStore()
    store.update(
        "INSERT DATA { GRAPH <urn:g1> { <urn:a> <urn:p> 1 } GRAPH <urn:g2> { <urn:a> <urn:p> 2 } }"
    )
    executor = LocalExecutor(store) if kind == "local" else WorkerPool(store, workers=1, timeout=5)
    try:
        request = QueryRequest(
            "SELECT ?s ?o WHERE { ?s <urn:p> ?o }",
            bindings={"s": ox.NamedNode("urn:a")},
            default_graphs=["urn:g2"],
        )
        assert executor.query(request).result.rows == [(ox.NamedNode("urn:a"), ox.Literal(2))]
        named = QueryRequest("SELECT ?g WHERE { GRAPH ?g { ?s ?p ?o } }", named_graphs=["urn:g1"])
        assert executor.query(named).result.rows == [(ox.NamedNode("urn:g1"),)]
    finally:
        executor.close()


class _Counting:
    """An executor that answers from a store and counts what it runs."""

    def __init__(self, store) -> None:
        self.local = LocalExecutor(store)
        self.runs = 0
        self.before_answer = lambda: None

    def query(self, request):
        self.runs += 1
        answer = self.local.query(request)
        self.before_answer()
        return answer

    def reload(self) -> None:
        pass

    def close(self) -> None:
        pass


def test_a_cached_answer_is_served_until_the_store_changes_and_errors_are_not_kept():
    store = OxigraphStore()
    store.update("INSERT DATA { <urn:a> <urn:p> 1 }")
    inner = _Counting(store)
    cached = CachingExecutor(inner)
    count = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    assert cached.query(count).result.rows == [(ox.Literal(1),)]
    assert cached.query(QueryRequest(count)).result.rows == [(ox.Literal(1),)]
    assert inner.runs == 1
    bound = QueryRequest(
        "SELECT ?s ?o WHERE { ?s <urn:p> ?o }", bindings={"s": ox.NamedNode("urn:a")}
    )
    other = QueryRequest(
        "SELECT ?s ?o WHERE { ?s <urn:p> ?o }", bindings={"s": ox.NamedNode("urn:b")}
    )
    assert len(cached.query(bound).result.rows) == 1 and cached.query(other).result.rows == []
    assert inner.runs == 3
    store.update("INSERT DATA { <urn:b> <urn:p> 2 }")
    cached.reload()
    assert cached.query(count).result.rows == [(ox.Literal(2),)]
    for _ in range(2):
        with pytest.raises(SourceError):
            cached.query("SELECT * WHERE {")
    assert inner.runs == 6


def test_an_answer_that_arrives_after_a_reload_began_is_not_kept():
    store = OxigraphStore()
    store.update("INSERT DATA { <urn:a> <urn:p> 1 }")
    inner = _Counting(store)
    cached = CachingExecutor(inner)
    inner.before_answer = cached.reload  # the store changed while the query ran
    cached.query("ASK { ?s ?p ?o }")
    inner.before_answer = lambda: None
    cached.query("ASK { ?s ?p ?o }")
    assert inner.runs == 2


def test_the_cache_keeps_at_most_its_bytes_least_recently_used_out():
    store = OxigraphStore()
    store.update("INSERT DATA { <urn:a> <urn:p> 'x' }")
    inner = _Counting(store)
    cached = CachingExecutor(inner, max_bytes=8 * 200)  # room for eight of these, not nine
    queries = [f"SELECT ?s ?o ('{'y' * 150}' AS ?pad{i}) WHERE {{ ?s ?p ?o }}" for i in range(9)]
    for text in queries:
        cached.query(text)
    cached.query(queries[8])
    cached.query(queries[1])
    assert inner.runs == 9
    cached.query(queries[0])  # the least recently used was dropped
    assert inner.runs == 10
    huge = "SELECT ('" + "z" * 400 + "' AS ?big) WHERE {}"  # over an eighth: never kept
    cached.query(huge)
    cached.query(huge)
    assert inner.runs == 12
