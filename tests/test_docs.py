"""Docs that cannot drift: every CLI command and every route is in the README."""

from __future__ import annotations

import re

import pytest

from conftest import REPO
from stkg.cli import main

README = (REPO / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("command", sorted(main.commands))
def test_every_cli_command_is_documented(command):
    assert f"`stkg {command}" in README


def test_every_route_is_documented(app):
    routes = {rule.rule for rule in app.url_map.iter_rules() if rule.endpoint != "static"}
    missing = sorted(route for route in routes if f"`{route}`" not in README)
    assert not missing, f"routes missing from README.md: {missing}"


def test_the_readme_gives_the_two_commands_and_ci_runs_the_test_one():
    assert "scripts/run" in README and "scripts/test" in README
    assert "scripts/test" in (REPO / ".ci" / "run").read_text(encoding="utf-8")


def test_every_limit_setting_in_the_code_is_in_the_security_doc():
    security = (REPO / "docs" / "security.md").read_text(encoding="utf-8")
    names = set()
    for path in (REPO / "src" / "stkg").rglob("*.py"):
        names |= set(
            re.findall(
                r"STKG_(?:MAX|WORKER|ALLOW|QUERY|ADHOC|NAMED)_[A-Z_]*[A-Z]", path.read_text()
            )
        )
    missing = sorted(name for name in names if f"`{name}" not in security)
    assert names and not missing, f"settings missing from docs/security.md: {missing}"


def test_the_readme_links_the_security_doc():
    assert "docs/security.md" in README
