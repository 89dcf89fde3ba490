"""Docs that cannot drift: every CLI command and every route is in the README."""

from __future__ import annotations

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
