"""Query results and their serialisations.

A `QueryResult` holds the answer of one SPARQL query as pyoxigraph terms. The standard
formats (SPARQL 1.1 Query Results JSON, XML, CSV, TSV; Turtle, N-Triples, JSON-LD, RDF/XML
for graph results) are written by Oxigraph's own serialisers; only the plain-text table
for terminals is ours.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Literal

import pyoxigraph as ox

from stkg.prefixes import compact

Kind = Literal["select", "ask", "graph"]

SOLUTION_FORMATS: dict[str, ox.QueryResultsFormat] = {
    "json": ox.QueryResultsFormat.JSON,
    "xml": ox.QueryResultsFormat.XML,
    "csv": ox.QueryResultsFormat.CSV,
    "tsv": ox.QueryResultsFormat.TSV,
}

GRAPH_FORMATS: dict[str, ox.RdfFormat] = {
    "turtle": ox.RdfFormat.TURTLE,
    "nt": ox.RdfFormat.N_TRIPLES,
    "jsonld": ox.RdfFormat.JSON_LD,
    "rdfxml": ox.RdfFormat.RDF_XML,
}

TEXT_FORMATS = ("table",)


@dataclass
class QueryResult:
    """The materialised answer of a SELECT, ASK, CONSTRUCT or DESCRIBE query."""

    kind: Kind
    variables: list[str] = field(default_factory=list)
    rows: list[tuple[ox.NamedNode | ox.BlankNode | ox.Literal | None, ...]] = field(
        default_factory=list
    )
    boolean: bool | None = None
    triples: list[ox.Triple] = field(default_factory=list)

    @classmethod
    def from_oxigraph(
        cls, raw: ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples
    ) -> QueryResult:
        if isinstance(raw, ox.QueryBoolean):
            return cls("ask", boolean=bool(raw))
        if isinstance(raw, ox.QueryTriples):
            return cls("graph", triples=list(raw))
        variables = [v.value for v in raw.variables]
        return cls("select", variables, [tuple(solution) for solution in raw])

    def __len__(self) -> int:
        return len(self.triples) if self.kind == "graph" else len(self.rows)

    def dicts(self) -> list[dict[str, ox.NamedNode | ox.BlankNode | ox.Literal]]:
        """Rows as {variable: term}, leaving out unbound variables."""
        return [
            {name: term for name, term in zip(self.variables, row, strict=True) if term is not None}
            for row in self.rows
        ]

    def serialize(self, fmt: str, prefixes: dict[str, str] | None = None) -> bytes:
        """Serialise in a named format: json, xml, csv, tsv (SELECT/ASK); turtle, nt, jsonld,
        rdfxml (CONSTRUCT/DESCRIBE); table (any)."""
        if fmt == "table":
            return render_table(self, prefixes or {}).encode()
        if self.kind == "graph":
            if fmt not in GRAPH_FORMATS:
                raise ValueError(
                    f"format {fmt!r} does not fit a graph result; use one of "
                    + ", ".join([*GRAPH_FORMATS, *TEXT_FORMATS])
                )
            return ox.serialize(self.triples, format=GRAPH_FORMATS[fmt], prefixes=prefixes)
        if fmt not in SOLUTION_FORMATS:
            raise ValueError(
                f"format {fmt!r} does not fit a {self.kind.upper()} result; use one of "
                + ", ".join([*SOLUTION_FORMATS, *TEXT_FORMATS])
            )
        return self._oxigraph_results().serialize(format=SOLUTION_FORMATS[fmt])

    def _oxigraph_results(self) -> ox.QuerySolutions | ox.QueryBoolean:
        # Oxigraph's result serialisers need its own result objects; TSV writes every term in
        # its exact N-Triples form, so a TSV round trip rebuilds them without loss.
        if self.kind == "ask":
            text = '{"head":{},"boolean":%s}' % ("true" if self.boolean else "false")
            return ox.parse_query_results(text, ox.QueryResultsFormat.JSON)
        buffer = io.StringIO()
        buffer.write("\t".join(f"?{name}" for name in self.variables) + "\n")
        for row in self.rows:
            buffer.write("\t".join("" if term is None else str(term) for term in row) + "\n")
        return ox.parse_query_results(buffer.getvalue(), ox.QueryResultsFormat.TSV)


class TsvResult(QueryResult):
    """A SELECT answer kept as the SPARQL TSV it came in (from a query worker) until its
    rows are read: serialising it parses that text once, in Oxigraph, instead of building
    the rows, writing them as TSV again and parsing that (about 3x faster for 10,000
    rows). Setting `rows` drops the text."""

    _tsv: str | None

    def __init__(self, variables: list[str], tsv: str) -> None:
        super().__init__("select", variables)  # sets rows to [] through the setter
        self._rows: list[tuple[ox.NamedNode | ox.BlankNode | ox.Literal | None, ...]] | None
        self._rows, self._tsv = None, tsv

    @property  # type: ignore[override]
    def rows(self) -> list[tuple[ox.NamedNode | ox.BlankNode | ox.Literal | None, ...]]:
        if self._rows is None:
            raw = ox.parse_query_results(self._tsv or "", ox.QueryResultsFormat.TSV)
            self._rows = [tuple(solution) for solution in raw]
        return self._rows

    @rows.setter
    def rows(
        self, value: list[tuple[ox.NamedNode | ox.BlankNode | ox.Literal | None, ...]]
    ) -> None:
        self._rows = value
        self._tsv = None

    @property
    def tsv(self) -> str | None:
        """The text it came in, until `rows` is set."""
        return self._tsv

    def _oxigraph_results(self) -> ox.QuerySolutions | ox.QueryBoolean:
        if self._tsv is not None:
            return ox.parse_query_results(self._tsv, ox.QueryResultsFormat.TSV)
        return super()._oxigraph_results()


def shorten(term: ox.NamedNode | ox.BlankNode | ox.Literal | None, prefixes: dict[str, str]) -> str:
    """A compact, human form of a term: prefixed names, plain literal values."""
    if term is None:
        return ""
    if isinstance(term, ox.NamedNode):
        return compact(term.value, prefixes) or f"<{term.value}>"
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    if term.language:
        return f"{term.value}@{term.language}"
    return term.value


def render_table(result: QueryResult, prefixes: dict[str, str]) -> str:
    """A plain-text table for terminals."""
    if result.kind == "ask":
        return ("true" if result.boolean else "false") + "\n"
    if result.kind == "graph":
        header = ["subject", "predicate", "object"]
        cells = [
            [
                shorten(t.subject, prefixes),
                shorten(t.predicate, prefixes),
                shorten(t.object, prefixes),
            ]
            for t in result.triples
        ]
    else:
        header = list(result.variables)
        cells = [[shorten(term, prefixes) for term in row] for row in result.rows]
    cells = [[" ".join(cell.split()) for cell in row] for row in cells]  # one line per row
    widths = [max([len(h), *(len(row[i]) for row in cells)]) for i, h in enumerate(header)]
    lines = [
        "  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)).rstrip(),
        "  ".join("-" * w for w in widths),
    ]
    lines += [
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in cells
    ]
    noun = "triple" if result.kind == "graph" else "row"
    count = len(result)
    lines.append(f"({count} {noun}{'' if count == 1 else 's'})")
    return "\n".join(lines) + "\n"
