"""The remote store on a private Virtuoso (tests/virtuoso.py): the embedded store's answers,
through the library and through the `stkg` command, with no local folder; each rewrite
needed (the server's own answer is wrong) and sufficient; loads all or nothing; cut answers
refused."""

from __future__ import annotations

import json
import os

import pyoxigraph as ox
import pytest

import virtuoso as server
from commands import stkg
from conftest import REPO, remote_store
from stkg.errors import StkgError
from stkg.rdf_files import Source
from stkg.shacl.engine import result_keys
from stkg.store import AnswerCut, open_store
from stkg.store import probe as probe_module
from stkg.store import remote as remote_module
from stkg.store.probe import _P, DATA, INSERTED
from stkg.store.rewrite import MINUS_UNSHARED, SAMETERM_LITERAL, STAR_PATH
from stkg.validate import SHAPES_PREFIX, validate

X, Y, Z = (ox.NamedNode(f"urn:stkg:probe:{n}") for n in "xyz")
SHAPES = {  # each fault's shape, and its right answer on the probe's data
    STAR_PATH: (
        _P + "SELECT ?s WHERE { ?s p:level ?l MINUS { ?s a/rdfs:subClassOf* p:Top } }",
        {Y},
    ),
    SAMETERM_LITERAL: (
        _P + 'SELECT ?s WHERE { ?s p:level ?v FILTER(sameTerm(?v, "high")) }',
        {X},
    ),
    MINUS_UNSHARED: (_P + "SELECT ?s WHERE { ?s p:level ?l MINUS { ?a p:flag ?b } }", {X, Y, Z}),
}


@pytest.fixture(scope="module")
def remote(virtuoso, project):
    return remote_store(virtuoso, project)


@pytest.fixture(scope="module")
def embedded(project):
    return project.open_store()


def env_for(instance) -> dict[str, str]:
    return {**instance.env(), "PYTHONPATH": os.environ.get("PYTHONPATH", "")}


# --- the probe and the rewrites -------------------------------------------------------------


def test_the_probe_finds_virtuosos_silent_faults(remote):
    assert {STAR_PATH, SAMETERM_LITERAL, MINUS_UNSHARED} <= remote.faults


@pytest.mark.parametrize("fault", sorted(SHAPES))
def test_each_rewrite_is_needed_and_gives_the_right_answer(virtuoso, fault):
    store = remote_store(virtuoso)
    graph = ox.NamedNode("urn:test:probe-data")
    store.add_quads(
        ox.Quad(t.subject, t.predicate, t.object, graph)
        for t in ox.parse(DATA, format=ox.RdfFormat.TURTLE)
    )
    store.update(f"INSERT DATA {{ GRAPH <{graph.value}> {{ {INSERTED} }} }}")
    text, right = SHAPES[fault]
    raw, _ = store.raw_query(text)  # what the server itself answers
    assert {row[0] for row in raw.rows} != right
    assert {row[0] for row in store.query(text).rows} == right


def test_the_findings_are_kept_on_the_server_for_the_next_connection(virtuoso, monkeypatch):
    first = remote_store(virtuoso)
    probe_module._seen.clear()
    monkeypatch.setattr(probe_module, "probe", lambda store: pytest.fail("probed again"))
    again = open_store(virtuoso.url)  # read-only: it could not probe, but need not
    assert again.faults == first.faults and again.row_cap == first.row_cap


def test_a_client_that_cannot_probe_assumes_every_fault_and_is_still_right(virtuoso, project):
    remote_store(virtuoso, project)
    probe_module._seen.clear()
    kept = probe_module.RESULT_GRAPH
    writer = remote_store(virtuoso, project)
    writer.drop_graph(kept)
    probe_module._seen.clear()
    reader = open_store(virtuoso.url)
    assert {STAR_PATH, SAMETERM_LITERAL, MINUS_UNSHARED} <= reader.faults
    embedded = project.open_store()
    text = (REPO / "queries" / "high-impact-systems-without-human-review.rq").read_text()
    assert reader.query(text).rows == embedded.query(text).rows
    probe_module._seen.clear()


def test_store_check_names_each_fault_and_what_stkg_does(virtuoso, tmp_path):
    done = stkg("store", "check", cwd=tmp_path, env=env_for(virtuoso))
    assert done.returncode == 0, done.stderr
    assert f"wrong  {STAR_PATH}" in done.stdout and "rewritten" in done.stdout
    assert "right  ask" in done.stdout
    assert list(tmp_path.iterdir()) == []


# --- the same answers -----------------------------------------------------------------------


def test_validation_runs_on_the_server_with_the_embedded_results(remote, embedded, monkeypatch):
    export = remote_module.RemoteStore.export

    def shapes_only(store, fmt, *, graph=None):  # the shapes are compiled here; data stays
        assert graph is not None and graph.startswith(SHAPES_PREFIX), f"downloaded {graph}"
        return export(store, fmt, graph=graph)

    monkeypatch.setattr(remote_module.RemoteStore, "export", shapes_only)
    monkeypatch.setattr(remote_module.RemoteStore, "quads", lambda *a: pytest.fail("quads"))
    on_server, local = validate(remote), validate(embedded)
    assert result_keys(on_server.graph) == result_keys(local.graph)
    assert len(result_keys(local.graph)) > 0


def test_every_named_query_gives_the_embedded_answer(remote, embedded, project):
    from stkg.queries import named_queries

    for name, query in named_queries(project).items():
        values = {"system": "https://w3id.org/stkg/example/acme/LoanApproval"}
        names = {p.name for p in query.params}
        bindings = query.bindings({k: v for k, v in values.items() if k in names})
        assert rows(remote.query(query.sparql, bindings=bindings)) == rows(
            embedded.query(query.sparql, bindings=bindings)
        ), name


# GROUP_CONCAT columns of the named queries: SPARQL leaves the order of the parts open
CONCATENATED = {"legalBasis": " ", "roles": " ", "sources": " | ", "evidence": " "}


def rows(result) -> list[tuple[str, ...]]:
    """Rows as text, sorted, with the parts of GROUP_CONCAT columns sorted too."""

    def text(name: str, term) -> str:
        if name in CONCATENATED and isinstance(term, ox.Literal):
            return CONCATENATED[name].join(sorted(term.value.split(CONCATENATED[name])))
        return str(term)

    return sorted(
        tuple(text(n, t) for n, t in zip(result.variables, row, strict=True)) for row in result.rows
    )


@pytest.mark.parametrize(
    "command",
    [
        ("query", "high-impact-systems-without-human-review"),
        ("query", "system-profile", "--param", "system=ex:LoanApproval"),
        ("validate", "--format", "json"),
        ("report", "--format", "csv"),
    ],
    ids=lambda c: c[1] if c[0] == "query" else c[0],
)
def test_the_command_gives_the_embedded_answer_and_creates_no_folder(virtuoso, tmp_path, command):
    remote_store(virtuoso)  # an empty server: the command loads the project itself
    args = ("--project", str(REPO), *command)
    here = stkg(*args, cwd=tmp_path, env={"STKG_STORE": ""})
    there = stkg(*args, cwd=tmp_path, env=env_for(virtuoso))
    assert there.returncode == here.returncode, there.stderr
    if command[-1] == "json":
        assert json.loads(there.stdout) == json.loads(here.stdout)
    else:
        assert there.stdout == here.stdout
    assert list(tmp_path.iterdir()) == []  # no folder named http: or anything else


def test_load_puts_files_in_the_server_and_query_finds_them(virtuoso, tmp_path):
    remote_store(virtuoso)
    data = tmp_path / "extra.ttl"
    data.write_text(
        "@prefix stkg: <https://w3id.org/stkg#> .\n"
        "<urn:test:Extra> a stkg:SocialTechnicalSystem ; stkg:hasOwner [ a stkg:Person ] .\n"
    )
    env = env_for(virtuoso)
    assert stkg("--project", str(REPO), "load", str(data), cwd=tmp_path, env=env).returncode == 0
    store = open_store(virtuoso.url)
    assert data.resolve().as_uri() in store.graph_names()
    rows = store.query("SELECT ?o WHERE { <urn:test:Extra> <https://w3id.org/stkg#hasOwner> ?o }")
    assert len(rows.rows) == 1 and isinstance(rows.rows[0][0], ox.BlankNode)


# --- all or nothing, never cut ----------------------------------------------------------------


def test_a_failed_load_leaves_every_graph_as_it_was_and_no_staging_graph(
    virtuoso, tmp_path, monkeypatch
):
    store = remote_store(virtuoso)
    good, bad = tmp_path / "good.ttl", tmp_path / "bad.ttl"
    good.write_text("<urn:a> <urn:p> 1 .\n")
    store.load([Source(good, "urn:test:good", "good.ttl")])
    good.write_text("<urn:a> <urn:p> 2 .\n")
    bad.write_text("<urn:b> <urn:p> 3 .\n")
    insert = remote_module.RemoteStore._insert

    def fail_on_the_second_file(self, graph, quads):
        if any(q.subject == ox.NamedNode("urn:b") for q in quads):
            raise StkgError("the SPARQL server failed the update (500)")
        insert(self, graph, quads)

    monkeypatch.setattr(remote_module.RemoteStore, "_insert", fail_on_the_second_file)
    with pytest.raises(StkgError):
        store.load([Source(good, "urn:test:good", "good.ttl"), Source(bad, "urn:test:bad", "b")])
    assert store.graph_names() == ["urn:test:good"]
    assert store.query("SELECT ?o WHERE { ?s ?p ?o }").rows == [(ox.Literal(1),)]
    everything, _ = store.raw_query(
        "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }", use_dataset=False
    )
    assert not [r for r in everything.rows if r[0].value.startswith(remote_module.STAGING)]


def test_blank_nodes_stay_one_node_across_load_batches(virtuoso, tmp_path, monkeypatch):
    monkeypatch.setattr(remote_module, "GSP_BATCH", 3)
    store = remote_store(virtuoso)
    path = tmp_path / "chain.ttl"
    path.write_text("".join(f"<urn:s{i}> <urn:p> _:b . _:b <urn:q{i}> {i} .\n" for i in range(5)))
    store.load([Source(path, "urn:test:chain", "chain.ttl")])
    answer = store.query("SELECT (COUNT(DISTINCT ?b) AS ?n) WHERE { ?s <urn:p> ?b }")
    assert answer.rows == [(ox.Literal(1),)]


def test_an_answer_that_reaches_the_servers_row_cap_is_an_error_never_a_shorter_answer():
    with server.running(max_rows=100) as small:
        store = open_store(
            small.url, update_url=small.update_url, user="dba", password=small.password
        )
        assert store.row_cap == 100
        values = " ".join(str(i) for i in range(150))
        with pytest.raises(AnswerCut, match="100 rows"):
            store.query(f"SELECT ?i WHERE {{ VALUES ?i {{ {values} }} }}")
        assert len(store.query("SELECT ?i WHERE { VALUES ?i { 1 2 3 } }").rows) == 3


def test_an_update_without_credentials_is_refused_naming_them(virtuoso):
    store = open_store(virtuoso.url)
    with pytest.raises(StkgError, match="STKG_STORE_USER"):
        store.update("INSERT DATA { GRAPH <urn:test:x> { <urn:a> <urn:b> 1 } }")


def test_a_large_insert_data_with_blank_nodes_goes_in_whole(virtuoso):
    # a validation report stored with --store-results: Virtuoso's parser stops near 5,000
    store = remote_store(virtuoso)
    body = "\n".join(
        f"_:r{i} <urn:p> {i} . <urn:report> <urn:result> _:r{i} ." for i in range(6000)
    )
    store.update(f"INSERT DATA {{ GRAPH <urn:test:report> {{ {body} }} }}")
    answer = store.query(
        "SELECT (COUNT(DISTINCT ?r) AS ?n) WHERE { <urn:report> <urn:result> ?r . ?r <urn:p> ?v }"
    )
    assert answer.rows == [(ox.Literal(6000),)]


def test_bound_parameters_go_first_in_the_where_group_and_give_the_embedded_answer(
    virtuoso, project, embedded
):
    # a VALUES clause after ORDER BY was ignored by Virtuoso here: 3,075 rows instead of 92
    from stkg.mappings.coverage import coverage

    remote = remote_store(virtuoso, project)  # tests above emptied the server

    on_server = coverage(remote, "nist-ai-rmf", "iso-iec-42001")
    local = coverage(embedded, "nist-ai-rmf", "iso-iec-42001")
    assert on_server.counts() == local.counts() and len(local.rows) > 0
    assert [(r.requirement, r.level) for r in on_server.rows] == [
        (r.requirement, r.level) for r in local.rows
    ]
