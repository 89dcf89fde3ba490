"""No outbound request, whatever the spelling: the gate and the network filter, from outside.

hypothesis writes SERVICE and LOAD the ways the grammar and Oxigraph allow (any case,
\\u escapes, comments, keywords glued to what follows, prefixed names, variables, SILENT,
nested subqueries) and sends them to a real `stkg serve` and to `stkg query`, aimed at a
loopback listener that counts the connections it gets: none may arrive. Then the filter
itself: a process under `forbid_network()` cannot open a network socket, and the server,
its query workers and every CLI command but `serve` run under it.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from commands import assert_one_line_error, mini_project_dir, stkg
from servers import running_server

TOKEN = "gate-test-token"
FUZZ = settings(
    max_examples=40,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


class Listener:
    """A loopback TCP listener that counts the connections made to it."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            conn.close()


@pytest.fixture(scope="module")
def listener():
    listening = Listener()
    yield listening
    listening.sock.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with running_server(tmp_path_factory.mktemp("gate"), {"STKG_UPDATE_TOKEN": TOKEN}) as running:
        yield running


def _case(word: str) -> st.SearchStrategy[str]:
    """`word` with each letter in either case, some as \\u escapes."""
    letter = st.sampled_from
    return st.tuples(
        *(
            letter([c.upper(), c.lower(), f"\\u{ord(c.upper()):04X}", f"\\u{ord(c):04x}"])
            for c in word
        )
    ).map("".join)


GAP = st.sampled_from(["", " ", "\n", "\t", " # a comment\n", "#\n"])


@st.composite
def service_query(draw, port: int) -> str:
    """A query with a SERVICE call to the listener somewhere in it."""
    endpoint = f"http://127.0.0.1:{port}/sparql"
    target, prologue, values = draw(
        st.sampled_from(
            [
                (f"<{endpoint}>", "", ""),
                ("ex:sparql", f"PREFIX ex: <http://127.0.0.1:{port}/> ", ""),
                (":sparql", f"PREFIX : <http://127.0.0.1:{port}/> ", ""),
                ("?svc", "", f"VALUES ?svc {{ <{endpoint}> }} "),
                ("<sparql>", f"BASE <http://127.0.0.1:{port}/> ", ""),
            ]
        )
    )
    silent = draw(st.one_of(st.just(""), st.tuples(_case("SILENT"), GAP).map("".join)))
    call = f"{draw(_case('SERVICE'))}{draw(GAP)}{silent}{target}{draw(GAP)}{{ ?s ?p ?o }}"
    wrap = draw(
        st.sampled_from(
            [
                "{0}",
                "{{ SELECT * WHERE {{ {0} }} }}",
                "OPTIONAL {{ {0} }}",
                "{{ ?a ?b ?c }} UNION {{ {0} }}",
                "FILTER EXISTS {{ {0} }}",
                "{{ SELECT ?s WHERE {{ {{ SELECT * {{ {0} }} }} }} }}",
                "MINUS {{ {0} }}",
            ]
        )
    )
    return f"{prologue}SELECT * WHERE {{ {values}{wrap.format(call)} }}"


@st.composite
def load_update(draw, port: int) -> str:
    source = f"<http://127.0.0.1:{port}/data.ttl>"
    silent = draw(st.one_of(st.just(""), st.tuples(_case("SILENT"), GAP).map("".join)))
    into = draw(st.sampled_from(["", " INTO GRAPH <urn:g>", "INTO<urn:x>"]))
    return f"{draw(_case('LOAD'))}{draw(GAP)}{silent}{source}{into}"


def _post(base: str, field: str, text: str, token: str | None = None) -> tuple[int, str]:
    data = urllib.parse.urlencode({field: text}).encode()
    request = urllib.request.Request(f"{base}/sparql", data=data)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


@pytest.mark.slow
def test_no_spelling_of_service_makes_the_server_call_out(server, listener):
    @FUZZ
    @given(st.data())
    def run(data):
        query = data.draw(service_query(listener.port))
        status, body = _post(server.base, "query", query)
        assert 400 <= status < 500, (query, status, body)
        assert listener.connections == 0, query

    run()


@pytest.mark.slow
def test_no_spelling_of_load_or_service_in_an_update_calls_out(server, listener):
    @FUZZ
    @given(st.data())
    def run(data):
        if data.draw(st.booleans()):
            update = data.draw(load_update(listener.port))
        else:
            where = data.draw(service_query(listener.port)).split("SELECT * WHERE", 1)[1]
            update = f"INSERT {{ ?s ?p ?o }} WHERE {where}"
        status, body = _post(server.base, "update", update, TOKEN)
        assert 400 <= status < 500, (update, status, body)
        assert listener.connections == 0, update

    run()


@pytest.mark.slow
def test_no_spelling_of_service_makes_stkg_query_call_out(tmp_path, listener):
    project = mini_project_dir(tmp_path)

    @settings(FUZZ, max_examples=8)
    @given(st.data())
    def run(data):
        query = data.draw(service_query(listener.port))
        result = stkg("query", "--sparql", query, cwd=project)
        assert_one_line_error(result)
        assert listener.connections == 0, query

    run()


def test_stkg_query_refuses_service_where_it_used_to_print_a_traceback(tmp_path):
    project = mini_project_dir(tmp_path)
    query = "SELECT * WHERE { SERVICE <http://no-such-host.invalid/sparql> { ?s ?p ?o } }"
    line = assert_one_line_error(stkg("query", "--sparql", query, cwd=project))
    assert "SERVICE is not allowed" in line


# --- The network filter --------------------------------------------------------------------

PROBE = """
import socket, sys
from stkg.netguard import forbid_network
print(forbid_network())
a, b = socket.socketpair(); a.send(b"x"); assert b.recv(1) == b"x"
try:
    socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
except PermissionError:
    print("refused")
"""


def _filtered(pid: int) -> bool:
    status = Path(f"/proc/{pid}/status").read_text()
    return "Seccomp:\t2" in status


linux_only = pytest.mark.skipif(sys.platform != "linux", reason="seccomp is Linux's")


@linux_only
def test_a_process_under_the_filter_cannot_open_a_network_socket_but_keeps_its_pipes(listener):
    result = subprocess.run(
        [sys.executable, "-c", PROBE, str(listener.port)], capture_output=True, text=True
    )
    assert result.stdout.split() == ["True", "refused"], result.stderr
    assert listener.connections == 0


@linux_only
def test_allow_network_turns_the_filter_off(listener):
    env = {"STKG_ALLOW_NETWORK": "1", "PATH": "/usr/bin:/bin"}
    env["PYTHONPATH"] = str(Path(__file__).parents[1] / "src")
    result = subprocess.run(
        [sys.executable, "-c", PROBE, str(listener.port)], capture_output=True, text=True, env=env
    )
    assert result.stdout.split() == ["False"], result.stderr
    assert listener.connections == 1
    listener.connections = 0


@linux_only
@pytest.mark.slow
def test_the_server_and_its_query_workers_run_under_the_filter(server):
    _post(server.base, "query", "ASK { ?s ?p ?o }")  # the workers are up
    children = subprocess.run(
        ["pgrep", "-P", str(server.process.pid)], capture_output=True, text=True
    ).stdout.split()
    assert children, "no query workers"
    assert _filtered(server.process.pid)
    assert all(_filtered(int(pid)) for pid in children)
    # and it still accepts connections on the socket it bound before
    assert _post(server.base, "query", "ASK { ?s ?p ?o }")[0] == 200
