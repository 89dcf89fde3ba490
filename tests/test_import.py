"""`stkg import`: an inventory of CSV files or a workbook becomes the graph a careful author
writes by hand, in one recorded batch, through the real command (a subprocess).

The projects here have the ontology, shapes, catalogues and mapping but no example data, so
what a store holds is what the import put there.
"""

from __future__ import annotations

import csv
import hashlib
import json
import shutil
from collections import Counter
from pathlib import Path

import pyoxigraph as ox
import pytest

from commands import start_stkg, stkg
from conftest import REPO
from stkg.inventory.batches import PROVENANCE_GRAPH
from stkg.inventory.export import export_rows, write_book, write_folder
from stkg.inventory.mapping import load_mapping
from stkg.project import GRAPH_BASE, Project
from stkg.store import OxigraphStore
from test_restore_point import kill, wait_until_stopped

FIXTURE = REPO / "data" / "import" / "example"  # the example inventory the README shows
EX = "https://w3id.org/stkg/example/acme/"
BASE = "https://example.org/acme/"
MAPPING = REPO / "data" / "import" / "inventory.toml"
PROJECT_GRAPHS = tuple(GRAPH_BASE + f for f in ("ontology/", "shapes/", "data/"))
# Shapes asking for facts the template has no column for (docs/decisions.md): risks,
# assessments, documents, decision makers.
NO_COLUMN = {
    "RiskRegisterShape", "DecisionDocumentationShape", "ImpactAssessmentShape",
    "EURiskManagementShape", "EUFundamentalRightsImpactShape", "EUTechnicalDocumentationShape",
    "EUPostMarketMonitoringShape",
}  # fmt: skip


def bare_project(root: Path) -> Path:
    """The bundled project without its example data."""
    target = root / "project"
    for folder in ("ontology", "shapes", "queries", "data/frameworks", "data/import"):
        shutil.copytree(REPO / folder, target / folder)
    return target


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    return bare_project(tmp_path_factory.mktemp("import"))


@pytest.fixture(scope="module")
def acme(tmp_path_factory) -> Path:
    """The example portfolio written as the template: CSV files and a workbook."""
    store = OxigraphStore()
    Project(REPO).load_into(store)
    rows = export_rows(store, EX)
    folder = tmp_path_factory.mktemp("acme") / "acme"
    mapping = load_mapping(MAPPING)
    write_folder(rows, folder, mapping)
    write_book(rows, folder.parent / "acme.xlsx", mapping)
    return folder


def run(project: Path, *args: str, store: Path | None = None):
    options = ["--project", str(project)] + (["--store", str(store)] if store else [])
    return stkg(*options, *args, cwd=project.parent)


def quads(project: Path, store: Path, *, without: tuple[str, ...] = ()) -> set[str]:
    """The store's statements, but for the project's files (loaded afresh by every command,
    with new blank node labels) and the graphs named in `without`."""
    result = run(project, "export", "--format", "nquads", store=store)
    assert result.returncode == 0, result.stderr
    skip = tuple(f"<{g}" for g in (*PROJECT_GRAPHS, *without))
    return {
        line
        for line in result.stdout.splitlines()
        if not any(line.rstrip(" .").rsplit(" ", 1)[-1].startswith(g) for g in skip)
    }


def results(report: dict) -> Counter:
    """(system id, shape, severity) of each result of a `stkg validate --format json`."""
    return Counter(
        (
            system.removeprefix(EX).removeprefix(BASE),
            r["source_shape"].split("#")[-1],
            r["severity"],
        )
        for r in report["results"]
        for system in r["systems"]
    )


def test_the_example_portfolio_imported_from_the_template_has_the_same_gaps(
    project, acme, tmp_path
):
    """Every documented gap of data/examples comes back; what differs is exactly the shapes
    whose facts the template has no column for, and the RACI gap of the KYC check, because
    an imported owner is also its accountable party."""
    store = tmp_path / "store"
    imported = run(project, "import", str(acme), "--base", EX, store=store)
    assert imported.returncode == 0, imported.stderr
    validated = run(project, "validate", "--format", "json", store=store)
    turtle = stkg("--project", str(REPO), "validate", "--format", "json", cwd=REPO)
    ours, theirs = results(json.loads(validated.stdout)), results(json.loads(turtle.stdout))
    assert theirs - ours == Counter({("KYCDocumentCheck", "RolesDocumentedShape", "Warning"): 1})
    extra = ours - theirs
    assert {shape for _, shape, _ in extra} <= NO_COLUMN, extra
    same = Counter({k: n for k, n in theirs.items() if k[1] not in NO_COLUMN})
    assert +Counter({k: n for k, n in ours.items() if k[1] not in NO_COLUMN}) == same - Counter(
        {("KYCDocumentCheck", "RolesDocumentedShape", "Warning"): 1}
    )
    # the summary printed after the import is that report, per system
    assert "validation of the 15 imported system(s)" in imported.stdout
    assert "Customer-service chatbot" in imported.stdout
    assert "EscalationPathShape" in imported.stdout


def test_a_csv_folder_and_the_same_data_as_one_workbook_give_the_same_graph(
    project, acme, tmp_path
):
    graph = "https://w3id.org/stkg/graph/import/acme"
    dumps = []
    for source in (acme, acme.parent / "acme.xlsx"):
        store = tmp_path / source.name
        assert run(project, "import", str(source), "--batch", "acme", store=store).returncode == 0
        exported = run(project, "export", "--format", "nt", "--graph", graph, store=store)
        dumps.append(set(exported.stdout.splitlines()))
    assert dumps[0] == dumps[1]
    assert len(dumps[0]) > 900


def test_a_second_import_duplicates_nothing(project, tmp_path):
    store = tmp_path / "store"
    first = run(project, "import", str(FIXTURE), store=store)
    assert first.returncode == 0, first.stderr
    before = quads(project, store, without=(PROVENANCE_GRAPH,))
    second = run(project, "import", str(FIXTURE), store=store)
    assert "added 0 triples, removed 0" in second.stdout
    assert quads(project, store, without=(PROVENANCE_GRAPH,)) == before
    listed = run(project, "import", "--list", store=store).stdout
    assert listed.count("example: present") == 1


def test_a_batch_with_one_bad_reference_writes_nothing_and_names_it(project, tmp_path):
    store = tmp_path / "store"
    assert run(project, "import", str(FIXTURE), store=store).returncode == 0
    before = quads(project, store)
    source = tmp_path / "inventory"
    shutil.copytree(FIXTURE, source)
    text = (source / "processes.csv").read_text().replace(",ModelRisk,", ",ModelRsk,")
    (source / "processes.csv").write_text(text)
    people = source / "people.csv"
    people.write_text(people.read_text() + "New,New one,person,,\n")
    result = run(project, "import", str(source), store=store)
    assert result.returncode == 2
    assert (
        f"{source}/processes.csv:4: column performed_by 'ModelRsk': no such id in people "
        "(closest: ModelRisk)" in result.stderr
    )
    assert "1 error in the inventory; nothing was imported" in result.stderr
    assert "Traceback" not in result.stderr
    assert quads(project, store) == before


def test_rollback_restores_the_earlier_state_exactly(project, tmp_path):
    store = tmp_path / "store"
    assert run(project, "import", str(FIXTURE), "--batch", "first", store=store).returncode == 0
    before = quads(project, store, without=(PROVENANCE_GRAPH,))
    other = tmp_path / "other"
    shutil.copytree(FIXTURE, other)
    assert run(project, "import", str(other), "--base", BASE, store=store).returncode == 0
    assert quads(project, store, without=(PROVENANCE_GRAPH,)) != before
    rolled = run(project, "import", "--rollback", "other", "--agent", "auditor", store=store)
    assert rolled.returncode == 0, rolled.stderr
    assert "rolled back batch other" in rolled.stdout
    assert quads(project, store, without=(PROVENANCE_GRAPH,)) == before
    listed = run(project, "import", "--list", store=store).stdout
    assert "other: rolled back; last rollback" in listed and "by auditor" in listed
    assert "first: present" in listed
    again = run(project, "import", "--rollback", "other", store=store)
    assert again.returncode == 1
    assert "no import batch 'other' in the store (batches: first)" in again.stderr


def test_an_import_killed_while_it_writes_leaves_the_store_as_it_was(project, tmp_path):
    store = tmp_path / "store"
    assert run(project, "import", str(FIXTURE), store=store).returncode == 0
    before = quads(project, store)
    listed = run(project, "import", "--list", store=store).stdout
    other = tmp_path / "example"  # the same batch, every IRI changed: it is written anew
    shutil.copytree(FIXTURE, other)
    options = ("--project", str(project), "--store", str(store))
    process = start_stkg(*options, "import", str(other), "--base", BASE, cwd=tmp_path,
                         env={"STKG_LOAD_PAUSE_AT": "written-part"})  # fmt: skip
    assert process.stderr is not None
    line = process.stderr.readline()
    assert line.strip() == "stkg: paused at written-part", line + process.stderr.read()
    wait_until_stopped(process)
    kill(process)
    assert quads(project, store) == before
    assert run(project, "import", "--list", store=store).stdout == listed


def test_an_import_is_recorded_with_prov_o(project, tmp_path):
    store = tmp_path / "store"
    assert run(project, "import", str(FIXTURE), "--agent", "maria", store=store).returncode == 0
    query = f"""PREFIX prov: <http://www.w3.org/ns/prov#> PREFIX stkg: <https://w3id.org/stkg#>
    PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
    SELECT ?agent ?start ?end ?rows ?triples ?file ?sha WHERE {{ GRAPH <{PROVENANCE_GRAPH}> {{
      ?a a prov:Activity ; prov:wasAssociatedWith/rdfs:label ?agent ; prov:startedAtTime ?start ;
         prov:endedAtTime ?end ; stkg:rowCount ?rows ; stkg:tripleCount ?triples ;
         prov:generated <https://w3id.org/stkg/graph/import/example> ;
         prov:used [ rdfs:label ?file ; stkg:sha256 ?sha ] }} }}"""
    answer = run(project, "query", "--sparql", query, "--format", "json", store=store)
    bindings = json.loads(answer.stdout)["results"]["bindings"]
    files = {Path(b["file"]["value"]).name: b["sha"]["value"] for b in bindings}
    assert files == {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in FIXTURE.glob("*.csv")
    }
    first = bindings[0]
    assert first["agent"]["value"] == "maria"
    assert first["rows"]["value"] == "19"  # 10 people, 3 controls, 2 systems, 4 processes
    assert first["start"]["value"] <= first["end"]["value"]
    triples = run(project, "export", "--format", "nt", "--graph",
                  "https://w3id.org/stkg/graph/import/example", store=store)  # fmt: skip
    assert first["triples"]["value"] == str(len(triples.stdout.splitlines()))


def test_the_imported_graph_is_what_a_careful_author_writes(project, tmp_path):
    store = tmp_path / "store"
    assert run(project, "import", str(FIXTURE), "--base", BASE, store=store).returncode == 0
    asks = {
        "the owner is the accountable party": "?r stkg:assignedFor ex:Loan ; stkg:assignedTo "
        "ex:MariaLopez ; stkg:raciRole stkg:Accountable ; a stkg:ResponsibilityAssignment .",
        "a review is a HumanReview process of the system": "ex:Loan stkg:hasProcess ex:LoanReview "
        ". ex:LoanReview a stkg:HumanReview ; stkg:performedBy ex:CreditReview .",
        "evidence is shared by description": "ex:LoanMonitoring stkg:requiresEvidence ?e . "
        "ex:ChatbotMonitoring stkg:requiresEvidence ?e . ?e a stkg:Evidence ; rdfs:label "
        '"Monitoring report" .',
        "requirement codes are catalogue IRIs": "ex:HumanReviewControl stkg:implements "
        "<https://w3id.org/stkg/framework/iso-iec-42001/A.9.2> , "
        "<https://w3id.org/stkg/framework/eu-ai-act/art-14> .",
        "Annex III points are catalogue IRIs": "ex:Loan stkg:hasContextOfUse ?c . ?c "
        "stkg:annexIIIArea <https://w3id.org/stkg/framework/eu-ai-act/annex-III-5-b> ; "
        'stkg:jurisdiction "EU" .',
        "headers and values are case-insensitive": "ex:Loan stkg:impactLevel stkg:HighImpact . "
        "ex:JamesOkafor a stkg:Person . ex:LoanMonitoring a stkg:MonitoringProcess .",
        "a role follows the name": 'ex:MariaLopez rdfs:label "Maria Lopez (Head of Retail '
        'Credit)" .',
        "several consequences": "ex:Loan stkg:consequenceOfError ?a , ?b . FILTER(?a != ?b)",
        "a trigger is English text": 'ex:LoanReview stkg:trigger "Application declined"@en .',
    }
    for what, pattern in asks.items():
        query = (
            f"PREFIX stkg: <https://w3id.org/stkg#> PREFIX ex: <{BASE}> "
            f"PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> ASK {{ {pattern} }}"
        )
        answer = run(project, "query", "--sparql", query, "--format", "json", store=store)
        assert json.loads(answer.stdout)["boolean"] is True, what


def test_an_imported_inventory_shows_its_gaps_in_stkg_validate(project, tmp_path):
    store = tmp_path / "store"
    imported = run(project, "import", str(FIXTURE), "--base", BASE, store=store)
    assert "Customer-service chatbot" in imported.stdout
    assert "EscalationPathShape" in imported.stdout
    report = json.loads(run(project, "validate", "--format", "json", store=store).stdout)
    found = results(report)
    assert found[("Chatbot", "EscalationPathShape", "Violation")] == 1
    for shape in ("HumanReviewShape", "EscalationPathShape", "MonitoringShape", "UsersShape"):
        assert ("Loan", shape, "Violation") not in found


def test_dry_run_reports_changes_and_gaps_and_writes_nothing(project, tmp_path):
    store = tmp_path / "store"
    run(project, "import", "--template", str(tmp_path / "blank"))  # nothing in the store yet
    before = quads(project, store)
    result = run(project, "import", str(FIXTURE), "--dry-run", store=store)
    assert result.returncode == 0, result.stderr
    assert "would add" in result.stdout and "dry run: nothing written" in result.stdout
    assert "EscalationPathShape" in result.stdout
    assert quads(project, store) == before


def test_without_a_store_it_checks_reports_and_keeps_nothing(project):
    result = run(project, "import", str(FIXTURE))
    assert result.returncode == 0, result.stderr
    assert "validation of the 2 imported system(s)" in result.stdout
    assert "in-memory store: nothing kept" in result.stderr


def test_a_row_may_refer_to_an_id_imported_in_an_earlier_batch(project, tmp_path):
    store = tmp_path / "store"
    assert run(project, "import", str(FIXTURE / "people.csv"), store=store).returncode == 0
    systems = tmp_path / "systems.csv"
    systems.write_text("id,name,owner\nNew,New system,MariaLopez\n")
    result = run(project, "import", str(systems), store=store)
    assert result.returncode == 0, result.stderr


def test_template_writes_blank_csv_files_and_a_workbook_explaining_each_column(project, tmp_path):
    import openpyxl

    folder = tmp_path / "template"
    result = run(project, "import", "--template", str(folder))
    assert result.returncode == 0, result.stderr
    mapping = load_mapping(MAPPING)
    for name, sheet in mapping.sheets.items():
        rows = list(csv.reader((folder / f"{name}.csv").open()))
        assert rows == [list(sheet.columns)]
    book = openpyxl.load_workbook(folder / "inventory.xlsx")
    assert book.sheetnames == ["about", "people", "controls", "systems", "processes"]
    about = list(book["about"].iter_rows(values_only=True))
    assert about[0] == ("sheet", "column", "required", "values", "meaning", "example")
    explained = {(r[0], r[1]): r for r in about[1:]}
    assert len(explained) == sum(len(s.columns) for s in mapping.sheets.values())
    assert "one of: high, medium, low" in explained[("systems", "impact")][3]
    assert "ids of people" in explained[("systems", "owner")][3]
    # the blank template imports as "no rows"; filled in, it imports
    assert "no rows to import" in run(project, "import", str(folder)).stderr
    shutil.copy(FIXTURE / "people.csv", folder / "people.csv")
    assert run(project, "import", str(folder)).returncode == 0


def test_another_layout_is_a_mapping_edit(project, tmp_path):
    text = MAPPING.read_text()
    text = text.replace("[sheets.systems.columns.name]", "[sheets.systems.columns.title]")
    owner = '\n\n[[sheets.systems.triples]]\npredicate = "stkg:hasOwner"'
    text = text.replace(f"object = '\"{{name}}\"'{owner}", f"object = '\"{{title}}\"'{owner}")
    text = text.replace('"Accountable for {name}"', '"Accountable for {title}"')
    text = text.replace('"Context of use of {name}"', '"Context of use of {title}"')
    mapping = tmp_path / "mine.toml"
    mapping.write_text(text)
    (tmp_path / "systems.csv").write_text("id,title\nS1,My system\n")
    store = tmp_path / "store"
    result = run(project, "import", str(tmp_path / "systems.csv"), "--mapping", str(mapping),
                 "--base", BASE, store=store)  # fmt: skip
    assert result.returncode == 0, result.stderr
    dump = run(project, "export", "--format", "nt", store=store).stdout
    assert f'<{BASE}S1> <http://www.w3.org/2000/01/rdf-schema#label> "My system"' in dump
    ox.parse(dump.encode(), format=ox.RdfFormat.N_TRIPLES)  # well-formed


def test_the_readme_documents_the_template_as_the_mapping_says():
    """The template is a public contract: the README's tables and examples are the mapping's
    columns and the example inventory, word for word."""
    from stkg.inventory.template import explain

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("### The template") : readme.index("## Frameworks and")]
    mapping = load_mapping(MAPPING)
    for name, sheet in mapping.sheets.items():
        assert f"**`{name}`** — {sheet.description}" in section
        for c in sheet.columns.values():
            required = "yes" if c.required else ""
            row = f"| `{c.name}` | {required} | {explain(c, ';')} | {c.description} |"
            assert row in section, row
        example = (FIXTURE / f"{name}.csv").read_text(encoding="utf-8").strip()
        assert f"```csv\n{example}\n```" in section


def test_an_imported_inventory_shows_its_gaps_and_people_in_the_explorer(project, tmp_path):
    from urllib.parse import quote

    from stkg.web import create_app

    path = tmp_path / "store"
    assert run(project, "import", str(FIXTURE), "--base", BASE, store=path).returncode == 0
    opened = Project(project).open_store(path)
    try:
        app = create_app({"STKG_QUERY_WORKERS": 0}, project=Project(project), store=opened)
        client = app.test_client()
        chatbot = client.get(f"/system.json?iri={quote(BASE + 'Chatbot', safe='')}").get_json()
        assert "EscalationPathShape" in {g["shape_name"] for g in chatbot["gaps"]}
        loan = client.get(f"/system.json?iri={quote(BASE + 'Loan', safe='')}").get_json()
        owner = next(p for p in loan["people"] if p["role"].startswith("Owner"))
        assert [a["label"] for a in owner["agents"]] == ["Maria Lopez (Head of Retail Credit)"]
        assert BASE + "LoanReview" in {p["iri"] for p in loan["processes"]}
        page = client.get(f"/system?iri={quote(BASE + 'Chatbot', safe='')}")
        assert page.status_code == 200 and "escalation path" in page.get_data(as_text=True)
    finally:
        opened.close()


def summary_of(report: dict, labels: dict[str, str]) -> list[str]:
    """The summary `stkg import` prints, made from a `stkg validate --format json` report of
    a store holding only the imported systems (a few, so one line each)."""
    found = [r for r in report["results"] if r["systems"]]
    counts = Counter(r["severity"] for r in found)  # in report order: most severe first
    parts = ", ".join(f"{n} {s.lower()}{'s' if n != 1 else ''}" for s, n in counts.items())
    lines = [f"validation of the {len(labels)} imported system(s): {len(found)} result(s): {parts}"]
    for system in sorted(labels, key=labels.get):
        own = [r for r in found if system in r["systems"]]
        shapes = ", ".join(sorted({r["source_shape"].split("#")[-1] for r in own}))
        lines.append(f"  {labels[system]} <{system}>: {len(own)} result(s): {shapes}")
    return lines


def test_the_summary_after_an_import_counts_what_stkg_validate_reports(project, tmp_path):
    """The summary counts the results of the compiled checks without explaining them; it
    says what the full validation says of the same store."""
    store = tmp_path / "store"
    imported = run(project, "import", str(FIXTURE), "--base", BASE, store=store)
    assert imported.returncode == 0, imported.stderr
    validated = run(project, "validate", "--format", "json", store=store)
    labels = {BASE + "Loan": "AI-based loan approval", BASE + "Chatbot": "Customer-service chatbot"}
    expected = summary_of(json.loads(validated.stdout), labels)
    assert imported.stdout.splitlines()[2:5] == expected


def test_a_piped_import_shows_no_progress(project):
    result = run(project, "import", str(FIXTURE))
    assert result.returncode == 0, result.stderr
    for mark in ("\r", "%|", "rows/s", "Checking", "Validating"):
        assert mark not in result.stdout + result.stderr


def test_an_import_on_a_terminal_shows_its_progress_on_standard_error(runner, project, monkeypatch):
    from stkg import progress
    from stkg.cli import main

    monkeypatch.setattr(progress, "enabled", lambda stream=None: True)
    result = runner.invoke(main, ["--project", str(project), "import", str(FIXTURE)])
    assert result.exit_code == 0, result.output
    for step in ("Checking", "Building", "rows/s", "Writing", "Validating"):
        assert step in result.stderr, step
    assert "rows/s" not in result.stdout
