"""Files straight into the engine: `stkg validate FILE…` parses each file once, with
Oxigraph, into an in-memory store, and reports exactly what the old path reported (the files
parsed into rdflib graphs and merged, `stkg.validate.validate_files`)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from rdflib import Graph
from rdflib.namespace import SH

from conftest import REPO
from stkg.cli import main
from stkg.generate import plan, write
from stkg.rdf_files import Source
from stkg.shacl.terms import to_rdflib
from stkg.validate import ShapesError, validate, validate_files, validate_sources
from stkg.validate_formats import FORMATS
from stkg.validate_graphs import exact_literals
from test_shacl_w3c import CASES, MF, SHT, graphs_of, results

EXAMPLES = sorted((REPO / "data" / "examples").glob("*.ttl"))

# A system that lacks most answers, with typed literals written in non-canonical form, one of
# them a focus node (sh:targetObjectsOf stkg:supportsDecision reaches it).
ODD = """\
@prefix stkg: <https://w3id.org/stkg#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix ex: <https://w3id.org/stkg/example/odd/> .
ex:s a stkg:SocialTechnicalSystem ; stkg:hasOwnr ex:o ;
    stkg:supportsDecision "04.50"^^xsd:decimal , "1"^^xsd:boolean , "0012"^^xsd:integer .
"""


def cli(runner, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(main, ["--project", str(REPO), "validate", *args])
    return result.exit_code, result.stdout, result.stderr


def old_path(project, paths: list[Path]) -> str:
    report, _ = validate_files(project, paths)
    return FORMATS["json"](report)


def test_each_example_file_gives_the_old_report(runner, project):
    for path in EXAMPLES:
        code, out, _ = cli(runner, str(path), "--format", "json")
        assert code in (0, 1)
        assert out == old_path(project, [path]), path.name


def test_several_files_of_three_syntaxes_give_the_old_report(runner, project, tmp_path):
    """Turtle, N-Triples and RDF/XML together, with the example files, as one data set."""
    nt = tmp_path / "generated.nt"
    with nt.open("w", encoding="utf-8") as out:
        write(plan(40, 3), out, "nt")
    rdfxml = tmp_path / "banking.rdf"
    Graph().parse(EXAMPLES[0]).serialize(rdfxml, format="xml")
    odd = tmp_path / "odd.ttl"
    odd.write_text(ODD, encoding="utf-8")
    paths = [nt, rdfxml, odd, *EXAMPLES[1:]]
    code, out, err = cli(runner, *map(str, paths), "--format", "json")
    assert code == 1
    assert out == old_path(project, paths)
    assert "unknown term stkg:hasOwnr (closest known term: stkg:hasOwner)" in err
    focus = {r["focus_node"] for r in json.loads(out)["results"]}
    assert {"04.50", "1", "0012"} <= focus  # as written, not as Oxigraph stores them


@pytest.mark.parametrize(("suffix", "fmt"), [(".nt", "nt"), (".ttl", "turtle")])
def test_a_generated_portfolio_gives_the_old_report(runner, project, tmp_path, suffix, fmt):
    path = tmp_path / f"portfolio{suffix}"
    with path.open("w", encoding="utf-8") as out:
        write(plan(300, 11), out, fmt)
    code, out, _ = cli(runner, str(path), "--format", "json")
    assert code == 1
    assert out == old_path(project, [path])
    assert json.loads(out)["results"]


def test_a_syntax_error_in_any_file_is_one_line_and_nothing_is_reported(runner, tmp_path):
    good = tmp_path / "good.ttl"
    good.write_text(ODD, encoding="utf-8")
    bad = tmp_path / "bad.nt"
    bad.write_text('<urn:a> <urn:b> <urn:c> .\n<urn:a> <urn:b> "open .\n', encoding="utf-8")
    code, out, err = cli(runner, str(good), str(bad), "--format", "json")
    assert code == 2
    assert out == ""
    [line] = err.strip().splitlines()
    assert "bad.nt" in line and ":2:" in line, line


def test_a_missing_file_among_several_is_one_line(runner, tmp_path):
    good = tmp_path / "good.ttl"
    good.write_text(ODD, encoding="utf-8")
    code, out, err = cli(runner, str(good), str(tmp_path / "absent.ttl"))
    assert (code, out) == (2, "")
    assert err.strip().splitlines() == [f"Error: {tmp_path / 'absent.ttl'}: no such file"]


# --- the W3C SHACL suite through the new door ------------------------------------------------


def _outcome(report_graph: Graph, conforms: bool, lookup: list[Graph]) -> tuple:
    [node] = report_graph.subjects(None, SH.ValidationReport)
    return conforms, results(report_graph, node, [report_graph, *lookup])


def _store_graph(store) -> Graph:
    """The store as an rdflib graph with the store's blank node labels (for comparing)."""
    graph = Graph()
    with exact_literals():
        for s, p, o in store.query("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }").triples:
            graph.add((to_rdflib(s), to_rdflib(p), to_rdflib(o)))
    return graph


@pytest.mark.parametrize(("name", "path", "entry"), CASES, ids=[c[0] for c in CASES])
def test_w3c_shacl_cases_give_the_old_report(name, path, entry):
    manifest, graphs = graphs_of(path, entry)
    action = manifest.value(entry, MF.action)
    data_path = Path(str(manifest.value(action, SHT.dataGraph)).removeprefix("file://"))
    shapes = graphs[SHT.shapesGraph]
    try:
        old = validate(graphs[SHT.dataGraph], shapes)
    except ShapesError:
        with pytest.raises(ShapesError):
            validate_sources([Source(data_path, data_path.resolve().as_uri(), name)], shapes)
        return
    new, store = validate_sources([Source(data_path, data_path.resolve().as_uri(), name)], shapes)
    assert new.engine == old.engine
    assert _outcome(new.graph, new.conforms, [_store_graph(store), shapes]) == _outcome(
        old.graph, old.conforms, [graphs[SHT.dataGraph], shapes]
    )
    assert _values(new) == _values(old)


def _values(report) -> Counter:
    """Focus nodes and values as the report text shows them (blank nodes: any label)."""
    return Counter(
        tuple("_:" if t and t.startswith("_:") else t for t in (r.focus_node, r.value))
        for r in report.results
    )


def test_literals_canonicalised_by_the_store_are_reported_as_written(tmp_path):
    path = tmp_path / "data.ttl"
    path.write_text(
        "@prefix ex: <urn:ex:> . @prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n"
        'ex:a ex:p "4.0"^^xsd:decimal , "+7"^^xsd:integer .\n',
        encoding="utf-8",
    )
    shapes = Graph().parse(
        data="@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <urn:ex:> .\n"
        "ex:S a sh:NodeShape ; sh:targetObjectsOf ex:p ; sh:maxInclusive 1 .\n",
        format="turtle",
    )
    report, _ = validate_sources([Source(path, path.as_uri(), "data.ttl")], shapes)
    assert sorted(r.focus_node for r in report.results) == ["+7", "4.0"]
    written = {str(o) for o in report.graph.objects(None, SH.focusNode)}
    assert written == {"4.0", "+7"}
