"""The write API on a real `stkg serve` (tests/servers.py): `POST /import` and the Graph Store
Protocol on `/graph`. Read-only by default; with the update token every change is one
recorded batch; every refusal is JSON naming what was wrong, and writes nothing."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
import uuid
from email.message import Message

import pytest

from commands import stkg
from conftest import REPO
from page_checks import assert_accessible_page
from servers import running_server
from test_import import FIXTURE, bare_project

TOKEN = "write-api-test-token"
LIMIT = 300_000  # STKG_MAX_UPLOAD_BYTES of the test server
AIRO = REPO / "tests" / "airo" / "credit-scoring.ttl"
GRAPH = "https://example.org/graphs/notes"
TRIPLE = b'<https://example.org/a> <https://example.org/says> "hello" .\n'


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    workdir = bare_project(tmp_path_factory.mktemp("write"))
    env = {"STKG_UPDATE_TOKEN": TOKEN, "STKG_MAX_UPLOAD_BYTES": str(LIMIT)}
    with running_server(workdir, env) as running:
        yield running


@pytest.fixture(scope="module")
def readonly(tmp_path_factory):
    with running_server(bare_project(tmp_path_factory.mktemp("readonly"))) as running:
        yield running


def call(
    base: str,
    method: str,
    path: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    token: str | None = TOKEN,
) -> tuple[int, Message, bytes]:
    headers = dict(headers or {})
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(base + path, data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=120) as answer:
            return answer.status, answer.headers, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def multipart(files: list[tuple[str, bytes]], **fields: str | list[str]) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = []
    for name, values in fields.items():
        for value in [values] if isinstance(values, str) else values:
            parts.append(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
                f"{value}\r\n".encode()
            )
    for filename, data in files:
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="files"; '
            f'filename="{filename}"\r\nContent-Type: application/octet-stream\r\n\r\n'.encode()
            + data
            + b"\r\n"
        )
    return b"".join(
        parts
    ) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def upload(server: str, files: list[tuple[str, bytes]], token: str | None = TOKEN, **fields):
    body, content_type = multipart(files, **fields)
    status, _, data = call(server, "POST", "/import", body, {"Content-Type": content_type}, token)
    return status, json.loads(data)


def example_files() -> list[tuple[str, bytes]]:
    return [(p.name, p.read_bytes()) for p in sorted(FIXTURE.glob("*.csv"))]


def batches(base: str) -> dict[str, dict]:
    status, _, data = call(base, "GET", "/import.json", token=None)
    assert status == 200
    return {b["batch"]: b for b in json.loads(data)["batches"]}


def ask(base: str, query: str) -> bool:
    path = "/sparql?" + urllib.parse.urlencode({"query": query})
    status, _, data = call(base, "GET", path, headers={"Accept": "application/json"}, token=None)
    assert status == 200, data
    return json.loads(data)["boolean"]


def graph_url(graph: str = GRAPH) -> str:
    return "/graph?" + urllib.parse.urlencode({"graph": graph})


# --- read-only by default --------------------------------------------------------------------


def test_a_server_without_a_token_refuses_every_write(readonly):
    status, answer = upload(readonly.base, example_files(), batch="example")
    assert status == 403 and "read-only" in answer["error"]
    for method in ("PUT", "POST", "DELETE"):
        status, _, data = call(
            readonly.base, method, graph_url(), TRIPLE, {"Content-Type": "text/turtle"}
        )
        assert status == 403 and "read-only" in json.loads(data)["error"]
    assert batches(readonly.base) == {}
    status, _, page = call(readonly.base, "GET", "/import", token=None)
    assert status == 200 and b"read-only" in page


def test_graphs_are_readable_without_a_token(readonly):
    ontology = "https://w3id.org/stkg/graph/ontology/stkg.ttl"
    status, headers, data = call(
        readonly.base, "GET", graph_url(ontology), headers={"Accept": "application/n-triples"},
        token=None,
    )  # fmt: skip
    assert status == 200 and headers["Content-Type"].startswith("application/n-triples")
    assert b"<https://w3id.org/stkg#SocialTechnicalSystem>" in data


# --- the token -------------------------------------------------------------------------------


@pytest.mark.parametrize(("token", "status"), [(None, 401), ("not-the-token", 403)])
def test_no_token_or_a_wrong_one_writes_nothing(server, token, status):
    got, answer = upload(server.base, example_files(), token=token, batch="example")
    assert got == status and "token" in answer["error"]
    got, headers, _ = call(server.base, "PUT", graph_url(), TRIPLE,
                           {"Content-Type": "text/turtle"}, token)  # fmt: skip
    assert got == status
    if status == 401:
        assert headers["WWW-Authenticate"].startswith("Bearer")
    assert "example" not in batches(server.base) and GRAPH not in batches(server.base)


# --- POST /import ----------------------------------------------------------------------------


def test_a_bad_cell_is_named_with_file_row_column_and_value_and_nothing_is_written(server):
    files = dict(example_files())
    files["systems.csv"] = files["systems.csv"].replace(b",High,", b",Hihg,", 1)
    files["people.csv"] = files["people.csv"].replace(b"id,name", b"id,nom", 1)
    status, answer = upload(server.base, list(files.items()), batch="broken")
    assert status == 400
    assert "nothing was imported" in answer["error"]
    errors = answer["errors"]
    assert {
        "file": "systems.csv", "row": 2, "column": "impact", "value": "Hihg",
        "message": "not an allowed value; allowed: high, medium, low",
    } in errors  # fmt: skip
    assert any(e["file"] == "people.csv" and e["column"] == "nom" for e in errors)
    assert all("stkg-upload-" not in json.dumps(e) for e in errors)  # the upload's own names
    assert "broken" not in batches(server.base)


def test_a_file_that_is_not_utf8_is_named(server):
    files = dict(example_files())
    files["people.csv"] = files["people.csv"].replace(b"Maria", "Mar\u00eda".encode("latin-1"))
    status, answer = upload(server.base, list(files.items()), batch="latin")
    assert status == 400
    assert any(e["file"] == "people.csv" and "UTF-8" in e["message"] for e in answer["errors"])


def test_an_import_is_a_recorded_batch_and_importing_again_duplicates_nothing(server):
    status, answer = upload(server.base, example_files(), batch="example",
                            base="https://example.org/acme/", agent="Ana Analyst")  # fmt: skip
    assert status == 200, answer
    assert (answer["batch"], answer["rows"], answer["added"]) == ("example", 19, 127)
    assert answer["validation"]["results"] > 0  # the gaps of the imported systems
    assert {f["file"] for f in answer["files"]} == {f for f, _ in example_files()}
    assert ask(server.base, "ASK { GRAPH <https://w3id.org/stkg/graph/import/example> { "
               "?s a <https://w3id.org/stkg#SocialTechnicalSystem> } }")  # fmt: skip
    recorded = batches(server.base)["example"]
    assert recorded["present"] and recorded["agent"] == "Ana Analyst"
    assert {s["file"] for s in recorded["sources"]} == {f for f, _ in example_files()}
    status, again = upload(server.base, example_files(), batch="example",
                           base="https://example.org/acme/")  # fmt: skip
    assert status == 200 and (again["added"], again["removed"]) == (0, 0)


def test_a_dry_run_writes_nothing(server):
    status, answer = upload(server.base, example_files(), batch="dry", dry_run="1",
                            base="https://example.org/dry/")  # fmt: skip
    assert status == 200 and answer["dry_run"] and answer["added"] == 127
    assert "dry" not in batches(server.base)


def test_several_files_need_a_batch_name(server):
    status, answer = upload(server.base, example_files())
    assert status == 400 and "batch" in answer["error"]


def test_airo_rdf_comes_in_through_the_same_door(server):
    status, answer = upload(server.base, [("credit-scoring.ttl", AIRO.read_bytes())],
                            **{"from": ["airo", "dpv"]})  # fmt: skip
    assert status == 200, answer
    assert answer["batch"] == "credit-scoring" and answer["derived"] > 0
    assert ask(server.base, "ASK { <https://example.org/airo/lending/CreditScoring> "
               "<https://w3id.org/stkg#hasUser> ?u }")  # fmt: skip


def test_a_bad_rdf_file_names_its_line(server):
    bad = AIRO.read_bytes().replace(b'"Loan applicants" .', b'"Loan applicants .')
    status, answer = upload(server.base, [("bad-airo.ttl", bad)], **{"from": "airo"})
    assert status == 400
    (error,) = answer["errors"]
    assert error["file"] == "bad-airo.ttl" and error["row"] > 1 and error["column"]
    assert "Loan applicants" in error["value"] or "Head of Credit" in error["value"]
    assert "bad-airo" not in batches(server.base)


def test_an_oversize_upload_is_413(server):
    status, answer = upload(server.base, [("systems.csv", b"id,name\n" + b"x" * LIMIT)])
    assert status == 413 and "300,000 bytes" in answer["error"]


# --- the Graph Store Protocol ----------------------------------------------------------------


def test_put_get_post_delete_a_graph_each_recorded(server):
    graph = GRAPH + "/cycle"
    status, _, data = call(server.base, "PUT", graph_url(graph), TRIPLE,
                           {"Content-Type": "text/turtle"})  # fmt: skip
    assert status == 201, data
    assert ask(server.base, f'ASK {{ GRAPH <{graph}> {{ ?s ?p "hello" }} }}')
    more = b'<https://example.org/a> <https://example.org/says> "again" .\n'
    status, _, data = call(server.base, "POST", graph_url(graph), more,
                           {"Content-Type": "application/n-triples"})  # fmt: skip
    assert status == 200 and json.loads(data)["triples"] == 2
    accept = {"Accept": "application/n-triples"}
    status, _, data = call(server.base, "GET", graph_url(graph), headers=accept, token=None)
    assert status == 200 and data.count(b"\n") == 2
    recorded = batches(server.base)[graph]
    assert recorded["present"] and recorded["sources"][0]["file"] == "request body"
    status, _, data = call(server.base, "DELETE", graph_url(graph))
    assert status == 200 and json.loads(data)["removed"] == 2
    assert call(server.base, "GET", graph_url(graph), token=None)[0] == 404
    assert call(server.base, "DELETE", graph_url(graph))[0] == 404
    recorded = batches(server.base)[graph]
    assert not recorded["present"] and recorded["last"] == "rollback"


def test_a_body_that_does_not_parse_names_row_and_column_and_writes_nothing(server):
    graph = GRAPH + "/kept"
    assert (
        call(server.base, "PUT", graph_url(graph), TRIPLE, {"Content-Type": "text/turtle"})[0]
        == 201
    )
    broken = b'<https://example.org/a> <https://example.org/says> "hello" .\n<https://x> <y> .\n'
    status, _, data = call(server.base, "PUT", graph_url(graph), broken,
                           {"Content-Type": "text/turtle"})  # fmt: skip
    assert status == 400
    (error,) = json.loads(data)["errors"]
    assert error["file"] == "request body" and error["row"] == 2 and error["column"]
    assert error["value"] == "<https://x> <y> ."
    assert ask(server.base, f'ASK {{ GRAPH <{graph}> {{ ?s ?p "hello" }} }}')  # unchanged


def test_a_remote_json_ld_context_is_never_fetched(server):
    body = json.dumps({"@context": "http://127.0.0.1:9/context.jsonld", "@id": "https://x/a",
                       "name": "a"}).encode()  # fmt: skip
    status, _, data = call(server.base, "PUT", graph_url(GRAPH + "/ld"), body,
                           {"Content-Type": "application/ld+json"})  # fmt: skip
    assert status == 400, data
    assert json.loads(data)["errors"][0]["file"] == "request body"
    assert call(server.base, "GET", graph_url(GRAPH + "/ld"), token=None)[0] == 404


@pytest.mark.parametrize(
    ("path", "content_type", "status", "words"),
    [
        (graph_url(), "text/csv", 415, "unsupported body type"),
        (graph_url(), None, 415, "unsupported body type"),
        ("/graph?default", "text/turtle", 400, "union"),
        ("/graph", "text/turtle", 400, "name the graph"),
        (graph_url("not an iri"), "text/turtle", 400, "IRI"),
        (graph_url("https://w3id.org/stkg/graph/data/examples/portfolio.ttl"), "text/turtle",
         403, "stkg's own graphs"),
        (graph_url("https://w3id.org/stkg/graph/import-provenance"), "text/turtle", 403,
         "stkg's own graphs"),
    ],
)  # fmt: skip
def test_graph_requests_that_are_refused(server, path, content_type, status, words):
    headers = {"Content-Type": content_type} if content_type else {}
    got, _, data = call(server.base, "PUT", path, TRIPLE, headers)
    assert got == status, data
    assert words in json.loads(data)["error"]


def test_an_empty_or_oversize_body_is_refused(server):
    assert call(server.base, "PUT", graph_url(), b"", {"Content-Type": "text/turtle"})[0] == 400
    big = TRIPLE * (LIMIT // len(TRIPLE) + 1)
    status, _, data = call(server.base, "PUT", graph_url(), big, {"Content-Type": "text/turtle"})
    assert status == 413 and "bytes" in json.loads(data)["error"]
    assert call(server.base, "GET", graph_url(), token=None)[0] == 404


def test_the_upload_page_names_its_fields(server):
    status, _, page = call(server.base, "GET", "/import", token=None)
    assert status == 200
    for field in (b'name="files"', b'name="batch"', b'name="token"', b'name="dry_run"'):
        assert field in page
    assert b"read-only" not in page


def test_an_import_through_the_api_shows_in_the_explorer(server):
    status, answer = upload(server.base, [("credit-scoring.ttl", AIRO.read_bytes())],
                            batch="explorer", **{"from": ["airo", "dpv"]})  # fmt: skip
    assert status == 200, answer
    system = "https://example.org/airo/lending/CreditScoring"
    status, _, data = call(server.base, "GET", "/systems.json?q=Credit+scoring", token=None)
    assert status == 200 and system in data.decode()
    path = "/gaps.json?" + urllib.parse.urlencode({"system": system})
    status, _, data = call(server.base, "GET", path, token=None)
    assert status == 200 and "EscalationPath" in data.decode()


def test_the_upload_form_gets_a_page_listing_every_error_or_what_was_imported(server):
    files = dict(example_files())
    files["systems.csv"] = files["systems.csv"].replace(b",High,", b",Hihg,", 1)
    body, content_type = multipart(list(files.items()), batch="form", token=TOKEN)
    browser = {"Content-Type": content_type, "Accept": "text/html,*/*;q=0.8"}
    status, headers, page = call(server.base, "POST", "/import", body, browser, token=None)
    assert status == 400 and headers["Content-Type"].startswith("text/html")
    assert_accessible_page(page.decode())
    assert b"<td>Hihg</td>" in page and b"systems.csv" in page
    body, content_type = multipart(example_files(), batch="form", token=TOKEN, dry_run="on",
                                   base="https://example.org/form/")  # fmt: skip
    browser["Content-Type"] = content_type
    status, _, page = call(server.base, "POST", "/import", body, browser, token=None)
    assert status == 200 and b"Dry run: nothing written" in page
    assert "form" not in batches(server.base)


def test_a_graph_change_is_a_batch_that_stkg_import_lists_and_rolls_back(tmp_path):
    from stkg.project import Project
    from stkg.store import OxigraphStore
    from stkg.web import create_app

    project = bare_project(tmp_path)
    folder = tmp_path / "store"
    store = OxigraphStore(folder)
    Project(project).load_into(store)
    app = create_app(
        {"STKG_UPDATE_TOKEN": TOKEN, "STKG_QUERY_WORKERS": 0, "STKG_NAMED_QUERY_WORKERS": 0},
        project=Project(project),
        store=store,
    )
    answer = app.test_client().put(
        graph_url(), data=TRIPLE, content_type="text/turtle",
        headers={"Authorization": f"Bearer {TOKEN}"},
    )  # fmt: skip
    assert answer.status_code == 201
    store.close()
    listed = stkg("--store", str(folder), "import", "--list", cwd=project)
    assert f"{GRAPH}: present; last import" in listed.stdout, listed.stdout
    assert "request body  sha256 " in listed.stdout
    gone = stkg("--store", str(folder), "import", "--rollback", GRAPH, cwd=project)
    assert gone.returncode == 0, gone.stderr
    assert "1 triples removed" in gone.stdout
    listed = stkg("--store", str(folder), "import", "--list", cwd=project)
    assert f"{GRAPH}: rolled back" in listed.stdout
