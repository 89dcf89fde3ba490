"""The explorer's caches: pages answer at once while they build, they are saved with an
on-disk store for the next start, a write moves them to the new version, and a page view
never writes into the store."""

from __future__ import annotations

import threading

import pytest

from stkg.web import create_app, soa
from stkg.web.portfolio import portfolio_index
from stkg.web.state import CACHE_FILE, state

TOKEN = "s3cret"
NEW_SYSTEM = """PREFIX stkg: <https://w3id.org/stkg#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
INSERT DATA { <https://example.org/new-system> a stkg:SocialTechnicalSystem ;
  rdfs:label "A system added by an update" }"""


def warming_app(project, gate: threading.Event, store_folder=None, **config):
    """An app whose background warm-up waits for `gate`."""
    settings = {"STKG_QUERY_WORKERS": 0, "STKG_BACKGROUND": True, "STKG_WARM_GATE": gate}
    if store_folder is not None:
        settings["STKG_STORE"] = str(store_folder)
    return create_app({**settings, **config}, project=project)


def finish_warm_up(app) -> None:
    app.config["STKG_WARM_GATE"].set()
    state(app).warm_up.join()


@pytest.fixture
def held(project):
    """The shipped project, with its warm-up held back until the test lets it go."""
    app = warming_app(project, threading.Event())
    yield app
    finish_warm_up(app)


@pytest.mark.parametrize(
    "page", ["/gaps", "/systems", "/", "/frameworks/nist-ai-rmf", "/search?q=loan"]
)
def test_a_page_answers_with_a_notice_while_the_caches_build(held, page):
    html = held.test_client().get(page)
    assert html.status_code == 200
    assert "Still computing" in html.get_data(as_text=True)
    assert html.headers["X-STKG-Computing"]


def test_the_json_twin_says_what_is_still_computing_and_is_complete_after(held):
    client = held.test_client()
    early = client.get("/gaps.json")
    assert early.status_code == 200
    assert "gaps" in early.get_json()["still_computing"]
    assert "gaps" in early.headers["X-STKG-Computing"]
    finish_warm_up(held)
    late = client.get("/gaps.json")
    assert "still_computing" not in late.get_json() and "X-STKG-Computing" not in late.headers
    assert late.get_json()["paging"]["total"] > 0


def test_dashboard_counts_seen_during_the_warm_up_are_not_kept(held):
    """The dashboard's attention tiles, asked for while validation runs, count the empty
    placeholder; after the warm-up they count the real gaps (they once kept 0 for good)."""

    def high_risk_tile(client) -> int:
        tiles = client.get("/index.json").get_json()["dashboard"]["attention"]
        return next(t["count"] for t in tiles if t["key"] == "high-risk-violations")

    def tiers_ready() -> None:  # as the warm-up does, before validation has finished
        state(held).caches.mark_warm_up()
        with held.test_request_context():
            portfolio_index()

    early = threading.Thread(target=tiers_ready)
    early.start()
    early.join()
    client = held.test_client()
    assert high_risk_tile(client) == 0  # the tiers are known, the gaps not yet
    finish_warm_up(held)
    assert high_risk_tile(client) > 0  # data/examples has high-risk systems with violations


def test_the_statement_of_applicability_says_it_is_computing_not_that_all_is_well(held):
    client = held.test_client()
    page = client.get("/frameworks/iso-iec-42001/soa").get_data(as_text=True)
    assert "Still computing the validation results" in page
    assert "satisfied" not in page.lower()
    download = client.get("/frameworks/iso-iec-42001/soa.csv")
    assert download.status_code == 503 and download.headers["Retry-After"]
    finish_warm_up(held)
    assert "Still computing" not in client.get("/frameworks/iso-iec-42001/soa").get_data(
        as_text=True
    )


def test_a_restart_on_an_unchanged_store_serves_complete_pages_from_the_saved_caches(
    mini_project, tmp_path
):
    folder = tmp_path / "store"
    first = warming_app(mini_project, threading.Event(), folder)
    finish_warm_up(first)
    complete = first.test_client().get("/gaps.json").get_json()
    assert (folder / CACHE_FILE).is_file()
    state(first).store.close()

    again = warming_app(mini_project, threading.Event(), folder)  # its warm-up never runs
    try:
        answer = again.test_client().get("/gaps.json")
        assert "X-STKG-Computing" not in answer.headers
        assert answer.get_json() == complete
        assert state(again).caches.computed.get("gaps") is None  # read, not validated again
    finally:
        finish_warm_up(again)
        state(again).store.close()


def test_a_restart_on_an_unchanged_store_computes_nothing_again(project, tmp_path, monkeypatch):
    """Every cache the warm-up builds is saved: a restart, its warm-up included, computes
    only the graph sizes its key is made of (at 100,000 systems the statements of
    applicability were not saved and took 8 s each after a restart)."""
    folder = tmp_path / "store"
    first = warming_app(project, threading.Event(), folder)
    finish_warm_up(first)
    statement = first.test_client().get("/frameworks/iso-iec-42001/soa.json").get_json()
    assert statement["requirements"], "ISO/IEC 42001 has requirements"
    state(first).store.close()

    built = []
    monkeypatch.setattr(soa, "soa_data", lambda *args: built.append(args) or {})
    again = warming_app(project, threading.Event(), folder)
    try:
        client = again.test_client()
        assert client.get("/frameworks/iso-iec-42001/soa.json").get_json() == statement
        finish_warm_up(again)
        for page in ("/", "/gaps", "/systems", "/frameworks/nist-ai-rmf", "/search?q=loan"):
            assert client.get(page).status_code == 200, page
        assert set(state(again).caches.computed) == {"graphs"}
        assert built == []  # no statement of applicability built again
    finally:
        finish_warm_up(again)
        state(again).store.close()


def test_a_write_moves_every_cache_to_the_new_version(mini_project, tmp_path):
    folder = tmp_path / "store"
    app = warming_app(mini_project, threading.Event(), folder, STKG_UPDATE_TOKEN=TOKEN)
    finish_warm_up(app)
    client = app.test_client()
    before = client.get("/systems.json").get_json()["paging"]["total"]
    done = client.post(
        "/sparql",
        data={"update": NEW_SYSTEM},
        headers={"Authorization": f"Bearer {TOKEN}"},
    )
    assert done.status_code == 200
    assert not (folder / CACHE_FILE).exists()  # the saved caches were of the old version
    assert client.get("/systems.json").get_json()["paging"]["total"] == before + 1
    assert client.get("/search.json?q=added+by+an+update").get_json()["results"]
    state(app).store.close()


def test_a_corrupt_cache_file_is_ignored_and_replaced(mini_project, tmp_path):
    folder = tmp_path / "store"
    (folder / CACHE_FILE).parent.mkdir(parents=True)
    (folder / CACHE_FILE).write_bytes(b"not a pickle")
    app = warming_app(mini_project, threading.Event(), folder)
    try:
        early = app.test_client().get("/gaps.json")
        assert early.status_code == 200 and "gaps" in early.get_json()["still_computing"]
    finally:
        finish_warm_up(app)
    assert "still_computing" not in app.test_client().get("/gaps.json").get_json()
    assert (folder / CACHE_FILE).read_bytes() != b"not a pickle"
    state(app).store.close()


def test_viewing_pages_never_writes_into_the_store(project):
    app = create_app({"STKG_QUERY_WORKERS": 0}, project=project, store=project.open_store())
    graphs = state(app).store.graphs()
    client = app.test_client()
    systems = client.get("/systems.json").get_json()["systems"]
    assert any(s["tier"]["iri"].endswith("high-risk-annex-iii") for s in systems), "derived"
    for page in ("/", "/gaps", systems[0]["url"]):
        assert client.get(page).status_code == 200
    assert state(app).store.graphs() == graphs
