"""The `stkg` command, through click's runner and, once, as a real process."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

import pyoxigraph as ox
import pytest

from conftest import REPO
from servers import running_server
from stkg import __version__
from stkg.cli import main


def run(runner, *args: str, project=None, input: str | None = None):
    prefix = ["--project", str(project.root)] if project is not None else []
    return runner.invoke(main, [*prefix, *args], input=input, catch_exceptions=False)


def test_version(runner):
    result = run(runner, "--version")
    assert result.exit_code == 0
    assert __version__ in result.output


def test_ask_over_the_bundled_project_answers_true_as_sparql_json(runner):
    result = run(runner, "query", "--sparql", "ASK { ?s ?p ?o }", "--format", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"head": {}, "boolean": True}


@pytest.mark.parametrize(
    ("fmt", "expected"),
    [
        ("csv", "s\r\nhttps://w3id.org/stkg/example/test/Chatbot\r\n"),
        ("tsv", "?s\n<https://w3id.org/stkg/example/test/Chatbot>\n"),
        ("table", f"s\n{'-' * 44}\n<https://w3id.org/stkg/example/test/Chatbot>\n(1 row)\n"),
    ],
)
def test_query_formats(runner, mini_project, fmt, expected):
    sparql = "SELECT ?s WHERE { ?s a <https://w3id.org/stkg#SocialTechnicalSystem> }"
    result = run(runner, "query", "--sparql", sparql, "--format", fmt, project=mini_project)
    assert result.exit_code == 0, result.output
    lines = result.stdout.replace("\r\n", "\n").splitlines()
    assert lines == expected.replace("\r\n", "\n").splitlines()


def test_table_uses_the_query_prefixes(runner, mini_project):
    sparql = (
        "PREFIX t: <https://w3id.org/stkg/example/test/>\n"
        "SELECT ?s WHERE { ?s a <https://w3id.org/stkg#SocialTechnicalSystem> }"
    )
    result = run(runner, "query", "--sparql", sparql, project=mini_project)
    assert result.stdout.splitlines()[2] == "t:Chatbot"


def test_query_reads_sparql_from_stdin(runner, mini_project):
    result = run(
        runner,
        "query",
        "--sparql",
        "-",
        "--format",
        "json",
        project=mini_project,
        input="ASK { ?s a ?o }",
    )
    assert json.loads(result.stdout)["boolean"] is True


def test_query_runs_a_named_query_and_a_query_file(runner, mini_project, tmp_path):
    named = run(runner, "query", "systems", "--format", "csv", project=mini_project)
    assert named.exit_code == 0, named.output
    assert "example/test/Chatbot" in named.stdout
    path = tmp_path / "count.rq"
    path.write_text("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", encoding="utf-8")
    from_file = run(runner, "query", str(path), "--format", "csv", project=mini_project)
    assert from_file.stdout.split() == ["n", "12"]


def test_an_unknown_named_query_lists_the_known_ones(runner, mini_project):
    result = run(runner, "query", "nope", project=mini_project)
    assert result.exit_code == 1
    assert "no named query 'nope'" in result.stderr and "systems" in result.stderr


def test_construct_results_come_as_rdf(runner, mini_project):
    result = run(
        runner,
        "query",
        "--sparql",
        "CONSTRUCT WHERE { ?s a ?o }",
        "--format",
        "nt",
        project=mini_project,
    )
    triples = list(ox.parse(result.stdout_bytes, format=ox.RdfFormat.N_TRIPLES))
    assert len(triples) == 6
    refused = run(
        runner,
        "query",
        "--sparql",
        "CONSTRUCT WHERE { ?s a ?o }",
        "--format",
        "json",
        project=mini_project,
    )
    assert refused.exit_code == 2
    assert "jsonld" in refused.stderr


def test_a_bad_query_is_one_line_with_position_and_no_traceback(runner, mini_project):
    result = run(runner, "query", "--sparql", "SELECT * WHERE {\n ?s ?p }", project=mini_project)
    assert result.exit_code == 1
    assert result.stderr.strip().startswith("Error: query:2:")
    assert len(result.stderr.strip().splitlines()) == 3  # the error, the line, the caret
    assert "Traceback" not in result.output


def test_a_bad_query_shows_the_line_with_a_caret_under_the_column(runner, mini_project):
    result = run(
        runner, "query", "--sparql", "SELECT * WHERE {\n  ?s ?p ?o . FOO }", project=mini_project
    )
    assert result.exit_code == 1
    first, shown, caret = result.stderr.rstrip("\n").splitlines()
    line, column = (int(n) for n in first.split(":")[2:4])
    assert first.startswith("Error: query:2:") and line == 2
    assert shown == "    ?s ?p ?o . FOO }"
    assert caret == "  " + " " * (column - 1) + "^"


def test_a_bad_query_file_shows_its_line_in_a_real_process(tmp_path):
    import os
    import subprocess
    import sys

    bad = tmp_path / "bad.rq"
    bad.write_text("PREFIX x: <urn:x:>\nSELECT * WHERE { ?s ?p ?o . ?s x:y }\n", encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    done = subprocess.run(
        [str(Path(sys.executable).with_name("stkg")), "query", str(bad)],
        capture_output=True, text=True, timeout=120, env=env,
    )  # fmt: skip
    assert done.returncode == 1
    lines = done.stderr.rstrip("\n").splitlines()
    assert lines[0].startswith(f"Error: {bad}:2:") and len(lines) == 3, done.stderr
    assert lines[1] == "  SELECT * WHERE { ?s ?p ?o . ?s x:y }" and lines[2].strip() == "^"
    assert "Traceback" not in done.stderr


def test_query_needs_exactly_one_query(runner):
    assert run(runner, "query").exit_code == 2
    assert run(runner, "query", "x", "--sparql", "ASK {}").exit_code == 2


def test_load_reports_each_file_and_a_bad_file_by_line_and_column(runner, mini_project, tmp_path):
    good = tmp_path / "good.ttl"
    good.write_text("<urn:a> <urn:b> <urn:c> , <urn:d> .\n", encoding="utf-8")
    bad = tmp_path / "bad.ttl"
    bad.write_text("<urn:a> <urn:b> <urn:c> .\n<urn:a> <urn:b>\n", encoding="utf-8")
    ok = run(runner, "load", str(good), project=mini_project)
    assert ok.exit_code == 0, ok.output
    assert f"2 triples into <{good.resolve().as_uri()}>" in ok.stdout
    assert "nothing kept" in ok.stderr
    failed = run(runner, "load", str(good), str(bad), project=mini_project)
    assert failed.exit_code == 1
    assert failed.stderr.startswith(f"Error: {bad}:3:")
    assert "Traceback" not in failed.output


def test_load_into_an_on_disk_store_is_seen_by_later_commands(runner, mini_project, tmp_path):
    data = tmp_path / "more.ttl"
    data.write_text("<urn:s> a <https://w3id.org/stkg#SocialTechnicalSystem> .\n", encoding="utf-8")
    store = str(tmp_path / "store")
    loaded = run(
        runner, "--store", store, "load", str(data), "--graph", "urn:g:more", project=mini_project
    )
    assert loaded.exit_code == 0, loaded.output
    assert "3 systems" in loaded.stdout
    asked = run(
        runner,
        "--store",
        store,
        "query",
        "--format",
        "json",
        "--sparql",
        "ASK { GRAPH <urn:g:more> { <urn:s> ?p ?o } }",
        project=mini_project,
    )
    assert json.loads(asked.stdout)["boolean"] is True


def test_load_of_a_missing_file_fails_cleanly(runner, mini_project, tmp_path):
    result = run(runner, "load", str(tmp_path / "missing.ttl"), project=mini_project)
    assert result.exit_code == 1
    assert "missing.ttl: no such file" in result.stderr


@pytest.mark.parametrize(
    ("fmt", "syntax"),
    [
        ("turtle", ox.RdfFormat.TURTLE),
        ("nt", ox.RdfFormat.N_TRIPLES),
        ("nquads", ox.RdfFormat.N_QUADS),
        ("jsonld", ox.RdfFormat.JSON_LD),
    ],
)
def test_export_writes_every_statement(runner, mini_project, fmt, syntax):
    result = run(runner, "export", "--format", fmt, project=mini_project)
    assert result.exit_code == 0, result.output
    assert len(list(ox.parse(result.stdout_bytes, format=syntax))) == 12


def test_export_to_a_file(runner, mini_project, tmp_path):
    out = tmp_path / "dump.nq"
    result = run(runner, "export", "--format", "nquads", "-o", str(out), project=mini_project)
    assert result.exit_code == 0
    graphs = {q.graph_name.value for q in ox.parse(path=out, format=ox.RdfFormat.N_QUADS)}
    assert graphs == {
        "https://w3id.org/stkg/graph/ontology/core.ttl",
        "https://w3id.org/stkg/graph/data/systems.ttl",
    }


def test_a_project_that_is_not_one_is_a_one_line_error(runner, tmp_path):
    result = runner.invoke(main, ["--project", str(tmp_path), "query", "--sparql", "ASK {}"])
    assert result.exit_code == 1
    assert "not an stkg project" in result.stderr


def test_serve_hands_the_app_to_waitress(runner, mini_project, monkeypatch):
    seen = {}

    class FakeServer:  # what waitress.create_server gives: sockets bound, not yet serving
        def __init__(self, app, **options) -> None:
            self.app = app
            seen.update(options, debug=app.debug)

        def print_listen(self, text: str) -> None:
            pass

        def run(self) -> None:  # runs while the command still holds its store
            seen["json"] = self.app.test_client().get("/index.json").get_json()

    monkeypatch.setattr("waitress.create_server", FakeServer)
    result = run(runner, "serve", "--port", "8765", project=mini_project)
    assert result.exit_code == 0, result.output
    assert (seen["host"], seen["port"]) == ("127.0.0.1", 8765)
    assert seen["debug"] is False
    assert seen["threads"] == 4 + 2 + 4  # pages, ad-hoc slots, ad-hoc queue
    assert seen["json"]["counts"]["systems"] == 2
    assert "explorer caches ready" in result.stderr


@pytest.mark.slow
def test_real_server_serves_the_start_page_on_loopback(tmp_path):
    with running_server(tmp_path) as server:
        with urllib.request.urlopen(f"{server.base}/index.json") as answer:
            data = json.load(answer)
        assert data["counts"]["classes"] > 20
        assert Path(data["project"]) == REPO  # installed editable: the checkout's project
        with urllib.request.urlopen(f"{server.base}/") as answer:
            assert "What is loaded" in answer.read().decode()
