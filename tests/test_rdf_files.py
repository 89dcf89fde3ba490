"""Reading RDF files: every way a file can be wrong is one line naming it, never a
traceback — a term too long for the parser, a directory, an unreadable or empty file."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from commands import assert_one_line_error, mini_project_dir, stkg
from stkg.errors import StkgError
from stkg.store import OxigraphStore

HUGE = 20 * 1024 * 1024  # above the parsers' 16 MiB buffer; the finding was 50 MB


def huge_document(fmt: str, value: str) -> str:
    lead = "<urn:a> <urn:b> <urn:c> .\n"  # the long literal is on line 2
    return {
        "ttl": f'{lead}<urn:s> <urn:p> "{value}" .\n',
        "nt": f'{lead}<urn:s> <urn:p> "{value}" .\n',
        "nq": f'{lead}<urn:s> <urn:p> "{value}" <urn:g> .\n',
        "trig": f'{lead}<urn:g> {{ <urn:s> <urn:p> "{value}" }}\n',
        "jsonld": '{"@id": "urn:s",\n "urn:p": ' + json.dumps(value) + "}\n",
        "rdf": '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">\n'
        f'<rdf:Description rdf:about="urn:s"><p xmlns="urn:">{value}</p>'
        "</rdf:Description></rdf:RDF>\n",
    }[fmt]


@pytest.mark.parametrize("fmt", ["ttl", "nt", "nq", "trig", "jsonld"])
def test_a_literal_longer_than_the_parser_buffer_is_one_line_naming_file_line_and_limit(
    tmp_path, fmt
):
    path = tmp_path / f"huge.{fmt}"
    path.write_text(huge_document(fmt, "a" * HUGE), encoding="utf-8")
    store = tmp_path / "store"
    project = mini_project_dir(tmp_path)
    result = stkg("--project", str(project), "--store", str(store), "load", str(path), cwd=tmp_path)
    line = assert_one_line_error(result)
    assert re.match(rf"Error: {re.escape(str(path))}:2: a literal or IRI longer than 16 MiB", line)
    assert OxigraphStore(store).graphs().keys() == {
        "https://w3id.org/stkg/graph/ontology/core.ttl",
        "https://w3id.org/stkg/graph/data/systems.ttl",
    }


def test_a_long_literal_in_rdf_xml_loads(tmp_path):
    path = tmp_path / "huge.rdf"
    path.write_text(huge_document("rdf", "a" * HUGE), encoding="utf-8")
    project = mini_project_dir(tmp_path)
    result = stkg("--project", str(project), "load", str(path), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "huge.rdf: 1 triples into" in result.stdout


def test_validate_names_the_long_literal_too(tmp_path):
    path = tmp_path / "huge.ttl"
    path.write_text(huge_document("ttl", "a" * HUGE), encoding="utf-8")
    result = stkg("--project", str(mini_project_dir(tmp_path)), "validate", str(path), cwd=tmp_path)
    assert "huge.ttl:2: a literal or IRI longer" in assert_one_line_error(result, code=2)


def bad_file(tmp_path: Path, case: str) -> Path:
    """A file `stkg load` must refuse with one line, made the way each case arises."""
    if case == "directory":
        (tmp_path / "folder.ttl").mkdir()
        return tmp_path / "folder.ttl"
    if case == "unreadable":  # reading fails (EIO) even as root, where chmod 000 does not
        (tmp_path / "mem.ttl").symlink_to("/proc/self/mem")
        return tmp_path / "mem.ttl"
    files = {
        "missing": None,
        "unknown-extension": ("notes.txt", b"hello"),
        "bad-encoding": ("latin1.nt", b'<urn:a> <urn:b> "caf\xe9" .\n'),
        "empty": ("empty.ttl", b""),
        "bad-syntax": ("bad.ttl", b"<urn:a> <urn:b> .\n"),
    }
    if files[case] is None:
        return tmp_path / "missing.ttl"
    name, content = files[case]
    (tmp_path / name).write_bytes(content)
    return tmp_path / name


@pytest.mark.parametrize(
    "case",
    ["directory", "unreadable", "missing", "unknown-extension", "bad-encoding", "empty",
     "bad-syntax"],
)  # fmt: skip
def test_every_bad_file_is_one_line_and_exit_1(tmp_path, case):
    path = bad_file(tmp_path, case)
    project = mini_project_dir(tmp_path)
    result = stkg("--project", str(project), "load", str(path), cwd=tmp_path)
    assert assert_one_line_error(result).startswith(f"Error: {path}")


@pytest.mark.parametrize("case", ["directory", "unreadable", "missing", "bad-encoding"])
def test_query_data_and_validate_name_a_bad_file_in_one_line(tmp_path, case):
    path = bad_file(tmp_path, case)
    project = str(mini_project_dir(tmp_path))
    queried = stkg("--project", project, "query", "--data", str(path), "--sparql", "ASK {}",
                   cwd=tmp_path)  # fmt: skip
    assert assert_one_line_error(queried).startswith(f"Error: {path}")
    checked = stkg("--project", project, "validate", str(path), cwd=tmp_path)
    assert assert_one_line_error(checked, code=2).startswith(f"Error: {path}")


def test_a_store_path_that_is_a_file_is_one_line(tmp_path):
    (tmp_path / "store").write_text("not a store")
    data = tmp_path / "d.nt"
    data.write_text("<urn:a> <urn:b> <urn:c> .\n")
    project = str(mini_project_dir(tmp_path))
    result = stkg("--project", project, "--store", str(tmp_path / "store"), "load", str(data),
                  cwd=tmp_path)  # fmt: skip
    assert "is a file, not a store folder" in assert_one_line_error(result)


def test_a_locked_store_is_one_line_and_unchanged(tmp_path):
    data = tmp_path / "d.nt"
    data.write_text("<urn:a> <urn:b> <urn:c> .\n")
    project = str(mini_project_dir(tmp_path))
    holder = OxigraphStore(tmp_path / "store")  # another writer holds the store
    try:
        result = stkg("--project", project, "--store", str(tmp_path / "store"), "load",
                      str(data), cwd=tmp_path)  # fmt: skip
        assert "cannot open the store" in assert_one_line_error(result)
        assert len(holder) == 0
    finally:
        holder.close()


def test_the_store_refuses_a_path_that_is_a_file(tmp_path):
    (tmp_path / "f").write_text("x")
    with pytest.raises(StkgError, match="is a file"):
        OxigraphStore(tmp_path / "f")
    assert os.path.isfile(tmp_path / "f")


@pytest.mark.parametrize("graph", ["not an iri", "rel/path", "http://e/ x"])
def test_a_graph_name_that_is_not_an_iri_is_one_line(tmp_path, graph):
    data = tmp_path / "d.nt"
    data.write_text("<urn:a> <urn:b> <urn:c> .\n")
    project = str(mini_project_dir(tmp_path))
    result = stkg("--project", project, "load", "--graph", graph, str(data), cwd=tmp_path)
    assert f"--graph {graph}: not an absolute IRI" in assert_one_line_error(result)
