"""The repository carries what its tests read: a plain clone, with nothing beside it, runs
every test.

The reference sources (reference/) and the W3C suites (tests/w3c/) are present with their
licences and origins; nothing in the code or the tests reads a folder outside the repository;
the AGPL CISO Assistant file is not carried; and a test that skips because something is
missing fails the session (the guard in conftest.py).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from conftest import REFERENCE, REPO, W3C, skipped_for_missing_data

# The before-stop hook's pattern for a path out of the repository into a sibling folder.
OUTSIDE = re.compile(r"\.\./shared|[\"']shared[\"'] */|/ *[\"']shared[\"']")
CODE_FOLDERS = ("tests", "src", "scripts", ".ci")


def listed_files(readme: str) -> set[str]:
    """The files named in the first column of the README's quick index, minus 'not carried'."""
    index = readme.split("## Quick index", 1)[1].split("\n---", 1)[0]
    names = set()
    for line in index.splitlines():
        found = re.match(r"\| (\*not carried:\* )?`([^`*]+)`", line)
        if found and not found.group(1):
            names.add(found.group(2))
    return names


def test_every_reference_file_the_readme_lists_is_carried():
    readme = (REFERENCE / "README.md").read_text(encoding="utf-8")
    listed = listed_files(readme)
    assert len(listed) >= 17
    missing = sorted(name for name in listed if not (REFERENCE / name).is_file())
    assert not missing, f"reference/README.md lists files that are not in reference/: {missing}"


def test_every_reference_file_is_described_in_the_readme():
    readme = (REFERENCE / "README.md").read_text(encoding="utf-8")
    carried = {
        path.relative_to(REFERENCE).as_posix()
        for path in REFERENCE.rglob("*")
        if path.is_file() and path.name not in ("README.md", "LICENSE", "LICENSE.md", "NOTICE.md")
    }
    undescribed = sorted(name for name in carried if f"`{name}`" not in readme and
                         f"`{name.rsplit('/', 1)[-1]}`" not in readme)  # fmt: skip
    assert not undescribed, f"reference/README.md does not say where these come from: {undescribed}"


@pytest.mark.parametrize(
    "folder", ["airo", "csa-dataset", "ibm-risk-atlas-nexus", "w3c-dpv", "nist-ai-rmf-playbook"]
)
def test_every_reference_source_carries_its_licence(folder):
    terms = [REFERENCE / folder / name for name in ("LICENSE", "LICENSE.md", "NOTICE.md")]
    assert any(path.is_file() for path in terms), f"reference/{folder} has no licence file"


def test_the_agpl_ciso_assistant_file_is_not_carried():
    tracked = subprocess.run(
        ["git", "ls-files", "reference"], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout.split()
    assert tracked, "reference/ is not tracked by git"
    assert not [path for path in tracked if "ciso-assistant" in path]


def test_the_w3c_suites_carry_their_licence_and_origin():
    readme = (W3C / "README.md").read_text(encoding="utf-8")
    assert "ad541a5f0479f0798608c4801369d97b8e08b36f" in readme  # w3c/rdf-tests
    assert "ff9edb9c85375498b49391fb65ef3ff6525ebe08" in readme  # w3c/data-shapes
    assert "3-clause BSD" in (W3C / "LICENSE.md").read_text(encoding="utf-8")
    assert (W3C / "sparql" / "LICENSE.md").is_file()


def test_nothing_reads_a_folder_beside_the_repository():
    offending = sorted(
        path.relative_to(REPO).as_posix()
        for folder in CODE_FOLDERS
        for path in (REPO / folder).rglob("*")
        if path.is_file()
        and path.suffix in (".py", ".sh", "")
        and W3C not in path.parents
        and OUTSIDE.search(path.read_text(encoding="utf-8", errors="replace"))
    )
    assert not offending, f"these read outside the repository: {offending}"


@pytest.mark.parametrize(
    ("reason", "missing"),
    [
        ("reference data not found at /tmp/shared/reference", True),
        ("W3C test suites not available", True),
        ("the W3C SHACL test suite is not at /x", True),
        ("pinned reference files missing: ['a.ttl']", True),
        (
            "the AGPL CISO Assistant file is not distributed with stkg; put it at "
            "reference/ciso-assistant/nist-ai-rmf-1.0.yaml to run this interoperability check",
            False,
        ),
        ("Chromium is not installed at /usr/bin/chromium (scripts/setup test installs it)", False),
        ("using-graph-uri / using-named-graph-uri are not supported for updates (400)", False),
    ],
)
def test_skip_reasons_that_name_missing_data_are_recognised(reason, missing):
    assert skipped_for_missing_data(reason) is missing


def run_pytest(tmp_path, body: str) -> subprocess.CompletedProcess:
    """A pytest session over one test file, with this suite's conftest as a plugin."""
    (tmp_path / "test_probe.py").write_text(f"import pytest\n\n\n{body}", encoding="utf-8")
    (tmp_path / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
    path = os.pathsep.join(
        [str(REPO / "tests"), str(REPO / "src"), os.environ.get("PYTHONPATH", "")]
    )
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "conftest", "-p", "no:cacheprovider", "-q", "-rs",
         "test_probe.py"],
        cwd=tmp_path, env={**os.environ, "PYTHONPATH": path}, capture_output=True, text=True,
        timeout=120, check=False,
    )  # fmt: skip


def test_a_skip_for_missing_data_fails_the_session(tmp_path):
    result = run_pytest(
        tmp_path,
        "def test_reads_a_file():\n    pytest.skip('reference data not found at ../elsewhere')\n",
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "skipped for missing data" in result.stdout
    assert "test_probe.py::test_reads_a_file: reference data not found" in result.stdout


def test_a_documented_skip_leaves_the_session_green(tmp_path):
    result = run_pytest(
        tmp_path,
        "def test_interoperates():\n    pytest.skip('the AGPL CISO Assistant file is not "
        "distributed with stkg; put it at reference/ciso-assistant/ to run this check')\n",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "skipped for missing data" not in result.stdout
