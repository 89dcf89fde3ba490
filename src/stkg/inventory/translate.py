"""RDF in AIRO or W3C DPV terms becomes stkg data, through rules derived from the alignments.

The rules are SPARQL CONSTRUCT files in `data/import/rules/` (README there); none names an
external term, they read the term pairs from `ontology/alignments.ttl`. Oxigraph runs them in
order over an in-memory dataset of the input, the vocabulary and what earlier rules built.
The result is an import batch like a spreadsheet's (`stkg import --from airo FILE`): the
input's own statements and the stkg statements derived from them, written and recorded by
`batches.write`, so rollback, --list and --dry-run work the same.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from stkg.errors import SourceError
from stkg.inventory import SYSTEM, InventoryErrors
from stkg.inventory.batches import Batch, batch_graph, lines, now
from stkg.inventory.read import InputError, SourceFile
from stkg.namespace import STKG_NS
from stkg.project import bundled_project_dir, external_source
from stkg.rdf_files import read_quads

RULES_FOLDER = Path("data") / "import" / "rules"
VOCABULARY_FILES = (Path("ontology") / "stkg.ttl", Path("ontology") / "alignments.ttl")

# `--from NAME` -> the namespaces whose aligned terms the rules translate.
VOCABULARIES: dict[str, tuple[str, ...]] = {
    "airo": ("https://w3id.org/airo#",),
    "dpv": (
        "https://w3id.org/dpv#",
        "https://w3id.org/dpv/tech#",
        "https://w3id.org/dpv/risk#",
        "https://w3id.org/dpv/ai#",
        "https://w3id.org/dpv/legal/eu/aiact#",
    ),
}

INPUT = ox.NamedNode("urn:stkg:import:input")
VOCABULARY = ox.NamedNode("urn:stkg:import:vocabulary")
OUTPUT = ox.NamedNode("urn:stkg:import:output")
_FROM = ox.NamedNode("urn:stkg:import:from")
_NAMESPACE = ox.NamedNode("urn:stkg:import:namespace")
_RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")


@dataclass
class Translation:
    """What the rules made of the input, for the summary `stkg import` prints."""

    batch: Batch
    derived: int  # stkg statements the rules constructed
    unmapped: Counter[str]  # external terms of the selected vocabularies no rule translated


def rules(root: Path) -> list[tuple[Path, str]]:
    """The rule files, in order: the project's, or the bundled ones."""
    folder = root / RULES_FOLDER
    if not any(folder.glob("*.rq")):
        folder = bundled_project_dir() / RULES_FOLDER
    return [(path, path.read_text(encoding="utf-8")) for path in sorted(folder.glob("*.rq"))]


def _vocabulary(root: Path) -> list[Path]:
    own = [root / p for p in VOCABULARY_FILES]
    if all(p.is_file() for p in own):
        return own
    return [bundled_project_dir() / p for p in VOCABULARY_FILES]


def translate(
    paths: Sequence[Path], root: Path, vocabularies: Sequence[str], batch: str
) -> Translation:
    """Read, translate and build an import batch from RDF files without writing anything;
    raises InventoryErrors naming file, line and column for input that cannot be used."""
    started = now()
    namespaces = [ns for name in vocabularies for ns in VOCABULARIES[name]]
    dataset = ox.Store()
    errors: list[InputError] = []
    files: list[SourceFile] = []
    for path in paths:
        source = external_source(path, INPUT.value)
        try:
            quads = read_quads(source)
        except SourceError as error:
            column = None if error.column is None else str(error.column)
            value = source_line(path, error.line)
            errors.append(InputError(source.label, error.line, column, value, error.message))
            continue
        dataset.bulk_extend(ox.Quad(q.subject, q.predicate, q.object, INPUT) for q in quads)
        files.append(SourceFile(path, source.label, hashlib.sha256(path.read_bytes()).hexdigest()))
    if errors:
        raise InventoryErrors(errors)
    for file in _vocabulary(root):
        dataset.load(path=file, format=ox.RdfFormat.TURTLE, to_graph=VOCABULARY)
    for namespace in namespaces:
        dataset.add(ox.Quad(_FROM, _NAMESPACE, ox.Literal(namespace), VOCABULARY))
    for path, text in rules(root):
        try:
            built = list(dataset.query(text))
        except SyntaxError as error:
            raise SourceError(f"import rule: {error}", str(path)) from None
        dataset.extend(ox.Quad(t.subject, t.predicate, t.object, OUTPUT) for t in built)
    graph = ox.NamedNode(batch_graph(batch))
    own = {
        ox.Triple(q.subject, q.predicate, q.object)
        for q in dataset.quads_for_pattern(None, None, None, INPUT)
    }
    derived = {
        ox.Triple(q.subject, q.predicate, q.object)
        for q in dataset.quads_for_pattern(None, None, None, OUTPUT)
    }
    if not any(t.predicate == _RDF_TYPE and t.object == SYSTEM for t in derived):
        names = ", ".join(vocabularies)
        where = ", ".join(f.label for f in files) or ", ".join(map(str, paths))
        errors.append(
            InputError(
                where, None, None, None,
                f"no AI system described in {names} terms (a resource of a class "
                "stkg:SocialTechnicalSystem is aligned to, such as airo:AISystem or "
                "ai:AISystem): nothing to import",
            )
        )  # fmt: skip
        raise InventoryErrors(errors)
    quads = [
        ox.Quad(t.subject, t.predicate, t.object, graph) for t in sorted(own | derived, key=str)
    ]
    return Translation(
        Batch(batch, lines(quads), len(own), files, started),
        len(derived - own),
        _unmapped(dataset, namespaces),
    )


def source_line(path: Path, line: int | None, width: int = 200) -> str | None:
    """The text of a file's line (1-based), cut to `width` characters: the value an error
    at that line names."""
    if line is None or line < 1:
        return None
    try:
        with path.open("rb") as file:
            for number, text in enumerate(file, start=1):
                if number == line:
                    return text.decode("utf-8", "replace").strip()[:width]
    except OSError:
        return None
    return None


def _unmapped(dataset: ox.Store, namespaces: Sequence[str]) -> Counter[str]:
    """Predicates and classes of the selected vocabularies that no stkg term is aligned to
    in a way the rules read: what the import leaves as the input had it."""
    aligned = {
        q.object.value
        for q in dataset.quads_for_pattern(None, None, None, VOCABULARY)
        if isinstance(q.object, ox.NamedNode) and q.subject.value.startswith(STKG_NS)
    }
    used: Counter[str] = Counter()
    for q in dataset.quads_for_pattern(None, None, None, INPUT):
        term = q.object if q.predicate == _RDF_TYPE else q.predicate
        known = isinstance(term, ox.NamedNode) and term.value.startswith(tuple(namespaces))
        if known and term.value not in aligned:
            used[term.value] += 1
    return used
