"""The statements of checked rows: each triple template of the mapping, once per value of the
columns it names. Deterministic: the same rows give the same triples, in the same order.

The statements are N-Quads lines, made from the text of each term (`str` of a pyoxigraph
term, made once per term a row holds): the store loads them as text (`NQuads`), and at
10,000 systems the 412,453 `Quad` objects they were cost 1.5 s to make."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator

import pyoxigraph as ox

from stkg.inventory.check import Row, Term, mint, render
from stkg.inventory.mapping import Mapping, TripleSpec
from stkg.inventory.mapping import Term as MappedTerm

RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
RDFS_LABEL = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")


def build(rows: Iterable[Row], mapping: Mapping, base: str, graph: ox.NamedNode) -> list[str]:
    """Every statement the rows yield, in `graph`, as N-Quads lines, without duplicates,
    in row order."""
    seen: dict[str, None] = {}
    add = seen.setdefault
    tail = f" {graph} .\n"
    type_, label = str(RDF_TYPE), str(RDFS_LABEL)
    specs = {name: [(spec, str(spec.predicate), _per_value(spec)) for spec in sheet.triples]
             for name, sheet in mapping.sheets.items()}  # fmt: skip
    templates = _Templates(mapping, base)
    for row in rows:
        terms, raw = row.terms, row.raw
        subject = str(row.subject)
        templates.made.clear()
        for spec, predicate, column in specs[row.sheet]:
            if spec.when and not any(raw[c] for c in spec.when):
                continue
            if column is not None:  # most triples: one per value of a column
                for term in terms[column]:
                    add(f"{subject} {predicate} {term}{tail}")
                continue
            for s, o in _pairs(spec, row, templates):
                add(f"{s} {predicate} {o}{tail}")
        for node, kind, text in row.nodes:  # nodes described by a cell: type and label
            node_text = str(node)
            add(f"{node_text} {type_} {kind}{tail}")
            add(f"{node_text} {label} {ox.Literal(text)}{tail}")
    return list(seen)


def _per_value(spec: TripleSpec) -> str | None:
    """The column of a triple of the row's own IRI and each of a column's terms."""
    if spec.subject.kind == "row" and spec.object.kind == "column":
        return spec.object.column
    return None


def _pairs(
    spec: TripleSpec, row: Row, templates: _Templates
) -> Iterator[tuple[ox.NamedNode, Term]]:
    columns = spec.columns
    counts = [len(row.raw[c]) for c in columns]
    if 0 in counts:
        return
    for choice in itertools.product(*(range(n) for n in counts)):
        pick = dict(zip(columns, choice, strict=True))
        subject = _term(spec.subject, row, pick, templates)
        obj = _term(spec.object, row, pick, templates)
        if isinstance(subject, ox.NamedNode) and obj is not None:
            yield subject, obj


def _term(term: MappedTerm, row: Row, pick: dict[str, int], templates: _Templates) -> Term | None:
    if term.kind == "row":
        return row.subject
    if term.kind == "const":
        return term.const
    if term.kind == "column":
        assert term.column is not None
        return row.terms[term.column][pick[term.column]]
    return templates.term(term, row, pick)


class _Templates:
    """A row's IRI and literal templates, each rendered once per row and choice of values:
    a row's `<{row}/context>` is the subject of five triples."""

    def __init__(self, mapping: Mapping, base: str) -> None:
        self.base = base
        self.made: dict[tuple, Term | None] = {}  # of the current row
        self.known: dict[int, tuple[str, tuple[str, ...]]] = {}  # term -> (key, placeholders)
        for sheet in mapping.sheets.values():
            for spec in sheet.triples:
                for term in (spec.subject, spec.object):
                    if term.template is not None:
                        names = term.template.placeholders | term.template.optional
                        key = f"{term.kind} {term.lang} {term.template.parts!r}"
                        self.known[id(term)] = (key, tuple(sorted(names)))

    def term(self, term: MappedTerm, row: Row, pick: dict[str, int]) -> Term | None:
        text_key, names = self.known[id(term)]
        key = (text_key, *(pick.get(n) for n in names))
        if key in self.made:
            return self.made[key]
        # A placeholder of a column the triple is written per value of takes that value;
        # one in an optional group takes all the column's values, joined.
        text = {
            name: values[pick[name]] if name in pick else "; ".join(values)
            for name in names
            if (values := row.raw.get(name))
        }
        self.made[key] = found = _render(term, row, text, self.base)
        return found


def _render(term: MappedTerm, row: Row, text: dict[str, str], base: str) -> Term | None:
    template = term.template
    assert template is not None
    if term.kind == "iri":
        iri = mint(template, base, row.subject.value, text)
        return None if iri is None else ox.NamedNode(iri)
    literal = render(
        template.parts,
        lambda name: (
            base if name == "base" else row.subject.value if name == "row" else text.get(name)
        ),
    )
    if literal is None:
        return None
    return ox.Literal(literal, language=term.lang) if term.lang else ox.Literal(literal)
