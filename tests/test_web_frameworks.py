"""`/frameworks`, a page per framework, and the crosswalk matrix."""

from __future__ import annotations

import re
from urllib.parse import quote

from page_checks import assert_accessible_page, csv_rows
from stkg.web.crosswalk import CSV_COLUMNS as CROSSWALK_COLUMNS
from stkg.web.frameworks import CSV_COLUMNS, flatten

FW = "https://w3id.org/stkg/framework/"
EX = "https://w3id.org/stkg/example/acme/"


def test_frameworks_list_and_json_twin_agree(explorer):
    data = explorer.get("/frameworks.json").get_json()
    html = explorer.get("/frameworks").get_data(as_text=True)
    by_slug = {f["slug"]: f for f in data["frameworks"]}
    assert by_slug["nist-ai-rmf"]["requirements"] == 103
    assert by_slug["iso-iec-42001"]["requirements"] == 92
    for framework in data["frameworks"]:
        assert f'href="{framework["url"]}"' in html
        assert f'<td class="num">{framework["requirements"]}</td>' in html
    assert by_slug["eu-ai-act"]["failing_systems"] > 0
    assert by_slug["eu-ai-act"]["implementing_systems"] > 0
    assert_accessible_page(html)


def test_the_requirement_tree_follows_skos_broader_with_official_text(explorer):
    data = explorer.get("/frameworks/nist-ai-rmf.json").get_json()
    top = {r["notation"] for r in data["tree"]}
    assert {"GOVERN", "MAP", "MEASURE", "MANAGE"} <= top
    govern = next(r for r in data["tree"] if r["notation"] == "GOVERN")
    govern_1 = next(r for r in govern["narrower"] if r["notation"] == "GOVERN 1")
    subs = [r["notation"] for r in govern_1["narrower"]]
    assert subs[:2] == ["GOVERN 1.1", "GOVERN 1.2"]
    assert all(r["broader"] == govern_1["iri"] for r in govern_1["narrower"])
    everything = flatten(data["tree"])
    assert len(everything) == data["requirements"]
    assert sum(r["kind"] == "subcategory" for r in everything) == 72
    assert all(r["text"] for r in everything if r["kind"] == "subcategory")


def test_iso_shows_identifiers_and_titles_only(explorer):
    data = explorer.get("/frameworks/iso-iec-42001.json").get_json()
    everything = flatten(data["tree"])
    assert everything and all(r["text"] is None for r in everything)
    assert any(r["notation"] == "A.6.2.6" and r["label"] for r in everything)


def test_each_requirement_shows_mappings_implementers_and_failures(explorer):
    data = explorer.get("/frameworks/eu-ai-act.json").get_json()
    art14 = next(r for r in flatten(data["tree"]) if r["iri"] == FW + "eu-ai-act/art-14")
    assert {m["relationship"] for m in art14["mappings"]} == {"intersects with"}
    assert any(m["requirement"]["notation"] == "MAP 3.5" for m in art14["mappings"])
    assert art14["implementing"]["systems"] > 0
    assert any(c["iri"] == EX + "HumanOversightStandard" for c in art14["implementing"]["controls"])
    assert art14["failing"]["systems"] == 1
    assert art14["failing"]["sample"][0]["iri"] == EX + "InternalMobilityMatcher"
    html = explorer.get("/frameworks/eu-ai-act").get_data(as_text=True)
    assert 'id="r-art-14"' in html
    assert_accessible_page(html)


def test_a_mapping_stated_the_other_way_reads_with_its_inverse(explorer):
    # Acme's policy statement AIP-2 is stated to be a subset of ISO/IEC 42001 A.5.2
    policy = explorer.get("/frameworks/internal-template.json").get_json()
    aip2 = next(r for r in flatten(policy["tree"]) if r["notation"] == "AIP-2")
    forward = next(m for m in aip2["mappings"] if m["requirement"]["notation"] == "A.5.2")
    iso = explorer.get("/frameworks/iso-iec-42001.json").get_json()
    a52 = next(r for r in flatten(iso["tree"]) if r["notation"] == "A.5.2")
    backward = next(m for m in a52["mappings"] if m["requirement"]["notation"] == "AIP-2")
    assert (forward["relationship"], backward["relationship"]) == ("subset of", "superset of")


def test_framework_csv_has_one_row_per_requirement(explorer):
    columns, rows = csv_rows(explorer.get("/frameworks/nist-ai-rmf.csv"))
    assert columns == list(CSV_COLUMNS)
    assert len(rows) == 103
    gov11 = next(r for r in rows if r["notation"] == "GOVERN 1.1")
    assert gov11["broader"] == "GOVERN 1" and gov11["official_text"].startswith("Legal")


def test_unknown_framework_is_404(explorer):
    assert explorer.get("/frameworks/no-such-framework").status_code == 404
    assert explorer.get("/frameworks/no-such-framework.json").status_code == 404


# --- Crosswalk matrix ---------------------------------------------------------------------------


def test_matrix_counts_match_the_mapping_list(explorer):
    data = explorer.get("/crosswalk.json?source=nist-ai-rmf&target=iso-iec-42001").get_json()
    matrix = data["matrix"]
    assert {"GOVERN", "MANAGE", "MAP", "MEASURE"} <= {r["notation"] for r in matrix["rows"]}
    assert matrix["total"] == sum(c["total"] for c in matrix["cells"])
    for cell in matrix["cells"]:
        assert cell["total"] == sum(cell["by"].values())
    _, rows = csv_rows(explorer.get("/crosswalk.csv?source=nist-ai-rmf&target=iso-iec-42001"))
    assert len({r["mapping"] for r in rows}) == matrix["total"]


def test_choosing_a_cell_lists_its_mappings(explorer):
    base = "/crosswalk.json?source=nist-ai-rmf&target=iso-iec-42001"
    matrix = explorer.get(base).get_json()["matrix"]
    cell = max(matrix["cells"], key=lambda c: c["total"])
    chosen = explorer.get(
        f"{base}&row={quote(cell['row'], safe='')}&col={quote(cell['col'], safe='')}"
    ).get_json()["matrix"]["selected"]
    assert len({m["mapping"] for m in chosen["mappings"]}) == cell["total"]
    row_notation = next(r["notation"] for r in matrix["rows"] if r["iri"] == cell["row"])
    assert all(m["source"]["notation"].startswith(row_notation) for m in chosen["mappings"])


def test_rows_can_be_a_chosen_level(explorer):
    data = explorer.get(
        "/crosswalk.json?source=eu-ai-act&target=nist-ai-rmf&rows=article&cols=category"
    ).get_json()["matrix"]
    assert all((r["notation"] or "").startswith("Art.") for r in data["rows"])
    art14 = next(c for c in data["cells"] if c["row"] == FW + "eu-ai-act/art-14")
    assert art14["by"] == {"intersects with": art14["total"]}


def test_crosswalk_page_and_csv(explorer):
    html = explorer.get("/crosswalk?source=nist-ai-rmf&target=iso-iec-42001").get_data(as_text=True)
    assert re.search(r'<table class="matrix[ "]', html)
    assert_accessible_page(html)
    assert_accessible_page(explorer.get("/crosswalk").get_data(as_text=True))
    columns, _ = csv_rows(explorer.get("/crosswalk.csv?source=eu-ai-act&target=nist-ai-rmf"))
    assert columns == list(CROSSWALK_COLUMNS)
    assert explorer.get("/crosswalk.csv").status_code == 400
    assert explorer.get("/crosswalk?source=nope&target=nist-ai-rmf").status_code == 404


def _failing_within(node: dict, failing: dict[str, set[str]]) -> set[str]:
    below = set(failing.get(node["iri"], ()))
    for child in node["narrower"]:
        below |= _failing_within(child, failing)
    return below


def test_gaps_roll_up_the_tree_to_every_broader_requirement(explorer):
    data = explorer.get("/frameworks/nist-ai-rmf.json").get_json()
    gaps = explorer.get("/gaps.json?group=requirement&per_page=500").get_json()["groups"]
    failing = {g["iri"]: {s["iri"] for r in g["results"] for s in r["systems"]} for g in gaps}
    for node in flatten(data["tree"]):
        assert node["failing"]["within"] == len(_failing_within(node, failing)), node["notation"]
        assert node["failing"]["within"] >= node["failing"]["systems"]
        assert node["implementing"]["within"] >= node["implementing"]["systems"]
        assert node["coverage"]["requirements"] == 1 + len(flatten(node["narrower"]))
    govern = data["tree"][0]
    assert govern["notation"] == "GOVERN"
    assert govern["failing"]["systems"] == 0 < govern["failing"]["within"]
    html = explorer.get("/frameworks/nist-ai-rmf").get_data(as_text=True)
    assert f"{govern['failing']['within']} systems fail it or a requirement under it" in html


def test_functions_and_articles_come_in_the_frameworks_own_order(explorer):
    nist = explorer.get("/frameworks/nist-ai-rmf.json").get_json()["tree"]
    assert [n["notation"] for n in nist] == ["GOVERN", "MAP", "MEASURE", "MANAGE", "3"]
    govern = [n["notation"] for n in nist[0]["narrower"]]
    assert govern == [f"GOVERN {i}" for i in range(1, len(govern) + 1)]
    eu = explorer.get("/frameworks/eu-ai-act.json").get_json()["tree"]
    chapters = [n["notation"] for n in eu if n["notation"].startswith("Chapter")]
    roman = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII", "XIII"]
    assert chapters == [f"Chapter {r}" for r in roman[: len(chapters)]]
    notations = [n["notation"] for n in eu]
    annexes = [i for i, n in enumerate(notations) if n.startswith("Annex")]
    assert not annexes or min(annexes) > max(notations.index(c) for c in chapters)
    cross = explorer.get("/crosswalk.json?source=nist-ai-rmf&target=iso-iec-42001").get_json()
    assert [r["notation"] for r in cross["matrix"]["rows"]][:4] == [
        "GOVERN",
        "MAP",
        "MEASURE",
        "MANAGE",
    ]


def test_a_framework_page_has_contents_folding_and_coverage_bars(explorer):
    html = explorer.get("/frameworks/nist-ai-rmf").get_data(as_text=True)
    contents = html[
        html.index('<nav class="toc"') : html.index("</nav>", html.index('class="toc"'))
    ]
    for notation in ("GOVERN", "MAP", "MEASURE", "MANAGE"):
        assert f'href="#r-{notation}"' in contents
    assert '<details class="fold"' in html and 'class="cov-bar"' in html
    assert "framework.js" in html
    assert not re.search(r"\b1 systems", html)
    assert_accessible_page(html)


def test_the_crosswalk_is_a_heat_map_with_the_relationship_mix(explorer):
    url = "/crosswalk.json?source=eu-ai-act&target=nist-ai-rmf&rows=article"
    matrix = explorer.get(url).get_json()["matrix"]
    assert matrix["max"] == max(c["total"] for c in matrix["cells"])
    for cell in matrix["cells"]:
        assert 1 <= cell["level"] <= 5
        assert sum(k["count"] for k in cell["mix"]) == cell["total"]
        assert [k["relationship"] for k in cell["mix"]] == [
            r for r in matrix["relationships"] if r in cell["by"]
        ]
    fullest = max(matrix["cells"], key=lambda c: c["total"])
    assert fullest["level"] == 5
    assert len({c["level"] for c in matrix["cells"]}) > 1  # not every cell the same shade
    # Rows and columns without a mapping are listed apart, not drawn as empty lines.
    with_cells = {c["row"] for c in matrix["cells"]}
    assert {r["iri"] for r in matrix["rows"]} == with_cells
    nist = explorer.get("/crosswalk.json?source=nist-ai-rmf&target=iso-iec-42001").get_json()
    assert "3" in [r["notation"] for r in nist["matrix"]["unmapped"]["rows"]]
    html = explorer.get(url.replace(".json", "")).get_data(as_text=True)
    assert 'class="heat-legend"' in html and "heat-5" in html
    assert 'class="axis-label"' in html  # titles beside the codes on both axes
