"""Ad-hoc SPARQL cannot take what pages and named queries need.

Against the real `stkg serve` with one ad-hoc worker and no wait queue: while a heavy ad-hoc
query holds the only slot, another ad-hoc query is refused at once with 503 and
`Retry-After`, and the start page and a named query still answer, before the heavy one ends.
"""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.parse
import urllib.request

import pytest

from servers import running_server
from stkg.web.admission import Admission, ServerBusy

CPU_BOMB = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
LOAN = "https://w3id.org/stkg/example/acme/LoanApproval"


def fetch(url: str) -> tuple[int, dict[str, str], bytes]:
    try:
        with urllib.request.urlopen(url, timeout=30) as answer:  # stops a hang, times nothing
            return answer.status, dict(answer.headers), answer.read()
    except urllib.error.HTTPError as refused:
        return refused.code, dict(refused.headers), refused.read()


def sparql_url(base: str, query: str) -> str:
    return f"{base}/sparql?" + urllib.parse.urlencode({"query": query})


@pytest.mark.slow
def test_a_full_ad_hoc_lane_answers_503_while_pages_and_named_queries_answer(tmp_path):
    settings = {"STKG_QUERY_WORKERS": "1", "STKG_ADHOC_QUEUE": "0", "STKG_QUERY_TIMEOUT": "60"}
    with running_server(tmp_path, settings) as server:
        heavy: dict[str, object] = {}

        def hold() -> None:  # until it gets the slot (a probe below may have it for a moment)
            try:
                while (answer := fetch(sparql_url(server.base, CPU_BOMB)))[0] == 503:
                    pass
                heavy["answer"] = answer
            except OSError:  # the server stopped at the end of the test
                pass

        holder = threading.Thread(target=hold, daemon=True)
        holder.start()
        for _ in range(200):  # until the heavy query holds the slot
            status, headers, body = fetch(sparql_url(server.base, "ASK {}"))
            if status == 503:
                break
            assert status == 200, body
            holder.join(0.05)
        assert status == 503
        assert int(headers["Retry-After"]) >= 1
        assert headers["Content-Type"] == "text/plain; charset=utf-8"
        assert b"busy" in body
        page = fetch(f"{server.base}/")
        assert page[0] == 200
        named = fetch(
            f"{server.base}/queries/system-profile.json?" + urllib.parse.urlencode({"system": LOAN})
        )
        assert named[0] == 200
        assert json.loads(named[2])["results"]["bindings"]
        for page in ("editor", "editor.json"):  # the editor's queries are ad-hoc too
            editor = fetch(f"{server.base}/{page}?" + urllib.parse.urlencode({"query": "ASK {}"}))
            assert editor[0] == 503
            assert int(editor[1]["Retry-After"]) >= 1
        assert fetch(f"{server.base}/sparql")[0] == 200  # the description runs no query
        assert holder.is_alive() and not heavy  # all of this while the heavy one still ran


def test_the_wait_queue_is_bounded_and_a_freed_slot_lets_the_next_in():
    admission = Admission(slots=1, queue=1, wait=30)
    running, waited, entered = threading.Event(), threading.Event(), threading.Event()
    release = threading.Event()

    def first() -> None:
        with admission.slot():
            running.set()
            release.wait(30)

    def second() -> None:
        waited.set()
        with admission.slot():
            entered.set()

    threading.Thread(target=first, daemon=True).start()
    running.wait(30)
    threading.Thread(target=second, daemon=True).start()
    waited.wait(30)
    for _ in range(1000):  # until the second one is queued
        if admission.load() == (1, 1):
            break
        release.wait(0.01)
    assert admission.load() == (1, 1)
    with pytest.raises(ServerBusy) as refused, admission.slot():
        pass
    assert refused.value.status == 503 and refused.value.retry_after == 30
    release.set()
    assert entered.wait(30)


def test_a_wait_that_runs_out_is_refused():
    admission = Admission(slots=1, queue=1, wait=0.05)
    with admission.slot(), pytest.raises(ServerBusy), admission.slot():
        pass
    assert admission.load() == (0, 0)
