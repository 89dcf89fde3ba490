"""RDF/XML entities: a billion-laughs file is refused at once, external entities and DTDs
are never fetched, and the namespace entities ontologies use still load."""

from __future__ import annotations

import re
import socket
import threading
from collections.abc import Iterator

import pytest

from commands import assert_one_line_error, mini_project_dir, stkg
from stkg.errors import SourceError
from stkg.rdf_files import Source, check_syntax
from stkg.store import OxigraphStore

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"


def rdfxml(doctype: str, body: str) -> str:
    return (
        f'<?xml version="1.0"?>\n{doctype}\n'
        f'<rdf:RDF xmlns:rdf="{RDF}" xmlns:ex="http://example.org/">\n{body}\n</rdf:RDF>\n'
    )


def laughs(levels: int = 9, width: int = 10) -> str:
    """Nine levels of ten references over ten characters: 10**9 characters, 1 GB."""
    entities = [f'<!ENTITY lol0 "{"x" * width}">'] + [
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * width}">' for i in range(1, levels)
    ]
    return rdfxml(
        "<!DOCTYPE rdf:RDF [\n" + "\n".join(entities) + "\n]>",
        f'<rdf:Description rdf:about="http://example.org/s">'
        f"<ex:p>&lol{levels - 1};</ex:p></rdf:Description>",
    )


@pytest.fixture
def listener() -> Iterator[tuple[int, list[int]]]:
    """A loopback port that counts the connections made to it."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    server.settimeout(0.2)
    connections: list[int] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            connections.append(1)
            conn.close()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1], connections
    stop.set()
    thread.join(timeout=2)
    server.close()


def test_a_billion_laughs_file_is_refused_at_once_and_the_store_is_unchanged(tmp_path):
    project = mini_project_dir(tmp_path)
    bomb = tmp_path / "laughs.rdf"
    bomb.write_text(laughs(), encoding="utf-8")
    store = tmp_path / "store"
    before = stkg("--project", str(project), "--store", str(store), "export", cwd=tmp_path)
    assert before.returncode == 0, before.stderr
    result = stkg(
        "--project", str(project), "--store", str(store), "load", str(bomb),
        cwd=tmp_path, timeout=30,
    )  # fmt: skip
    line = assert_one_line_error(result)
    assert re.match(rf"Error: {re.escape(str(bomb))}:\d+:\d+: entity &lol\d; would expand", line)
    after = stkg("--project", str(project), "--store", str(store), "export", cwd=tmp_path)
    assert after.stdout == before.stdout


def test_validate_and_query_data_refuse_the_bomb_too(tmp_path):
    bomb = tmp_path / "laughs.rdf"
    bomb.write_text(laughs(), encoding="utf-8")
    project = mini_project_dir(tmp_path)
    checked = stkg("--project", str(project), "validate", str(bomb), cwd=tmp_path, timeout=30)
    assert "would expand" in assert_one_line_error(checked, code=2)
    queried = stkg(
        "--project", str(project), "query", "--data", str(bomb), "--sparql", "ASK {}",
        cwd=tmp_path, timeout=30,
    )  # fmt: skip
    assert "would expand" in assert_one_line_error(queried)


def test_many_references_to_a_small_entity_are_refused_past_the_budget(tmp_path):
    """Amplification by repetition in the body, not by nesting."""
    entity = '<!DOCTYPE rdf:RDF [<!ENTITY big "' + "y" * 4000 + '">]>'
    refs = "&big;" * 5000  # 20 MB from a 25 KB body
    path = tmp_path / "wide.rdf"
    path.write_text(rdfxml(entity, f'<rdf:Description rdf:about="http://e/s"><ex:p>{refs}'
                                   "</ex:p></rdf:Description>"), encoding="utf-8")  # fmt: skip
    with pytest.raises(SourceError, match="entity references would add more than") as caught:
        check_syntax(Source(path, "urn:g", "wide.rdf"))
    assert caught.value.line == 4 and caught.value.column is not None


def test_namespace_entities_as_protege_writes_them_still_load(tmp_path):
    doctype = (
        '<!DOCTYPE rdf:RDF [\n<!ENTITY owl "http://www.w3.org/2002/07/owl#" >\n'
        '<!ENTITY ex "http://example.org/" >\n]>'
    )
    body = "\n".join(
        f'<owl:Class rdf:about="&ex;C{i}" xmlns:owl="http://www.w3.org/2002/07/owl#">'
        f'<rdf:type rdf:resource="&owl;Thing"/></owl:Class>'
        for i in range(200)
    )
    path = tmp_path / "onto.owl"
    path.write_text(rdfxml(doctype, body), encoding="utf-8")
    store = OxigraphStore()
    store.load([Source(path, "urn:g", "onto.owl")])
    assert store.graphs() == {"urn:g": 400}
    answer = store.query("ASK { <http://example.org/C7> a <http://www.w3.org/2002/07/owl#Thing> }")
    assert answer.boolean


def test_a_recursive_entity_is_refused(tmp_path):
    path = tmp_path / "loop.rdf"
    doctype = '<!DOCTYPE rdf:RDF [<!ENTITY a "&b;"> <!ENTITY b "&a;">]>'
    path.write_text(rdfxml(doctype, "<ex:x rdf:about='http://e/s'/>"), encoding="utf-8")
    with pytest.raises(SourceError, match="would expand"):
        check_syntax(Source(path, "urn:g", "loop.rdf"))


@pytest.mark.parametrize(
    "doctype",
    [
        '<!DOCTYPE rdf:RDF [<!ENTITY x SYSTEM "http://127.0.0.1:{port}/x">]>',
        '<!DOCTYPE rdf:RDF [<!ENTITY x PUBLIC "-//x//EN" "http://127.0.0.1:{port}/x">]>',
        '<!DOCTYPE rdf:RDF [<!ENTITY % p SYSTEM "http://127.0.0.1:{port}/p"> %p;]>',
        '<!DOCTYPE rdf:RDF SYSTEM "http://127.0.0.1:{port}/rdf.dtd">',
    ],
    ids=["system-entity", "public-entity", "parameter-entity", "external-dtd"],
)
def test_external_entities_and_dtds_are_never_fetched(tmp_path, listener, doctype):
    port, connections = listener
    path = tmp_path / "external.rdf"
    body = '<rdf:Description rdf:about="http://e/s"><ex:p>v</ex:p></rdf:Description>'
    path.write_text(rdfxml(doctype.format(port=port), body), encoding="utf-8")
    result = stkg("--project", str(mini_project_dir(tmp_path)), "load", str(path), cwd=tmp_path)
    if result.returncode != 0:  # an external DTD alone is ignored, and the file loads
        assert re.search(r"external\.rdf:\d+:\d+: ", assert_one_line_error(result))
    assert connections == []


def test_a_remote_json_ld_context_is_never_fetched(tmp_path, listener):
    port, connections = listener
    path = tmp_path / "remote.jsonld"
    path.write_text(
        f'{{"@context": "http://127.0.0.1:{port}/context.jsonld", "@id": "http://e/s", "p": 1}}',
        encoding="utf-8",
    )
    result = stkg("--project", str(mini_project_dir(tmp_path)), "load", str(path), cwd=tmp_path)
    assert "remote.jsonld:" in assert_one_line_error(result)
    assert connections == []


def test_the_budget_floor_is_a_setting(tmp_path, monkeypatch):
    path = tmp_path / "small.rdf"
    doctype = '<!DOCTYPE rdf:RDF [<!ENTITY e "' + "z" * 3000 + '">]>'
    body = '<rdf:Description rdf:about="http://e/s"><ex:p>&e;&e;</ex:p></rdf:Description>'
    path.write_text(rdfxml(doctype, body), encoding="utf-8")
    assert check_syntax(Source(path, "urn:g", "small.rdf")) == 1
    monkeypatch.setenv("STKG_MAX_ENTITY_EXPANSION", "10")
    with pytest.raises(SourceError, match="entity references would add more than"):
        check_syntax(Source(path, "urn:g", "small.rdf"))


def test_a_bomb_among_the_project_files_is_refused_when_the_project_loads(tmp_path):
    project = mini_project_dir(tmp_path)
    (project / "data" / "laughs.rdf").write_text(laughs(), encoding="utf-8")
    result = stkg("--project", str(project), "export", "--format", "nt", cwd=tmp_path, timeout=30)
    assert re.match(r"Error: data/laughs\.rdf:\d+:\d+: entity &lol\d; would expand",
                    assert_one_line_error(result))  # fmt: skip


def test_elements_nested_too_deep_are_refused_with_their_line(tmp_path):
    """Oxigraph's RDF/XML parser is quadratic in depth: 100,000 levels took over a minute."""
    depth = 100_000
    body = (
        '<rdf:Description rdf:about="http://e/s">'
        + "<ex:p>\n<rdf:Description>" * depth
        + "<ex:q>x</ex:q>"
        + "</rdf:Description></ex:p>" * depth
        + "</rdf:Description>"
    )
    path = tmp_path / "deep.rdf"
    path.write_text(rdfxml("", body), encoding="utf-8")
    result = stkg("--project", str(mini_project_dir(tmp_path)), "load", str(path), cwd=tmp_path,
                  timeout=30)  # fmt: skip
    line = assert_one_line_error(result)
    where = re.escape(str(path))
    assert re.match(rf"Error: {where}:50\d:\d+: elements nested more than 1000", line)


def test_ordinary_nesting_loads(tmp_path):
    body = (
        '<rdf:Description rdf:about="http://e/s">'
        + "<ex:p><rdf:Description>" * 100
        + "<ex:q>x</ex:q>"
        + "</rdf:Description></ex:p>" * 100
        + "</rdf:Description>"
    )
    path = tmp_path / "nested.rdf"
    path.write_text(rdfxml("", body), encoding="utf-8")
    assert check_syntax(Source(path, "urn:g", "nested.rdf")) == 101
