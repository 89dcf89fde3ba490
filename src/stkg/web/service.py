"""The SPARQL 1.1 Service Description that `GET /sparql` without a query answers.

It says what the endpoint speaks (SPARQL 1.1 Query, the union default graph, the result
formats) and describes its dataset with VoID: for every named graph and for the default
graph, the number of triples, distinct classes and properties, a class partition
(`void:class`, `void:entities`: instances of each class) and a property partition
(`void:property`, `void:triples`). The numbers take two grouped scans of the store, so they
are computed once per version of the store (an update through `/sparql` makes a new one).
The default graph is the union of the named graphs; its numbers are their sums (a triple in
two graphs counts twice).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import pyoxigraph as ox
from flask import request

from stkg import __version__
from stkg.results import GRAPH_FORMATS
from stkg.web.state import state

SD = "http://www.w3.org/ns/sparql-service-description#"
VOID = "http://rdfs.org/ns/void#"
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
INTEGER = ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")
RESULT_FORMATS = (
    "SPARQL_Results_JSON",
    "SPARQL_Results_XML",
    "SPARQL_Results_CSV",
    "SPARQL_Results_TSV",
    "Turtle",
    "N-Triples",
    "JSON-LD",
    "RDF_XML",
)


@dataclass
class GraphStatistics:
    """VoID numbers for one graph."""

    triples: int = 0
    classes: Counter[str] = field(default_factory=Counter)  # class IRI → instances
    properties: Counter[str] = field(default_factory=Counter)  # property IRI → triples


def statistics() -> dict[str, GraphStatistics]:
    """VoID numbers per named graph, computed once per version of the store."""

    return state().caches.get("void-statistics", _count)


def _count() -> dict[str, GraphStatistics]:
    store = state().store
    numbers: dict[str, GraphStatistics] = {}
    for row in store.query(
        "SELECT ?g ?p (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ?p",
        default_graphs=[],
    ).dicts():
        graph = numbers.setdefault(row["g"].value, GraphStatistics())
        graph.properties[row["p"].value] = int(row["n"].value)
        graph.triples += int(row["n"].value)
    for row in store.query(
        "SELECT ?g ?c (COUNT(DISTINCT ?s) AS ?n) WHERE { GRAPH ?g { ?s a ?c } FILTER isIRI(?c) } "
        "GROUP BY ?g ?c",
        default_graphs=[],
    ).dicts():
        numbers[row["g"].value].classes[row["c"].value] = int(row["n"].value)
    return numbers


def description(fmt: str) -> bytes:
    """The service description of the endpoint at this request's URL, in `fmt`."""
    node = ox.NamedNode
    service = node(request.base_url)
    dataset, default = ox.BlankNode("dataset"), ox.BlankNode("default")
    triples = [
        ox.Triple(service, RDF_TYPE, node(SD + "Service")),
        ox.Triple(service, node(SD + "endpoint"), service),
        ox.Triple(service, node(SD + "supportedLanguage"), node(SD + "SPARQL11Query")),
        ox.Triple(service, node(SD + "feature"), node(SD + "UnionDefaultGraph")),
        ox.Triple(service, node(SD + "defaultDataset"), dataset),
        ox.Triple(dataset, RDF_TYPE, node(SD + "Dataset")),
        ox.Triple(dataset, node(SD + "defaultGraph"), default),
        ox.Triple(default, RDF_TYPE, node(SD + "Graph")),
        ox.Triple(
            service,
            node("http://purl.org/dc/terms/description"),
            ox.Literal(f"stkg {__version__}: read-only SPARQL 1.1 endpoint"),
        ),
    ]
    triples += [
        ox.Triple(service, node(SD + "resultFormat"), node(f"http://www.w3.org/ns/formats/{name}"))
        for name in RESULT_FORMATS
    ]
    total = GraphStatistics()
    for index, (graph, numbers) in enumerate(sorted(statistics().items())):
        named, described = ox.BlankNode(f"ng{index}"), ox.BlankNode(f"g{index}")
        triples += [
            ox.Triple(dataset, node(SD + "namedGraph"), named),
            ox.Triple(named, node(SD + "name"), node(graph)),
            ox.Triple(named, node(SD + "graph"), described),
            ox.Triple(described, RDF_TYPE, node(SD + "Graph")),
        ]
        triples += _void(described, numbers, f"g{index}")
        total.triples += numbers.triples
        total.classes.update(numbers.classes)
        total.properties.update(numbers.properties)
    triples += _void(default, total, "default")
    prefixes = {"sd": SD, "void": VOID} if fmt == "turtle" else None
    return ox.serialize(triples, format=GRAPH_FORMATS[fmt], prefixes=prefixes)


def _void(subject: ox.BlankNode, numbers: GraphStatistics, name: str) -> list[ox.Triple]:
    def count(value: int) -> ox.Literal:
        return ox.Literal(str(value), datatype=INTEGER)

    void = {key: ox.NamedNode(VOID + key) for key in ("triples", "classes", "properties")}
    triples = [
        ox.Triple(subject, void["triples"], count(numbers.triples)),
        ox.Triple(subject, void["classes"], count(len(numbers.classes))),
        ox.Triple(subject, void["properties"], count(len(numbers.properties))),
    ]
    for index, (iri, instances) in enumerate(sorted(numbers.classes.items())):
        part = ox.BlankNode(f"{name}c{index}")
        triples += [
            ox.Triple(subject, ox.NamedNode(VOID + "classPartition"), part),
            ox.Triple(part, ox.NamedNode(VOID + "class"), ox.NamedNode(iri)),
            ox.Triple(part, ox.NamedNode(VOID + "entities"), count(instances)),
        ]
    for index, (iri, used) in enumerate(sorted(numbers.properties.items())):
        part = ox.BlankNode(f"{name}p{index}")
        triples += [
            ox.Triple(subject, ox.NamedNode(VOID + "propertyPartition"), part),
            ox.Triple(part, ox.NamedNode(VOID + "property"), ox.NamedNode(iri)),
            ox.Triple(part, ox.NamedNode(VOID + "triples"), count(used)),
        ]
    return triples
