"""Every way `stkg import` refuses its input: all errors at once, each naming file, row,
column and value, exit code 2, nothing written, no traceback. Through the CLI (click's runner,
in process; test_import.py runs the real process)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from stkg.cli import main
from test_import import FIXTURE, MAPPING, bare_project


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    return bare_project(tmp_path_factory.mktemp("errors"))


@pytest.fixture
def inventory(tmp_path) -> Path:
    folder = tmp_path / "inventory"
    shutil.copytree(FIXTURE, folder)
    return folder


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path.name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def refused(runner, project: Path, *args: str, code: int = 2) -> str:
    result = runner.invoke(main, ["--project", str(project), "import", *args])
    assert result.exit_code == code, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.output


CASES = {
    "unknown column": (
        "people.csv", "id,name,kind,member_of,role", "id,name,kind,member_of,role,email",
        "people.csv:1: column email: unknown column; expected: id, name, kind, member_of, role",
    ),
    "missing required column": (
        "controls.csv", "id,name,kind,implements", "id,name,implements",
        "controls.csv:1: column kind: missing required column",
    ),
    "a value not allowed": (
        "systems.csv", ",High,", ",Hihg,",
        "systems.csv:2: column impact 'Hihg': not an allowed value; allowed: high, medium, low",
    ),
    "a multi-valued value not allowed": (
        "systems.csv", "provider; deployer", "provider; user",
        "systems.csv:2: column eu_role 'user': not an allowed value; allowed: provider, "
        "deployer, importer, distributor",
    ),
    "duplicate id": (
        "processes.csv", "ChatbotMonitoring,Chatbot", "LoanReview,Chatbot",
        "processes.csv:5: column id 'LoanReview': duplicate id (first in row 2)",
    ),
    "the same IRI from two sheets": (
        "controls.csv", "CreditPolicy,Credit policy", "Acme,Credit policy",
        "column id 'Acme': names the IRI <https://example.org/inventory/Acme> of row 2 of",
    ),
    "dangling reference": (
        "systems.csv", "Chatbot,Customer-service chatbot,MariaLopez",
        "Chatbot,Customer-service chatbot,MariaLopes",
        "systems.csv:3: column owner 'MariaLopes': no such id in people (closest: MariaLopez)",
    ),
    "dangling reference to a control": (
        "systems.csv", "EU,CreditPolicy\n", "EU,CreditPolcy\n",
        "systems.csv:3: column governed_by 'CreditPolcy': no such id in controls (closest: "
        "CreditPolicy)",
    ),
    "unknown requirement code": (
        "controls.csv", "MANAGE 4.1", "MANAGE 4.10",
        "controls.csv:4: column implements 'MANAGE 4.10': no framework catalogue has this "
        "requirement code (closest: MANAGE 4.1)",
    ),
    "unknown Annex III point": (
        "systems.csv", ",5(b),", ",5(q),",
        "systems.csv:2: column annex_iii '5(q)': no EU AI Act Annex III point '5(q)' (closest: "
        "III.5(",
    ),
    "required value empty": (
        "systems.csv", "Chatbot,Customer-service chatbot", "Chatbot,",
        "systems.csv:3: column name: required, but empty",
    ),
    "too many cells": (
        "controls.csv", "CreditPolicy,Credit policy,policy,",
        "CreditPolicy,Credit policy,policy,,x",
        "controls.csv:2: 5 cells, but the header has 4",
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_a_bad_cell_is_named_with_file_row_column_and_value(runner, project, inventory, case):
    name, old, new, message = CASES[case]
    edit(inventory / name, old, new)
    output = refused(runner, project, str(inventory))
    assert message in output
    assert "nothing was imported" in output


def test_all_errors_are_reported_at_once_without_follow_on_errors(runner, project, inventory):
    edit(inventory / "systems.csv", ",High,", ",Hihg,")
    edit(inventory / "controls.csv", "MANAGE 4.1", "MANAGE 9.9")
    edit(inventory / "people.csv", "id,name,kind,member_of,role", "id,name,kind,member_of,role,x")
    output = refused(runner, project, str(inventory))
    assert "3 errors in the inventory" in output  # the bad rows' ids still resolve
    assert output.index("controls.csv") < output.index("people.csv") < output.index("systems.csv")


def test_a_file_that_is_not_utf8_is_named_with_its_line(runner, project, inventory):
    (inventory / "people.csv").write_bytes("id,name\nX,Café\n".encode("latin-1"))
    output = refused(runner, project, str(inventory))
    assert "people.csv:2: not UTF-8 (byte 0xe9)" in output


def test_a_byte_order_mark_is_fine(runner, project, inventory):
    path = inventory / "people.csv"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    refused(runner, project, str(inventory), code=0)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("staff.csv", "id,name\n", "no sheet is named 'staff'; expected people.csv, controls.csv"),
        ("notes.txt", "hello", "not a .csv or .xlsx file"),
        ("people.csv", "", "people.csv: empty: no header row"),
        ("book.xlsx", "not a zip", "book.xlsx: not an .xlsx workbook"),
    ],
)
def test_a_file_that_is_no_sheet_is_refused(runner, project, tmp_path, name, content, message):
    path = tmp_path / name
    path.write_text(content)
    assert message in refused(runner, project, str(path))


def test_a_workbook_sheet_of_no_known_name_is_refused(runner, project, tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    book.active.title = "Sheet1"
    book.active.append(["id", "name"])
    book.save(tmp_path / "book.xlsx")
    output = refused(runner, project, str(tmp_path / "book.xlsx"))
    assert "book.xlsx[Sheet1]: unknown sheet" in output


def test_the_same_sheet_twice_is_refused(runner, project, inventory, tmp_path):
    shutil.copy(inventory / "people.csv", tmp_path / "people.csv")
    output = refused(runner, project, str(inventory), str(tmp_path / "people.csv"))
    assert "sheet people is also in" in output


def test_a_path_that_does_not_exist_or_an_empty_folder(runner, project, tmp_path):
    assert "nothing.csv: no such file" in refused(runner, project, str(tmp_path / "nothing.csv"))
    (tmp_path / "empty").mkdir()
    assert "empty: no inventory files" in refused(runner, project, str(tmp_path / "empty"))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("version = 1", "version = 2"), "version: must be 1, not 2"),
        (('ref = "people"', 'ref = "peple"', 1), 'ref names no sheet \'peple\''),
        (('object = "{kind}"', 'object = "{kin}"', 1), "{kin} names no column"),
        (('lookup = "requirement"', 'lookup = "requirements"'), "unknown lookup 'requirements'"),
        (('predicate = "stkg:memberOf"', 'predicate = "foaf:member"'),
         "'foaf:member' is not <IRI>"),
        (("[sheets.people.columns.id]\nrequired = true", "[sheets.people.columns.id]\n"),
         "every sheet needs an `id` column"),
        (("multi = true\nref", "multi = yes\nref"), "not valid TOML"),
        (('separator = ";"', 'separator = ";;"'), "separator: must be one character"),
        (('lang = "en"', 'lang = "en_GB!"'), "not a language tag"),
        (('object = \'"{name}[ ({role})]"\'', 'object = \'"{name}[ ({role})"\''), "[ without ]"),
        (("description = \"Everyone", "colour = \"red\"\ndescription = \"Everyone"),
         "unknown key 'colour'"),
    ],
)  # fmt: skip
def test_a_bad_mapping_file_is_refused_naming_its_key(runner, project, tmp_path, change, message):
    text = MAPPING.read_text()
    assert change[0] in text
    mapping = tmp_path / "mapping.toml"
    mapping.write_text(text.replace(change[0], change[1], 1))
    output = refused(runner, project, str(FIXTURE), "--mapping", str(mapping))
    assert message in output
    assert "mapping.toml" in output


def test_a_missing_mapping_file(runner, project, tmp_path):
    output = refused(runner, project, str(FIXTURE), "--mapping", str(tmp_path / "no.toml"))
    assert "no.toml: no such mapping file" in output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--base", "not-an-iri"), "--base not-an-iri: must be an absolute IRI ending in / or #"),
        (("--base", "https://example.org/x"), "ending in / or #"),
        (("--batch", "Bad Batch!"), "a batch id is lower-case letters"),
    ],
)
def test_bad_options_are_refused(runner, project, args, message):
    result = runner.invoke(main, ["--project", str(project), "import", str(FIXTURE), *args])
    assert result.exit_code == 1 and message in result.output


@pytest.mark.parametrize(
    "args", [(), ("--list", "--rollback", "x"), (str(FIXTURE), "--list"), ("--template",)]
)
def test_one_action_at_a_time(runner, project, args):
    result = runner.invoke(main, ["--project", str(project), "import", *args])
    assert result.exit_code == 2 and "Error" in result.output


def test_rolling_back_an_unknown_batch_names_the_batches(runner, project):
    result = runner.invoke(main, ["--project", str(project), "import", "--rollback", "nope"])
    assert result.exit_code == 1
    assert "no import batch 'nope' in the store (batches: none)" in result.output


def test_listing_an_empty_store(runner, project):
    result = runner.invoke(main, ["--project", str(project), "import", "--list"])
    assert result.exit_code == 0 and "no import batches in the store" in result.output
