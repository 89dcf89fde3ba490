"""What is loaded: counts that honour subclass typing."""

from __future__ import annotations

from conftest import write_project
from stkg.summary import summarize


def test_counts_systems_including_user_defined_subclasses(mini_project):
    data = summarize(mini_project.open_store(), mini_project)
    assert data["counts"]["systems"] == 2
    assert data["counts"]["named_queries"] == 1
    assert data["counts"]["classes"] == 2
    assert data["counts"]["properties"] == 1
    assert data["counts"]["frameworks"] == 0


def test_counts_shapes_and_frameworks(mini_project):
    write_project(
        mini_project.root,
        {
            "shapes/s.ttl": """
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix stkg: <https://w3id.org/stkg#> .
<urn:shape:System> a sh:NodeShape ; sh:targetClass stkg:SocialTechnicalSystem ;
  sh:property [ sh:path stkg:hasOwner ; sh:minCount 1 ] .
<urn:shape:Owner> a sh:PropertyShape ; sh:path stkg:hasOwner .
""",
            "data/frameworks.ttl": "<urn:fw> a <https://w3id.org/stkg#Framework> .\n",
        },
    )
    counts = summarize(mini_project.open_store(), mini_project)["counts"]
    assert counts["shapes"] == 3
    assert counts["frameworks"] == 1


def test_lists_every_graph_with_its_source_file(mini_project):
    data = summarize(mini_project.open_store(), mini_project)
    assert [(g["source"], g["triples"]) for g in data["graphs"]] == [
        ("data/systems.ttl", 5),
        ("ontology/core.ttl", 7),
    ]
    assert data["counts"]["triples"] == 12
