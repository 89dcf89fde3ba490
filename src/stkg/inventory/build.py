"""The statements of checked rows: each triple template of the mapping, once per value of the
columns it names. Deterministic: the same rows give the same triples, in the same order."""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence

import pyoxigraph as ox

from stkg.inventory.check import Row, mint, render
from stkg.inventory.mapping import Mapping, Term, TripleSpec

RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
RDFS_LABEL = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")


def build(rows: Sequence[Row], mapping: Mapping, base: str, graph: ox.NamedNode) -> list[ox.Quad]:
    """Every statement the rows yield, in `graph`, without duplicates, in row order."""
    seen: dict[ox.Quad, None] = {}
    add = seen.setdefault
    for row in rows:
        for spec in mapping.sheets[row.sheet].triples:
            if spec.when and not any(row.raw[c] for c in spec.when):
                continue
            subject, obj = spec.subject, spec.object
            if subject.kind == "row" and obj.kind == "column":  # most triples: one per value
                for term in row.terms[obj.column]:  # type: ignore[index]
                    add(ox.Quad(row.subject, spec.predicate, term, graph))
                continue
            for s, o in _pairs(spec, row, base):
                add(ox.Quad(s, spec.predicate, o, graph))
        for node, kind, label in row.nodes:  # nodes described by a cell: type and label
            add(ox.Quad(node, RDF_TYPE, kind, graph))
            add(ox.Quad(node, RDFS_LABEL, ox.Literal(label), graph))
    return list(seen)


def _pairs(
    spec: TripleSpec, row: Row, base: str
) -> Iterator[tuple[ox.NamedNode, ox.NamedNode | ox.Literal]]:
    columns = spec.columns
    counts = [len(row.raw[c]) for c in columns]
    if 0 in counts:
        return
    for choice in itertools.product(*(range(n) for n in counts)):
        pick = dict(zip(columns, choice, strict=True))
        subject = _term(spec.subject, row, pick, base)
        obj = _term(spec.object, row, pick, base)
        if isinstance(subject, ox.NamedNode) and obj is not None:
            yield subject, obj


def _term(
    term: Term, row: Row, pick: dict[str, int], base: str
) -> ox.NamedNode | ox.Literal | None:
    if term.kind == "row":
        return row.subject
    if term.kind == "const":
        return term.const
    if term.kind == "column":
        assert term.column is not None
        return row.terms[term.column][pick[term.column]]
    assert term.template is not None
    # A placeholder of a column the triple is written per value of takes that value; one in
    # an optional group takes all the column's values, joined.
    text = {
        name: values[pick[name]] if name in pick else "; ".join(values)
        for name, values in row.raw.items()
        if values
    }
    if term.kind == "iri":
        iri = mint(term.template, base, row.subject.value, text)
        return None if iri is None else ox.NamedNode(iri)
    literal = render(
        term.template.parts,
        lambda name: (
            base if name == "base" else row.subject.value if name == "row" else text.get(name)
        ),
    )
    if literal is None:
        return None
    return ox.Literal(literal, language=term.lang) if term.lang else ox.Literal(literal)
