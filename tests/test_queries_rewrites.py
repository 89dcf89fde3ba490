"""Named queries rewritten for speed give the rows they gave before, with their counts: on
the example data, on a generated portfolio and on data typed with user subclasses (several
classes per node, so that a rewrite that drops or doubles a row shows)."""

from __future__ import annotations

from collections import Counter

import pytest

from conftest import REPO, write_project
from stkg.generate import plan, write
from stkg.project import Project, external_source
from stkg.queries import named_queries

# The texts before the rewrite (git history has them with their headers).
BEFORE = {
    "high-impact-systems-without-human-review": """
PREFIX stkg: <https://w3id.org/stkg#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>

SELECT ?system ?label WHERE {
  ?systemClass rdfs:subClassOf* stkg:SocialTechnicalSystem .
  ?system a ?systemClass ;
    stkg:impactLevel stkg:HighImpact .
  MINUS {
    ?reviewClass rdfs:subClassOf* stkg:HumanReview .
    ?review a ?reviewClass .
    ?system stkg:hasProcess ?review .
    ?review stkg:performedBy ?reviewer .
    ?reviewer a ?reviewerClass .
    ?reviewerClass rdfs:subClassOf* ?named .
    VALUES ?named { stkg:Person stkg:Team }
  }
  OPTIONAL { ?system rdfs:label ?label }
}
ORDER BY ?system
""",
}

SUBCLASSES = """@prefix stkg: <https://w3id.org/stkg#> . @prefix ex: <urn:x:> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
ex:Clinical rdfs:subClassOf stkg:SocialTechnicalSystem .
ex:Triage rdfs:subClassOf ex:Clinical .
ex:Board rdfs:subClassOf stkg:HumanReview .
ex:Committee rdfs:subClassOf stkg:Team .
ex:Lead rdfs:subClassOf stkg:Person , ex:Committee .
ex:a a ex:Clinical , ex:Triage , stkg:SocialTechnicalSystem ; stkg:impactLevel stkg:HighImpact ;
  rdfs:label "A" , "A2" ; stkg:hasProcess ex:r1 .
ex:r1 a ex:Board , stkg:HumanReview ; stkg:performedBy ex:c .
ex:c a ex:Committee .
ex:b a ex:Triage ; stkg:impactLevel stkg:HighImpact , stkg:LowImpact ; stkg:hasProcess ex:r2 .
ex:r2 a ex:Board ; stkg:performedBy ex:mailbox .
ex:d a ex:Clinical , stkg:AISystem ; stkg:impactLevel stkg:HighImpact ; rdfs:label "D" ;
  stkg:hasProcess ex:r3 , ex:r4 .
ex:r3 a stkg:Process ; stkg:performedBy ex:lead .
ex:r4 a ex:Board ; stkg:performedBy ex:lead .
ex:lead a ex:Lead .
ex:e a ex:Clinical , ex:Triage ; stkg:impactLevel stkg:HighImpact .
"""


def _rows(store, text: str) -> Counter:
    return Counter(tuple(str(t) for t in row) for row in store.query(text).rows)


@pytest.fixture(scope="module")
def stores(tmp_path_factory):
    folder = tmp_path_factory.mktemp("rewrites")
    generated = folder / "generated.nt"
    with generated.open("w", encoding="utf-8") as out:
        write(plan(1000, seed=7), out, "nt")
    portfolio = Project(REPO).open_store()
    portfolio.load([external_source(generated)])
    typed = Project(write_project(folder / "typed", {"data/typed.ttl": SUBCLASSES})).open_store()
    return {"examples": Project(REPO).open_store(), "generated": portfolio, "subclasses": typed}


@pytest.mark.parametrize("data", ["examples", "generated", "subclasses"])
@pytest.mark.parametrize("name", sorted(BEFORE))
def test_a_rewritten_query_gives_the_rows_it_gave_before(stores, name, data):
    store = stores[data]
    after = named_queries(Project(REPO))[name].sparql
    before_rows = _rows(store, BEFORE[name])
    assert before_rows, f"{name} finds nothing on the {data} data: the comparison would be empty"
    assert _rows(store, after) == before_rows
