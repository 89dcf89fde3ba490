"""Which format `/sparql` answers in: the Accept header, or a format parameter.

Clients name formats in more ways than the protocol does. SPARQLWrapper sends
`format=`, `output=` and `results=` all at once (Virtuoso, Joseki and others each read one
of them), with short names (`json`, `xml`, `n3`, `rdf+xml`, `json-ld`, `tsv`) and sometimes
a media type as a second value; others write `ttl`, `srj` or `srx`. A parameter value read
here as a format wins over Accept; one that is unknown, or does not fit the kind of answer,
is ignored, so it never turns a satisfiable Accept header into an error. An Accept header
that fits nothing gets the default format (the protocol allows either that or 406).
"""

from __future__ import annotations

from collections.abc import Iterable

from flask import request

# Media types offered for each kind of answer, in the order that breaks ties (the first is
# the default, for `Accept: */*` or no Accept at all).
SOLUTION_TYPES = {
    "application/sparql-results+json": "json",
    "application/sparql-results+xml": "xml",
    "text/csv": "csv",
    "text/tab-separated-values": "tsv",
    "application/json": "json",
    "application/xml": "xml",
    "text/xml": "xml",
}
GRAPH_TYPES = {
    "text/turtle": "turtle",
    "application/n-triples": "nt",
    "application/ld+json": "jsonld",
    "application/rdf+xml": "rdfxml",
    "application/turtle": "turtle",
    "application/x-turtle": "turtle",
    "text/n3": "turtle",  # Turtle is N3 as far as a graph of plain triples goes
    "text/rdf+n3": "turtle",
    "application/n3": "turtle",
    "text/plain": "nt",  # N-Triples' media type before it had its own
    "application/xml": "rdfxml",
    "text/xml": "rdfxml",
    "application/json": "jsonld",
    "application/x-json+ld": "jsonld",
}
CONTENT_TYPES = {
    "json": "application/sparql-results+json",
    "xml": "application/sparql-results+xml",
    "csv": "text/csv; charset=utf-8",
    "tsv": "text/tab-separated-values; charset=utf-8",
    "turtle": "text/turtle; charset=utf-8",
    "nt": "application/n-triples",
    "jsonld": "application/ld+json",
    "rdfxml": "application/rdf+xml",
}
# Short names a format parameter may use, beside the media types above.
SOLUTION_ALIASES = {
    "json": "json",
    "srj": "json",
    "xml": "xml",
    "srx": "xml",
    "csv": "csv",
    "tsv": "tsv",
}
GRAPH_ALIASES = {
    "turtle": "turtle",
    "ttl": "turtle",
    "n3": "turtle",
    "nt": "nt",
    "ntriples": "nt",
    "n-triples": "nt",
    "json-ld": "jsonld",
    "jsonld": "jsonld",
    "json": "jsonld",
    "rdf+xml": "rdfxml",
    "rdfxml": "rdfxml",
    "rdf": "rdfxml",
    "xml": "rdfxml",
}
FORMAT_PARAMETERS = ("format", "output", "results")
# CSV and TSV are defined for SELECT results only: an ASK answer comes as JSON or XML (a
# client asking for CSV gets the default, which rdflib and SPARQLWrapper read by its type).
BOOLEAN_FORMATS = ("json", "xml")


def offers(kind: str) -> dict[str, str]:
    """Media type → format name for an answer of `kind` ("select", "ask" or "graph")."""
    if kind == "graph":
        return GRAPH_TYPES
    if kind == "ask":
        return {media: f for media, f in SOLUTION_TYPES.items() if f in BOOLEAN_FORMATS}
    return SOLUTION_TYPES


def aliases(kind: str) -> dict[str, str]:
    """Short name → format name for an answer of `kind`."""
    if kind == "graph":
        return GRAPH_ALIASES
    if kind == "ask":
        return {name: f for name, f in SOLUTION_ALIASES.items() if f in BOOLEAN_FORMATS}
    return SOLUTION_ALIASES


def from_parameter(kind: str, values: Iterable[str]) -> str | None:
    """The first of `values` that names a format fitting `kind`, or None."""
    names, types = aliases(kind), offers(kind)
    for value in values:
        name = value.split(";", 1)[0].strip().lower()
        found = names.get(name) or types.get(name)
        if found:
            return found
    return None


def negotiate(kind: str, parameters: Iterable[str] = ()) -> str:
    """The format name for an answer of `kind`: from a format parameter's value if one
    fits, else from the Accept header, else the default."""
    named = from_parameter(kind, parameters)
    if named:
        return named
    types = offers(kind)
    best = request.accept_mimetypes.best_match(list(types))
    return types[best] if best else next(iter(types.values()))


def prefers_html() -> bool:
    """Whether the client would rather have a web page than any RDF answer (a browser)."""
    return request.accept_mimetypes.best_match([*GRAPH_TYPES, "text/html"]) == "text/html"
