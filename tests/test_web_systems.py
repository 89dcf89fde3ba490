"""`/systems` (the portfolio table) and `/system?iri=` (one system), with their twins."""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest

from page_checks import assert_accessible_page, csv_rows
from stkg.web import create_app
from stkg.web.systems import CSV_COLUMNS

EX = "https://w3id.org/stkg/example/acme/"
STKG = "https://w3id.org/stkg#"
SHAPES = "https://w3id.org/stkg/shapes#"


def q(iri: str) -> str:
    return quote(iri, safe="")


def listing(explorer, query: str = "") -> dict:
    response = explorer.get("/systems.json" + query)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def test_the_table_and_its_json_twin_list_the_same_systems(explorer):
    data = listing(explorer)
    html = explorer.get("/systems").get_data(as_text=True)
    assert data["paging"]["total"] == 15
    shown = re.findall(r'<th scope="row"><a href="/system\?iri=([^"]+)">', html)
    assert shown == [s["url"].split("iri=", 1)[1] for s in data["systems"]]
    assert [s["label"] for s in data["systems"]] == sorted(
        (s["label"] for s in data["systems"]), key=str.lower
    )


def test_csv_export_has_the_table_columns_and_every_matching_system(explorer):
    columns, rows = csv_rows(explorer.get("/systems.csv"))
    assert columns == list(CSV_COLUMNS)
    data = listing(explorer, "?per_page=500")
    assert [r["system"] for r in rows] == [s["system"] for s in data["systems"]]
    chatbot = next(r for r in rows if r["system"] == EX + "CustomerServiceChatbot")
    assert chatbot["impact"] == "low impact" and int(chatbot["violations"]) >= 1


def test_facet_filters_select_matching_systems_and_counts_agree(explorer):
    data = listing(explorer, "?impact=" + q(STKG + "HighImpact"))
    assert data["systems"] and all(
        s["impact"]["iri"] == STKG + "HighImpact" for s in data["systems"]
    )
    facet = next(
        f for f in listing(explorer)["facets"]["impact"] if f["value"] == STKG + "HighImpact"
    )
    assert facet["count"] == data["paging"]["total"]
    missing = listing(explorer, "?impact=none")
    assert [s["system"] for s in missing["systems"]] == [EX + "NextBestOffer"]
    both = listing(explorer, f"?impact={q(STKG + 'HighImpact')}&stage={q(STKG + 'Deployed')}")
    assert all(s["stage"]["iri"] == STKG + "Deployed" for s in both["systems"])
    assert both["paging"]["total"] < data["paging"]["total"]


def test_gap_type_and_framework_facets_use_the_validation_results(explorer):
    data = listing(explorer, "?shape=" + q(SHAPES + "EscalationPathShape"))
    assert {s["system"] for s in data["systems"]} == {
        EX + "CustomerServiceChatbot",
        EX + "NextBestOffer",
    }
    eu = listing(explorer, "?framework=" + q("https://w3id.org/stkg/framework/eu-ai-act"))
    systems = {s["system"] for s in eu["systems"]}
    assert EX + "CreditLimitManagement" in systems and EX + "LoanApproval" not in systems


def test_search_box_filters_by_name(explorer):
    data = listing(explorer, "?q=FRAUD")
    assert [s["system"] for s in data["systems"]] == [EX + "FraudDetection"]


def test_sorting_by_impact_puts_high_first_and_missing_last(explorer):
    rows = listing(explorer, "?sort=impact")["systems"]
    order = [s["impact"]["label"] if s["impact"] else None for s in rows]
    assert order[0] == "high impact" and order[-1] is None
    assert order.index("low impact") > order.index("medium impact")
    down = listing(explorer, "?sort=label&dir=desc")["systems"]
    assert [s["system"] for s in down] == [s["system"] for s in listing(explorer)["systems"]][::-1]


def test_pages_are_bounded_and_do_not_overlap(explorer):
    first = listing(explorer, "?per_page=5")
    second = listing(explorer, "?per_page=5&page=2")
    assert len(first["systems"]) == len(second["systems"]) == 5
    assert not {s["system"] for s in first["systems"]} & {s["system"] for s in second["systems"]}
    assert first["paging"] == {"page": 1, "per_page": 5, "total": 15, "pages": 3}
    assert listing(explorer, "?per_page=5&page=9")["systems"] == []
    html = explorer.get("/systems?per_page=5&page=2").get_data(as_text=True)
    assert 'rel="next"' in html and 'rel="prev"' in html


@pytest.mark.parametrize(
    "query",
    ["?per_page=0", "?per_page=100000", "?page=x", "?sort=secret", "?impact=not%20an%20iri"],
)
def test_bad_parameters_are_client_errors(explorer, query):
    assert explorer.get("/systems.json" + query).status_code == 400


def test_a_user_defined_subclass_of_system_counts(mini_project):
    client = create_app({"STKG_QUERY_WORKERS": 0}, project=mini_project).test_client()
    data = client.get("/systems.json").get_json()
    assert [s["label"] for s in data["systems"]] == ["Chatbot", "Triage"]
    # no facts: never a tier guessed from missing data
    assert {s["tier"]["label"] for s in data["systems"]} <= {"unclassified", "not classified"}


def _mini_client(mini_project, extra: str = "", **config):
    from conftest import write_project

    if extra:
        write_project(mini_project.root, {"data/more.ttl": extra})
    return create_app({"STKG_QUERY_WORKERS": 0, **config}, project=mini_project).test_client()


MORE = """\
@prefix stkg: <https://w3id.org/stkg#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix ex: <https://w3id.org/stkg/example/test/> .
ex:Scoring a stkg:SocialTechnicalSystem ; rdfs:label "Scoring" ;
  skos:prefLabel "Applicant risk score" ;
  stkg:impactLevel stkg:HighImpact, stkg:MediumImpact .
"""


def test_a_system_with_two_impact_levels_is_counted_and_found_under_each(mini_project):
    client = _mini_client(mini_project, MORE)
    facets = client.get("/systems.json").get_json()["facets"]["impact"]
    counts = {f["value"]: f["count"] for f in facets}
    assert counts == {STKG + "HighImpact": 1, STKG + "MediumImpact": 1, "none": 2}
    for level in ("HighImpact", "MediumImpact"):
        found = client.get("/systems.json?impact=" + q(STKG + level)).get_json()
        assert [s["label"] for s in found["systems"]] == ["Scoring"]
    # shown by its most serious level, and sorted by it
    row = found["systems"][0]
    assert row["impact"]["iri"] == STKG + "HighImpact"
    ranked = client.get("/systems.json?sort=impact").get_json()["systems"]
    assert [s["label"] for s in ranked] == ["Scoring", "Chatbot", "Triage"]
    backwards = client.get("/systems.json?sort=impact&dir=desc").get_json()["systems"]
    assert [s["label"] for s in backwards] == ["Chatbot", "Triage", "Scoring"]


def test_the_search_box_also_matches_preferred_labels(mini_project):
    client = _mini_client(mini_project, MORE)
    found = client.get("/systems.json?q=APPLICANT").get_json()
    assert [s["label"] for s in found["systems"]] == ["Scoring"]


def test_an_update_through_the_endpoint_shows_in_the_table_and_its_facets(mini_project):
    client = _mini_client(mini_project, STKG_UPDATE_TOKEN="s3cret")
    before = client.get("/systems.json").get_json()
    assert before["paging"]["total"] == 2
    assert {f["value"]: f["count"] for f in before["facets"]["impact"]} == {"none": 2}
    done = client.post(
        "/sparql",
        data={
            "update": "PREFIX stkg: <https://w3id.org/stkg#> INSERT DATA { GRAPH <urn:g:new> {"
            " <urn:x:Recruiting> a stkg:SocialTechnicalSystem ;"
            ' <http://www.w3.org/2000/01/rdf-schema#label> "Recruiting" ;'
            " stkg:impactLevel stkg:HighImpact } }"
        },
        headers={"Authorization": "Bearer s3cret"},
    )
    assert done.status_code == 200, done.get_data(as_text=True)
    after = client.get("/systems.json").get_json()
    assert [s["label"] for s in after["systems"]] == ["Chatbot", "Recruiting", "Triage"]
    assert {f["value"]: f["count"] for f in after["facets"]["impact"]} == {
        STKG + "HighImpact": 1,
        "none": 2,
    }
    dashboard = client.get("/index.json").get_json()
    assert dashboard["counts"]["systems"] == 3


def test_systems_page_is_accessible(explorer):
    assert_accessible_page(explorer.get("/systems?sort=stage&dir=desc").get_data(as_text=True))


# --- One system ---------------------------------------------------------------------------------


def system(explorer, name: str) -> tuple[dict, str]:
    data = explorer.get(f"/system.json?iri={q(EX + name)}")
    page = explorer.get(f"/system?iri={q(EX + name)}")
    assert data.status_code == page.status_code == 200
    return data.get_json(), page.get_data(as_text=True)


def test_a_system_without_an_escalation_path_shows_the_gap_and_its_clauses(explorer):
    data, html = system(explorer, "CustomerServiceChatbot")
    gap = next(g for g in data["gaps"] if g["shape"] == SHAPES + "EscalationPathShape")
    assert gap["message"] in html
    notations = {r["notation"] for r in gap["requirements"]}
    assert {"A.3.3", "GOVERN 2.1"} <= notations
    for req in gap["requirements"]:
        assert f'href="{req["url"]}"' in html
    assert "/frameworks/nist-ai-rmf#r-GOVERN-2.1" in html


def test_the_five_elements_are_laid_out(explorer):
    data, html = system(explorer, "FraudDetection")
    owner = next(p for p in data["people"] if p["role"].startswith("Owner"))
    assert [a["label"] for a in owner["agents"]] == ["Laura Smit (Head of Fraud Prevention)"]
    escalation = next(p for p in data["processes"] if p["iri"] == EX + "FraudRingEscalation")
    facts = {f["name"]: [v["text"] for v in f["values"]] for f in escalation["facts"]}
    assert facts["Escalates to"] == ["fraud-escalations@ shared mailbox"]
    assert facts["Performed by"] == ["Fraud Operations analysts"]
    assert "More than 20 linked alerts" in facts["Trigger"][0]
    review = next(p for p in data["processes"] if p["iri"] == EX + "FraudAlertReview")
    assert any(f["name"] == "Evidence required" for f in review["facts"])
    assert {c["iri"] for c in data["contexts"]} == {EX + "FraudContext", EX + "EUBanking"}
    assert len(data["technology"]) == 3
    assert data["impact"][0]["iri"] == STKG + "MediumImpact"
    for heading in ("People", "Technology", "Processes", "Policies and controls", "Context of use"):
        assert f">{heading}</h2>" in html


def test_controls_show_the_requirements_they_implement_and_coverage(explorer):
    data, _ = system(explorer, "LoanApproval")
    assert data["gaps"] == []
    implemented = {r["iri"] for p in data["policies"] for r in p["implements"]}
    covered = {r["iri"] for c in data["coverage"] for r in c["requirements"]}
    assert implemented == covered and implemented
    assert "https://w3id.org/stkg/framework/eu-ai-act/art-14" in covered


def test_the_tier_is_shown_with_its_explanation(explorer):
    data, html = system(explorer, "LoanApproval")
    assert data["tier"]["tiers"], "the loan system is classified"
    assert data["tier"]["label"] in html
    assert all(e["explanation"] for e in data["tier"]["explanations"])


def test_the_neighbourhood_container_has_the_iri_and_a_plain_list(explorer):
    data, html = system(explorer, "FraudDetection")
    section = re.search(r'<section id="neighbourhood"[^>]*>', html).group(0)
    assert f'data-iri="{EX}FraudDetection"' in section
    assert data["neighbours"]["incoming"], "the RACI assignment points at the system"
    for link in data["neighbours"]["outgoing"][:5]:
        assert link["node"]["url"].replace("&", "&amp;") in html


def test_system_page_errors(explorer):
    assert explorer.get("/system").status_code == 400
    assert explorer.get("/system?iri=not%20an%20iri").status_code == 400
    assert explorer.get(f"/system?iri={q(EX + 'LauraSmit')}").status_code == 404
    assert explorer.get(f"/system.json?iri={q(EX + 'Nothing')}").status_code == 404


def test_system_page_is_accessible(explorer):
    for name in ("FraudDetection", "NextBestOffer", "LoanApproval"):
        assert_accessible_page(system(explorer, name)[1])


def test_gap_facets_count_within_the_other_filters(explorer):
    shape = SHAPES + "EscalationPathShape"
    whole = listing(explorer)["facets"]["shape"]
    assert next(f["count"] for f in whole if f["value"] == shape) == 2
    low = listing(explorer, "?impact=" + q(STKG + "LowImpact"))
    systems = {s["system"] for s in low["systems"]}
    counted = {f["value"]: f["count"] for f in low["facets"]["shape"]}
    for value, count in counted.items():
        having = listing(explorer, f"?impact={q(STKG + 'LowImpact')}&shape={q(value)}")
        assert having["paging"]["total"] == count > 0
        assert {s["system"] for s in having["systems"]} <= systems
    assert sum(counted.values()) < sum(f["count"] for f in whole)


def test_the_index_remembers_recent_selections_only():
    from stkg.web.portfolio import KEEP, PortfolioIndex

    index, calls = PortfolioIndex([]), []

    def compute(key):
        return lambda: calls.append(key) or []

    index.remember("a", compute("a"))
    index.remember("a", compute("a"))
    assert calls == ["a"]
    for n in range(KEEP):
        index.remember(n, compute(n))
    index.remember("a", compute("a"))  # pushed out by KEEP newer selections
    assert calls.count("a") == 2
