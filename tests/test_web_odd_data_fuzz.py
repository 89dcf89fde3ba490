"""Random ill-typed triples added to the example portfolio never make a page answer 5xx.

hypothesis draws a few triples: subjects from the portfolio's systems, people and
requirements (or a blank node), an `stkg:` property of the ontology or a label, hierarchy or
type property, and an object of any kind — a literal of a random datatype (often ill-typed:
"x"^^xsd:integer) or language, an IRI of the data or a made-up one, a blank node, the
subject itself. Each example gets a fresh app over the portfolio plus those triples, and
every route is requested with its parameters filled from the data and the drawn subjects
and objects. Examples are bounded and derandomized, so a run is the same every time.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pyoxigraph as ox
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from odd_data import base_quads, odd_app, server_errors
from stkg.project import Project
from stkg.store import OxigraphStore

REPO = Path(__file__).resolve().parents[1]
STKG = "https://w3id.org/stkg#"
XSD = "http://www.w3.org/2001/XMLSchema#"
EXTRA_PROPERTIES = (
    "http://www.w3.org/1999/02/22-rdf-syntax-ns#type",
    "http://www.w3.org/2000/01/rdf-schema#label",
    "http://www.w3.org/2000/01/rdf-schema#comment",
    "http://www.w3.org/2004/02/skos/core#prefLabel",
    "http://www.w3.org/2004/02/skos/core#notation",
    "http://www.w3.org/2004/02/skos/core#broader",
    "http://www.w3.org/2004/02/skos/core#inScheme",
    "http://www.w3.org/2004/02/skos/core#topConceptOf",
)
TYPES = ("string", "integer", "boolean", "date", "dateTime", "decimal", "anyURI")
DATATYPES = (*(XSD + t for t in TYPES), "https://odd.example/datatype")
# Properties the pages read most, drawn half of the time.
HOT = (
    tuple(
        STKG + p
        for p in (
            "lifecycleStage",
            "impactLevel",
            "euAIActTier",
            "hasOwner",
            "governedBy",
            "implements",
            "memberOf",
            "hasProcess",
            "hasComponent",
            "supportsDecision",
        )
    )
    + EXTRA_PROPERTIES
)
LANGUAGES = ("en", "de", "en-GB", "x-odd")
EXAMPLES = 20  # each builds an app and requests every route: 2-3 s


@cache
def vocabulary() -> dict[str, tuple[str, ...]]:
    """Subjects, properties and IRIs to draw from, read from the example portfolio."""
    store = OxigraphStore()
    store.add_quads(base_quads(str(REPO)))

    def iris(where: str, limit: int = 30) -> tuple[str, ...]:
        rows = store.query(f"SELECT DISTINCT ?x WHERE {{ {where} FILTER(isIRI(?x)) }}").rows
        return tuple(sorted(r[0].value for r in rows))[:limit]

    sub = "<http://www.w3.org/2000/01/rdf-schema#subClassOf>*"
    return {
        "subjects": iris(f"?c {sub} <{STKG}SocialTechnicalSystem> . ?x a ?c")
        + iris(f"?x a <{STKG}Person>")
        + iris(f"?x a <{STKG}Requirement>", 15),
        "properties": iris(f"?x <http://www.w3.org/2000/01/rdf-schema#isDefinedBy> ?o "
                           f"FILTER(STRSTARTS(STR(?x), '{STKG}') && ?x != <{STKG}>) "
                           "?x a ?t FILTER(STRENDS(STR(?t), 'Property'))", 500)
        + EXTRA_PROPERTIES,
        "objects": iris(f"?s <{STKG}lifecycleStage>|<{STKG}impactLevel>|<{STKG}euAIActTier> ?x")
        + iris(f"?x a <http://www.w3.org/2002/07/owl#Class> FILTER(STRSTARTS(STR(?x), '{STKG}'))")
        + iris(f"?c {sub} <{STKG}Framework> . ?x a ?c"),
    }  # fmt: skip


text = st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=12)
made_up = st.builds(
    lambda s: ox.NamedNode("https://odd.example/" + s), st.from_regex(r"[a-z]{1,6}", fullmatch=True)
)
blank = st.sampled_from(("b1", "b2")).map(ox.BlankNode)


def node(kind: str) -> st.SearchStrategy:
    return st.sampled_from(vocabulary()[kind]).map(ox.NamedNode)


def literal() -> st.SearchStrategy:
    typed = st.builds(
        lambda v, d: ox.Literal(v, datatype=ox.NamedNode(d)), text, st.sampled_from(DATATYPES)
    )
    tagged = st.builds(
        lambda v, lang: ox.Literal(v, language=lang), text, st.sampled_from(LANGUAGES)
    )
    return st.one_of(typed, tagged)


@st.composite
def odd_triple(draw: st.DrawFn) -> ox.Quad:
    subject = draw(st.one_of(node("subjects"), blank))
    predicate = draw(st.one_of(st.sampled_from(HOT).map(ox.NamedNode), node("properties")))
    obj = draw(
        st.one_of(literal(), node("objects"), node("subjects"), made_up, blank, st.just(subject))
    )
    return ox.Quad(subject, predicate, obj)


@settings(
    max_examples=EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(st.lists(odd_triple(), min_size=1, max_size=6))
def test_random_ill_typed_triples_never_break_a_page(quads):
    app = odd_app(Project(REPO), quads)
    focus = [t.value for q in quads for t in (q.subject, q.object) if isinstance(t, ox.NamedNode)]
    errors = server_errors(app, focus, limit=2)
    added = "\n".join(str(q) for q in quads)
    assert not errors, f"with\n{added}\n" + "\n".join(errors[:10])
