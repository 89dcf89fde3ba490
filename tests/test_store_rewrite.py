"""The rewrites of query shapes a server answers wrongly: on the text (tests/test_store_remote.py
shows each one's answer on Virtuoso, wrong without it and right with it)."""

from __future__ import annotations

import pytest

from stkg.store.rewrite import (
    MINUS_UNSHARED,
    SAMETERM_LITERAL,
    STAR_PATH,
    UNBOUND_EXPRESSION,
    Unsupported,
    rewrite,
)

SUB = "http://www.w3.org/2000/01/rdf-schema#subClassOf"
P = "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> PREFIX ex: <urn:ex:> "
CLOSURES = {
    (SUB, "urn:ex:Top"): ["urn:ex:Sub", "urn:ex:Top"],
    (SUB, "urn:ex:A"): ["urn:ex:A"],
    (SUB, "urn:ex:B"): ["urn:ex:B", "urn:ex:B2"],
    ("urn:ex:broader", "urn:ex:art"): ["urn:ex:art", "urn:ex:art-1"],
}


def closure(predicate: str, iri: str) -> list[str]:
    return CLOSURES[(predicate, iri)]


def squash(text: str) -> str:
    return " ".join(text.split())


def test_without_faults_nothing_changes():
    text = P + 'SELECT ?s { ?s a/rdfs:subClassOf* ex:Top FILTER(sameTerm(?v, "x")) }'
    assert rewrite(text, set(), closure).text == text


def test_sameterm_with_a_simple_literal_becomes_equality():
    done = rewrite(
        'SELECT ?s { ?s ?p ?v FILTER(sameTerm(?v, "high")) }', {SAMETERM_LITERAL}, closure
    )
    assert squash(done.text) == 'SELECT ?s { ?s ?p ?v FILTER((?v = "high")) }'
    assert done.applied == [SAMETERM_LITERAL]


@pytest.mark.parametrize(
    "expression", ['sameTerm(?v, "high"@en)', 'sameTerm(?v, "1"^^ex:t)', "sameTerm(?v, ex:x)"]
)
def test_sameterm_with_a_tagged_or_typed_literal_or_an_iri_is_kept(expression):
    text = P + f"SELECT ?s {{ ?s ?p ?v FILTER({expression}) }}"
    assert rewrite(text, {SAMETERM_LITERAL}, closure).text == text


def test_a_minus_sharing_no_variable_is_left_out_and_one_sharing_one_is_kept():
    text = "SELECT ?s { ?s <urn:p> ?l MINUS { ?a <urn:q> ?b } MINUS { ?s <urn:r> ?c } }"
    assert squash(rewrite(text, {MINUS_UNSHARED}, closure).text) == (
        "SELECT ?s { ?s <urn:p> ?l MINUS { ?s <urn:r> ?c } }"
    )


def test_a_typed_star_path_becomes_values_over_the_closure_at_the_start_of_its_group():
    text = P + "SELECT ?s { ?s ex:level ?l MINUS { ?s a/rdfs:subClassOf* ex:Top } }"
    done = rewrite(text, {STAR_PATH}, closure)
    assert squash(done.text).endswith(
        "MINUS { VALUES ?__stkg_c1 { <urn:ex:Sub> <urn:ex:Top> } ?s a ?__stkg_c1 } }"
    )


def test_a_whole_star_triple_becomes_values_of_its_variable():
    text = P + (
        "SELECT ?s { ?s ex:level ?l . FILTER NOT EXISTS { ?c rdfs:subClassOf* ex:Top . ?s a ?c } }"
    )
    done = rewrite(text, {STAR_PATH}, closure)
    assert squash(done.text).endswith(
        "FILTER NOT EXISTS { VALUES ?c { <urn:ex:Sub> <urn:ex:Top> } ?s a ?c } }"
    )


def test_a_star_path_ending_in_a_values_variable_lists_the_pairs():
    text = P + "SELECT ?s { ?s a ?k . ?k rdfs:subClassOf* ?n . VALUES ?n { ex:A ex:B } }"
    done = squash(rewrite(text, {STAR_PATH}, closure).text)
    assert (
        "VALUES (?k ?n) { (<urn:ex:A> <urn:ex:A>) (<urn:ex:B> <urn:ex:B>) "
        "(<urn:ex:B2> <urn:ex:B>) }" in done
    )
    assert "subClassOf*" not in done and "VALUES ?n { ex:A ex:B }" in done


def test_compiled_shacl_path_parentheses_are_unwrapped_first():
    text = "SELECT ?v { ?v (<urn:ex:implements>/(<urn:ex:broader>)*) <urn:ex:art> . }"
    done = squash(rewrite(text, {STAR_PATH}, closure).text)
    assert done == (
        "SELECT ?v { VALUES ?__stkg_c1 { <urn:ex:art> <urn:ex:art-1> } ?v <urn:ex:implements> "
        "?__stkg_c1 . }"
    )


@pytest.mark.parametrize(
    "pattern",
    [
        "?s ex:broader* ?o",  # no constant end
        "?c rdfs:subClassOf* ex:Top ; ex:p ?o",  # not a whole triple
        "?s (ex:a|ex:b)* ex:Top",  # a path group
    ],
)
def test_a_star_path_that_cannot_be_rewritten_is_refused_naming_the_fault(pattern):
    with pytest.raises(Unsupported, match=STAR_PATH):
        rewrite(P + f"SELECT * {{ ?s ex:level ?l . {pattern} }}", {STAR_PATH}, closure)


def test_arithmetic_and_count_star_are_not_paths():
    text = "SELECT (COUNT(*) AS ?n) { ?s <urn:p> ?v FILTER((?v / 2) * 3 > 1) }"
    assert rewrite(text, {STAR_PATH}, closure).text == text


def test_a_star_path_between_two_bound_variables_becomes_a_test():
    text = "SELECT ?s { ?s <urn:dev> ?d ; <urn:rev> ?r . ?r <urn:memberOf>* ?d . ?s a ?t }"
    done = squash(rewrite(text, {STAR_PATH}, closure).text)
    assert done == (
        "SELECT ?s { ?s <urn:dev> ?d ; <urn:rev> ?r . FILTER(sameTerm(?r, ?d) || EXISTS "
        "{ ?r <urn:memberOf>+ ?d }) ?s a ?t }"
    )


def test_a_star_path_between_variables_bound_only_in_an_optional_is_refused():
    text = "SELECT ?s { ?s <urn:p> ?x OPTIONAL { ?s <urn:q> ?y } ?x <urn:m>* ?y . }"
    with pytest.raises(Unsupported):
        rewrite(text, {STAR_PATH}, closure)


def test_coalesce_over_an_if_is_refused_where_unbound_expressions_are_false():
    text = 'SELECT ?l { OPTIONAL { ?s <urn:p> ?b } BIND(COALESCE(IF(?b = 3, "a", "b"), 0) AS ?l) }'
    with pytest.raises(Unsupported, match=UNBOUND_EXPRESSION):
        rewrite(text, {UNBOUND_EXPRESSION}, closure)
    kept = "SELECT ?s { ?s <urn:p> ?v FILTER(!COALESCE(?v > 1, false)) }"
    assert rewrite(kept, {UNBOUND_EXPRESSION}, closure).text == kept
