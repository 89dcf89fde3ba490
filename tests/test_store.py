"""The embedded store: named graphs per file, atomic loads, bound parameters, exports."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest

from stkg.errors import SourceError, StkgError
from stkg.store import OxigraphStore, Source, open_store

GOOD = '@prefix ex: <https://w3id.org/stkg/example/t/> .\nex:a ex:p "one" , "two" .\n'
BAD = '@prefix ex: <https://w3id.org/stkg/example/t/> .\nex:b ex:p ex:c .\nex:b ex:p "open\n'


def source(tmp_path: Path, name: str, text: str) -> Source:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return Source(path, f"https://w3id.org/stkg/graph/test/{name}", name)


def test_each_file_goes_into_its_own_named_graph(tmp_path):
    store = OxigraphStore()
    store.load(
        [source(tmp_path, "a.ttl", GOOD), source(tmp_path, "b.nt", "<urn:x> <urn:p> <urn:y> .\n")]
    )
    assert store.graphs() == {
        "https://w3id.org/stkg/graph/test/a.ttl": 2,
        "https://w3id.org/stkg/graph/test/b.nt": 1,
    }
    origin = store.query("SELECT ?g WHERE { GRAPH ?g { <urn:x> ?p ?o } }")
    assert [row[0].value for row in origin.rows] == ["https://w3id.org/stkg/graph/test/b.nt"]


def test_a_file_that_fails_to_parse_changes_nothing(tmp_path):
    store = OxigraphStore()
    store.load([source(tmp_path, "a.ttl", GOOD)])
    before = store.export("nquads")
    with pytest.raises(SourceError) as caught:
        store.load([source(tmp_path, "new.ttl", GOOD), source(tmp_path, "bad.ttl", BAD)])
    assert store.export("nquads") == before
    assert (caught.value.source, caught.value.line) == ("bad.ttl", 3)
    assert caught.value.column is not None
    assert str(caught.value).startswith("bad.ttl:3:")


def test_on_disk_too_a_file_that_fails_to_parse_changes_nothing(tmp_path):
    store = OxigraphStore(tmp_path / "store")
    store.load([source(tmp_path, "a.ttl", GOOD)])
    before = store.export("nquads")
    with pytest.raises(SourceError):
        store.load([source(tmp_path, "new.ttl", GOOD), source(tmp_path, "bad.ttl", BAD)])
    assert store.export("nquads") == before
    text = '_:b1 <urn:p> "x" .\n'
    store.load([source(tmp_path, "c.nt", text), source(tmp_path, "d.nt", text)])
    assert len(store.query("SELECT DISTINCT ?s WHERE { ?s <urn:p> ?o }")) == 2


def test_loading_a_file_again_replaces_its_graph(tmp_path):
    store = OxigraphStore()
    first = source(tmp_path, "a.ttl", GOOD)
    store.load([first])
    first.path.write_text('<urn:only> <urn:p> "1" .\n', encoding="utf-8")
    store.load([first])
    assert store.graphs() == {first.graph: 1}


def test_triples_of_named_graphs_in_trig_keep_their_graph(tmp_path):
    trig = "<urn:s> <urn:p> <urn:o> .\n<urn:g2> { <urn:s2> <urn:p> <urn:o> }\n"
    store = OxigraphStore()
    store.load([source(tmp_path, "d.trig", trig)])
    assert store.graphs() == {"https://w3id.org/stkg/graph/test/d.trig": 1, "urn:g2": 1}


def test_blank_nodes_of_two_files_stay_apart(tmp_path):
    store = OxigraphStore()
    text = '_:b1 <urn:p> "x" .\n'
    store.load([source(tmp_path, "a.nt", text), source(tmp_path, "b.nt", text)])
    subjects = store.query("SELECT DISTINCT ?s WHERE { ?s <urn:p> ?o }")
    assert len(subjects) == 2


def test_unknown_extension_is_a_clear_error(tmp_path):
    with pytest.raises(SourceError, match="unknown RDF file extension"):
        OxigraphStore().load([source(tmp_path, "notes.txt", "hello")])


def test_default_graph_is_the_union_unless_graphs_are_named(tmp_path):
    store = OxigraphStore()
    a, b = source(tmp_path, "a.ttl", GOOD), source(tmp_path, "b.nt", "<urn:x> <urn:p> <urn:y> .\n")
    store.load([a, b])
    count = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    assert store.query(count).rows[0][0].value == "3"
    assert store.query(count, default_graphs=[b.graph]).rows[0][0].value == "1"


def test_parameters_are_bound_by_the_engine_not_pasted(tmp_path):
    store = OxigraphStore()
    store.load([source(tmp_path, "a.ttl", GOOD)])
    sparql = "SELECT ?s ?label WHERE { ?s ?p ?label }"
    hostile = ox.Literal('one" } UNION { ?s ?p ?o } #')
    assert len(store.query(sparql, bindings={"label": hostile})) == 0
    assert len(store.query(sparql, bindings={"label": ox.Literal("one")})) == 1


def test_a_binding_for_a_variable_outside_the_projection_is_a_clear_error():
    with pytest.raises(SourceError, match="label"):
        OxigraphStore().query(
            "SELECT ?s WHERE { ?s ?p ?label }", bindings={"label": ox.Literal("x")}
        )


def test_relative_iris_resolve_against_the_base_iri_when_given():
    store = OxigraphStore()
    result = store.query("SELECT ?x WHERE { BIND(<item> AS ?x) }", base_iri="https://w3id.org/a/")
    assert result.rows[0][0].value == "https://w3id.org/a/item"


def test_a_query_syntax_error_names_line_and_column():
    with pytest.raises(SourceError) as caught:
        OxigraphStore().query("SELECT *\nWHERE { ?s ?p }")
    assert caught.value.line == 2
    assert caught.value.column is not None


def test_update_changes_the_store():
    store = OxigraphStore()
    store.update("INSERT DATA { GRAPH <urn:g> { <urn:a> <urn:b> <urn:c> } }")
    assert store.graphs() == {"urn:g": 1}
    store.drop_graph("urn:g")
    assert len(store) == 0


@pytest.mark.parametrize(
    ("fmt", "syntax", "expected"),
    [
        ("nquads", ox.RdfFormat.N_QUADS, 3),
        ("trig", ox.RdfFormat.TRIG, 3),
        ("turtle", ox.RdfFormat.TURTLE, 3),
        ("nt", ox.RdfFormat.N_TRIPLES, 3),
        ("rdfxml", ox.RdfFormat.RDF_XML, 3),
        ("jsonld", ox.RdfFormat.JSON_LD, 3),
    ],
)
def test_every_export_format_parses_back_to_the_same_statements(tmp_path, fmt, syntax, expected):
    store = OxigraphStore()
    store.load(
        [source(tmp_path, "a.ttl", GOOD), source(tmp_path, "b.nt", "<urn:x> <urn:p> <urn:y> .\n")]
    )
    parsed = list(ox.parse(store.export(fmt), format=syntax))
    assert len(parsed) == expected
    if syntax.supports_datasets:
        assert {q.graph_name for q in parsed} == {
            ox.NamedNode("https://w3id.org/stkg/graph/test/a.ttl"),
            ox.NamedNode("https://w3id.org/stkg/graph/test/b.nt"),
        }


def test_export_of_one_graph_and_of_a_missing_graph(tmp_path):
    store = OxigraphStore()
    a = source(tmp_path, "a.ttl", GOOD)
    store.load([a])
    assert (
        len(list(ox.parse(store.export("nt", graph=a.graph), format=ox.RdfFormat.N_TRIPLES))) == 2
    )
    with pytest.raises(SourceError, match="no graph named"):
        store.export("nt", graph="urn:nothing")


def test_an_on_disk_store_keeps_its_data(tmp_path):
    path = tmp_path / "store"
    store = OxigraphStore(path)
    store.load([source(tmp_path, "a.ttl", GOOD)])
    store.flush()
    del store
    assert len(OxigraphStore(path)) == 2


def test_graph_names_lists_empty_graphs_without_counting(tmp_path):
    store = OxigraphStore()
    store.load([source(tmp_path, "a.ttl", GOOD)])
    store.update("CREATE GRAPH <https://w3id.org/stkg/graph/test/b.ttl>")
    assert store.graph_names() == [
        "https://w3id.org/stkg/graph/test/a.ttl",
        "https://w3id.org/stkg/graph/test/b.ttl",
    ]
    assert store.graphs()["https://w3id.org/stkg/graph/test/b.ttl"] == 0


@pytest.mark.parametrize("on_disk", [False, True])
def test_a_snapshot_is_an_oxigraph_store_with_the_same_quads(tmp_path, on_disk):
    store = OxigraphStore(tmp_path / "store" if on_disk else None)
    store.load([source(tmp_path, "a.ttl", GOOD)])
    store.snapshot(tmp_path / "copy")
    copy = ox.Store.read_only(str(tmp_path / "copy"))
    assert set(copy) == set(store._store)
    assert store.capabilities.snapshots and store.capabilities.union_default_graph
    assert store.capabilities.persistent is on_disk


@pytest.mark.parametrize("spec", [None, "folder"])
def test_open_store_takes_nothing_or_a_folder_for_the_embedded_store(tmp_path, spec):
    store = open_store(spec and str(tmp_path / spec))
    assert isinstance(store, OxigraphStore)
    assert (tmp_path / "folder").is_dir() is (spec is not None)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("http://127.0.0.1:9/sparql", "cannot reach the SPARQL server"),  # nothing listens on 9
        ("ftp://example.org/store", "a folder or an http"),
    ],
)
def test_a_url_is_never_taken_for_a_folder(tmp_path, monkeypatch, spec, message):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(StkgError, match=message):
        open_store(spec)
    assert list(tmp_path.iterdir()) == []
