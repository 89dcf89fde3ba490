"""`stkg.web.terms`: IRIs in words, requirement codes in the framework's own order."""

from __future__ import annotations

from stkg.web.terms import (
    TermInfo,
    in_words,
    named_in,
    pair_values,
    requirement_order,
    title,
    words_for,
)

EX = "https://w3id.org/stkg/example/acme/"


def test_iris_and_prefixed_names_in_a_message_become_labels(explorer_app):
    message = (
        f"{EX}PeopleAnalyticsTeam reviews it but is its developer {EX}PeopleAnalyticsTeam: no."
    )
    assert named_in(message) == [EX + "PeopleAnalyticsTeam"] * 2
    with explorer_app.test_request_context():
        words = words_for([message, "Needs stkg:HighImpact or stkg:LowImpact."])
    assert words[message] == (
        "People Analytics team reviews it but is its developer People Analytics team: no."
    )
    assert words["Needs stkg:HighImpact or stkg:LowImpact."] == "Needs high impact or low impact."


def test_a_name_without_a_label_keeps_its_local_name_never_the_iri():
    known = {EX + "Unknown": TermInfo(EX + "Unknown", "ex:Unknown", "resource")}
    assert (
        in_words(f"see {EX}Unknown, then https://example.org/a/b.", known) == "see Unknown, then b."
    )
    assert in_words("time 10:30 and e-mail: a@b", {}) == "time 10:30 and e-mail: a@b"


def test_codes_sort_in_the_frameworks_own_order():
    codes = ["3", "MANAGE", "MAP 1.10", "MAP 1.9", "GOVERN", "MEASURE", "MAP"]
    assert sorted(codes, key=requirement_order) == [
        "GOVERN",
        "MAP",
        "MAP 1.9",
        "MAP 1.10",
        "MEASURE",
        "MANAGE",
        "3",
    ]
    eu = ["Annex III", "Chapter IX", "Art. 5", "Chapter V", "Annex I", "Chapter IV"]
    assert sorted(eu, key=requirement_order) == [
        "Chapter IV",
        "Chapter V",
        "Chapter IX",
        "Art. 5",
        "Annex I",
        "Annex III",
    ]
    assert sorted(["A.10.2", "A.2.2", "10", "4.1"], key=requirement_order) == [
        "4.1",
        "10",
        "A.2.2",
        "A.10.2",
    ]


def test_titles_and_pair_values():
    assert title("escalation path") == "Escalation path" and title("") == ""
    block = pair_values(("up", "r"), [(EX + "a", EX + "b")])
    assert block == f"VALUES (?up ?r) {{ (<{EX}a> <{EX}b>) }}"
