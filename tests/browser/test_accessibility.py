"""Every main page of the explorer passes axe-core (from npm, `node_modules/axe-core`,
injected into the page by the test: the app never serves it) with no serious or critical
violation, in a real browser against the real server."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from browser.conftest import NODE_MODULES

pytestmark = pytest.mark.slow

AXE = NODE_MODULES / "axe-core" / "axe.min.js"
LOAN = "https://w3id.org/stkg/example/acme/LoanApproval"
PAGES = (
    "/",
    "/systems",
    f"/system?iri={quote(LOAN, safe='')}",
    f"/resource?iri={quote(LOAN, safe='')}",
    "/gaps",
    "/gaps?view=matrix",
    "/frameworks",
    "/frameworks/nist-ai-rmf",
    "/frameworks/iso-iec-42001/soa",
    "/crosswalk",
    "/search?q=loan",
    "/ontology",
    "/queries",
    "/editor",
    "/import",
)
SERIOUS = ("serious", "critical")


def _described(violations: list[dict]) -> str:
    return "\n".join(
        f"{v['id']} ({v['impact']}): {v['help']} — "
        + "; ".join(" ".join(n["target"]) for n in v["nodes"][:5])
        for v in violations
    )


@pytest.mark.parametrize("path", PAGES)
def test_the_page_has_no_serious_accessibility_violation(page, path, screenshots):
    page.goto(path)
    page.wait_for_load_state("networkidle")
    page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
    found = page.evaluate("async () => (await axe.run(document)).violations")
    serious = [v for v in found if v["impact"] in SERIOUS]
    assert serious == [], f"{path}:\n{_described(serious)}"
