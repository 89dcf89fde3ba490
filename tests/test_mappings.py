"""The mapping model: the STRM composition table (exhaustively) and inference of chains."""

from __future__ import annotations

import itertools

import pyoxigraph as ox
import pytest

from mapping_fixtures import make_project, mapping, mappings_ttl
from stkg.mappings.infer import infer, infer_store, usable_links
from stkg.mappings.model import (
    INFERRED_GRAPH,
    STRM,
    Relation,
    compose,
    compose_all,
    fetch_catalogue,
    fetch_links,
    natural_sorted,
)

E, S, P, I, N = STRM  # noqa: E741 - the letters of the NIST IR 8477 table
R, X = Relation.RELATED, Relation.INDETERMINATE
ORDER = [E, S, P, I, N, R]

# first ∘ second, row = first (A → B), column = second (B → C); "?" is indeterminate.
EXPECTED = """
     E  S  P  I  N  R
E    E  S  P  I  N  ?
S    S  S  ?  ?  ?  ?
P    P  ?  P  ?  ?  ?
I    I  ?  ?  ?  ?  ?
N    N  ?  ?  ?  ?  ?
R    ?  ?  ?  ?  ?  ?
"""
_LETTER = {"E": E, "S": S, "P": P, "I": I, "N": N, "?": X}


def expected_table() -> dict[tuple[Relation, Relation], Relation]:
    lines = [line.split() for line in EXPECTED.strip().splitlines()[1:]]
    return {
        (ORDER[i], ORDER[j]): _LETTER[cell]
        for i, line in enumerate(lines)
        for j, cell in enumerate(line[1:])
    }


@pytest.mark.parametrize(
    ("first", "second"), list(itertools.product(ORDER, ORDER)), ids=lambda r: r.name
)
def test_composition_table_entry(first, second):
    assert compose(first, second) is expected_table()[(first, second)]


def test_the_table_covers_every_pair_of_strm_and_untyped_links():
    assert len(expected_table()) == 36 == len(list(itertools.product(ORDER, ORDER)))


def test_no_chain_without_an_equal_link_is_ever_called_intersects():
    for first, second in itertools.product(ORDER, ORDER):
        if E not in (first, second):
            assert compose(first, second) is not I


@pytest.mark.parametrize("relation", ORDER, ids=lambda r: r.name)
def test_indeterminate_absorbs(relation):
    assert compose(X, relation) is X and compose(relation, X) is X


def test_composition_is_associative():
    values = [*ORDER, X]
    for a, b, c in itertools.product(values, repeat=3):
        assert compose(compose(a, b), c) is compose(a, compose(b, c)), (a, b, c)


def test_reading_a_chain_backwards_gives_the_inverse():
    for a, b in itertools.product(ORDER, ORDER):
        assert compose(a, b).inverse is compose(b.inverse, a.inverse), (a, b)


def test_inverses_match_the_ontology(store):
    rows = store.query(
        "PREFIX stkg: <https://w3id.org/stkg#> "
        "SELECT ?r ?i WHERE { ?r a stkg:SetRelationship ; stkg:inverseRelationship ?i }"
    ).dicts()
    declared = {(row["r"].value, row["i"].value) for row in rows}
    assert declared == {(r.iri, r.inverse.iri) for r in STRM}


def test_skos_properties_match_the_ontology(store):
    rows = store.query(
        "PREFIX stkg: <https://w3id.org/stkg#> "
        "SELECT ?r ?p WHERE { ?r a stkg:SetRelationship ; stkg:skosMappingProperty ?p }"
    ).dicts()
    declared = {row["r"].value: row["p"].value for row in rows}
    assert declared == {r.iri: r.skos for r in STRM if r.skos}


def test_compose_all_folds_left_and_refuses_an_empty_chain():
    assert compose_all([E, S, E, S]) is S
    assert compose_all([S, S, P]) is X
    with pytest.raises(ValueError):
        compose_all([])


def test_natural_sort_orders_codes_as_people_do():
    assert natural_sorted(["A.10", "A.2", "GOVERN 1.10", "GOVERN 1.2"]) == [
        "A.2",
        "A.10",
        "GOVERN 1.2",
        "GOVERN 1.10",
    ]


# --- inference over a store ------------------------------------------------------------------

CHAINS = mappings_ttl(
    mapping("m:test\\/1", "fa:A1", "fb:B1", "Equal"),
    mapping("m:test\\/2", "fb:B1", "fc:C1", "SubsetOf"),
    mapping("m:test\\/3", "fa:A2", "fb:B2"),  # untyped
    mapping("m:test\\/4", "fc:C2", "fb:B2", "SupersetOf"),
    mapping("m:test\\/5", "fa:A3", "fb:B3", "NoRelationship"),
    mapping("m:test\\/6", "fb:B3", "fc:C3", "SubsetOf"),
    mapping("m:test\\/7", "fa:A4", "fb:B3", "SubsetOf", "stkg:reviewStatus stkg:Rejected"),
)
M = "https://w3id.org/stkg/mapping/test/"
A = "https://w3id.org/stkg/framework/fw-a/"
C = "https://w3id.org/stkg/framework/fw-c/"


@pytest.fixture
def chain_store(tmp_path):
    return make_project(tmp_path / "p", CHAINS).open_store()


def inferred_by_pair(store):
    links = infer(usable_links(fetch_links(store)), fetch_catalogue(store))
    return {(link.source, link.target): link for link in links}


def test_equal_then_subset_is_subset_with_its_path(chain_store):
    link = inferred_by_pair(chain_store)[(A + "A1", C + "C1")]
    assert link.relation is S
    assert [(s.link.mapping, s.reversed) for s in link.path] == [(M + "1", False), (M + "2", False)]


def test_untyped_then_typed_is_indeterminate_and_reversed_steps_are_marked(chain_store):
    link = inferred_by_pair(chain_store)[(A + "A2", C + "C2")]
    assert link.relation is X
    assert [(s.link.mapping, s.reversed) for s in link.path] == [(M + "3", False), (M + "4", True)]


def test_no_relationship_then_subset_is_indeterminate_not_partial(chain_store):
    assert inferred_by_pair(chain_store)[(A + "A3", C + "C3")].relation is X


def test_rejected_mappings_do_not_chain(chain_store):
    assert not any(source == A + "A4" for source, _ in inferred_by_pair(chain_store))


def test_endpoints_in_the_same_framework_are_not_linked(chain_store):
    pairs = inferred_by_pair(chain_store)
    assert all(s.split("/")[-2] != t.split("/")[-2] for s, t in pairs)


def test_pairs_with_an_asserted_mapping_get_no_chained_one(tmp_path):
    ttl = mappings_ttl(
        mapping("m:test\\/1", "fa:A1", "fb:B1", "Equal"),
        mapping("m:test\\/2", "fb:B1", "fc:C1", "SubsetOf"),
        mapping("m:test\\/3", "fc:C1", "fa:A1", "SupersetOf"),
    )
    store = make_project(tmp_path / "p", ttl).open_store()
    assert inferred_by_pair(store) == {}


def test_longer_chains_need_more_hops(tmp_path):
    ttl = mappings_ttl(
        mapping("m:test\\/1", "fa:A1", "fb:B1", "SubsetOf"),
        mapping("m:test\\/2", "fb:B1", "fb:B2", "SubsetOf"),
        mapping("m:test\\/3", "fb:B2", "fc:C1", "SubsetOf"),
    )
    store = make_project(tmp_path / "p", ttl).open_store()
    links, catalogue = usable_links(fetch_links(store)), fetch_catalogue(store)
    assert (A + "A1", C + "C1") not in {(x.source, x.target) for x in infer(links, catalogue)}
    three = {(x.source, x.target): x for x in infer(links, catalogue, max_hops=3)}
    assert three[(A + "A1", C + "C1")].relation is S


def test_inferred_links_are_in_their_own_graph_and_queryable_with_their_path(chain_store):
    before = chain_store.graphs()
    infer_store(chain_store)
    assert INFERRED_GRAPH not in before and chain_store.graphs()[INFERRED_GRAPH] > 0
    rows = chain_store.query(
        """PREFIX stkg: <https://w3id.org/stkg#>
        PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
        SELECT ?m ?rel ?step (COUNT(?mid) AS ?position) WHERE {
          GRAPH <INFERRED> { ?m a stkg:ChainedMapping ; stkg:mappingPath ?list }
          ?list rdf:rest* ?mid . ?mid rdf:rest* ?cell . ?cell rdf:first ?step .
          OPTIONAL { ?m stkg:relationship ?rel }
        } GROUP BY ?m ?rel ?step ?cell ORDER BY ?m ?position""".replace("INFERRED", INFERRED_GRAPH)
    )
    steps: dict[str, list[str]] = {}
    relations = {}
    for row in rows.dicts():
        steps.setdefault(row["m"].value, []).append(row["step"].value)
        relations[row["m"].value] = row["rel"].value if "rel" in row else None
    chained = [m for m, s in steps.items() if s == [M + "1", M + "2"]]
    assert len(chained) == 1
    assert relations[chained[0]] == "https://w3id.org/stkg#SubsetOf"


def test_asserted_mappings_are_never_read_back_as_chained(chain_store):
    infer_store(chain_store)
    assert {link.mapping for link in fetch_links(chain_store)} == {M + str(i) for i in range(1, 8)}


def test_indeterminate_chains_have_no_relationship_and_no_skos_triple(chain_store):
    infer_store(chain_store)
    ask = chain_store.query(
        """PREFIX stkg: <https://w3id.org/stkg#>
        PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
        ASK { GRAPH ?g { ?source ?p ?target . FILTER(STRSTARTS(STR(?p), STR(skos:))) } }""",
        bindings={
            "g": ox.NamedNode(INFERRED_GRAPH),
            "source": ox.NamedNode(A + "A3"),
            "target": ox.NamedNode(C + "C3"),
        },
    )
    assert ask.boolean is False
    typed = chain_store.query(
        "PREFIX skos: <http://www.w3.org/2004/02/skos/core#> "
        "ASK { GRAPH ?g { ?s skos:broadMatch ?t } }",
        bindings={
            "g": ox.NamedNode(INFERRED_GRAPH),
            "s": ox.NamedNode(A + "A1"),
            "t": ox.NamedNode(C + "C1"),
        },
    )
    assert typed.boolean is True


def test_inferring_twice_replaces_the_graph(chain_store):
    infer_store(chain_store)
    size = chain_store.graphs()[INFERRED_GRAPH]
    infer_store(chain_store)
    assert chain_store.graphs()[INFERRED_GRAPH] == size
