"""Caches saved beside an on-disk store by an older stkg are recomputed, never served broken.

The explorer pickles its caches (the gap index among them) keyed by the store's version. A
class that gained a field since (the gap index's gap-type titles) unpickles without it; such
a value must count as absent, so the pages recompute it instead of failing on the field."""

from __future__ import annotations

import pickle
import threading
from dataclasses import MISSING, fields
from urllib.parse import urlencode

from stkg.web import create_app
from stkg.web.state import CACHE_FILE, state


def app_on(project, folder, gate: threading.Event):
    settings = {"STKG_QUERY_WORKERS": 0, "STKG_BACKGROUND": True, "STKG_WARM_GATE": gate}
    return create_app({**settings, "STKG_STORE": str(folder)}, project=project)


def test_a_gap_index_saved_without_a_field_it_has_now_is_recomputed(project, tmp_path):
    folder = tmp_path / "store"
    first = app_on(project, folder, threading.Event())
    first.config["STKG_WARM_GATE"].set()
    state(first).warm_up.join()
    complete = first.test_client().get("/gaps.json").get_json()
    assert complete["groups"], "the example portfolio has gaps"
    state(first).store.close()

    saved = pickle.loads((folder / CACHE_FILE).read_bytes())
    gaps = saved["values"]["gaps"]
    # as an index pickled before its class gained a field (the gap-type titles, once)
    newest = [f.name for f in fields(gaps) if f.default_factory is not MISSING][-1]
    del gaps.__dict__[newest]
    (folder / CACHE_FILE).write_bytes(pickle.dumps(saved))

    again = app_on(project, folder, threading.Event())  # its warm-up waits
    try:
        client = again.test_client()
        system = complete["groups"][0]["iri"]
        for url in ("/gaps", "/gaps.json", "/", f"/system?{urlencode({'iri': system})}"):
            response = client.get(url)
            assert response.status_code == 200, (url, response.get_data(as_text=True)[:300])
        again.config["STKG_WARM_GATE"].set()
        state(again).warm_up.join()
        assert client.get("/gaps.json").get_json() == complete
    finally:
        again.config["STKG_WARM_GATE"].set()
        state(again).warm_up.join()
        state(again).store.close()
