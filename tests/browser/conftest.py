"""Fixtures for the real-browser tests: the real server on loopback, Debian's Chromium.

`server` runs `stkg serve` on a free loopback port, as a person would. `page` is a fresh
browser page whose every request is checked: one to any host but 127.0.0.1 is blocked and
recorded, and the test fails at teardown, as it does on an uncaught JavaScript error.
Playwright's own browser download does not work here (and is never run): the tests drive
`/usr/bin/chromium`, which `scripts/setup test` installs. They skip only when Chromium or
the front-end libraries (`node_modules/`, from `npm ci`) are genuinely absent.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from servers import running_server

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = Path(os.environ.get("STKG_CHROMIUM", "/usr/bin/chromium"))
NODE_MODULES = REPO / "node_modules"
SCREENSHOTS = REPO / "_build" / "screenshots"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LOCAL_SCHEMES = ("data", "blob", "about")


def _missing() -> str | None:
    if not CHROMIUM.is_file():
        return f"Chromium is not installed at {CHROMIUM} (scripts/setup test installs it)"
    for needed in ("@zazuko/yasgui", "cytoscape", "axe-core"):
        if not (NODE_MODULES / needed).is_dir():
            return f"node_modules/{needed} is missing (scripts/setup runs npm ci)"
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    reason = _missing()
    if reason is None:
        return
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The base URL of `stkg serve` running on this checkout's project."""
    with running_server(tmp_path_factory.mktemp("server"), {"STKG_PROJECT": str(REPO)}) as running:
        yield running.base


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class Guard:
    """Requests to other hosts and JavaScript errors seen by one page."""

    def __init__(self) -> None:
        self.foreign: list[str] = []
        self.errors: list[str] = []
        self.requests: list[str] = []

    def route(self, route: object) -> None:
        url = route.request.url  # type: ignore[attr-defined]
        parts = urlsplit(url)
        if parts.scheme in LOCAL_SCHEMES or parts.hostname == "127.0.0.1":
            self.requests.append(url)
            route.continue_()  # type: ignore[attr-defined]
        else:
            self.foreign.append(url)
            route.abort()  # type: ignore[attr-defined]


@pytest.fixture
def guard() -> Guard:
    return Guard()


@pytest.fixture
def page(browser, guard: Guard, server: str) -> Iterator[object]:
    """A fresh page (own context: no cookies, no storage) with requests checked."""
    context = browser.new_context(
        base_url=server, accept_downloads=True, viewport={"width": 1280, "height": 900}
    )
    context.route("**/*", guard.route)
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.on("pageerror", lambda exc: guard.errors.append(str(exc)))
    yield page
    context.close()
    assert guard.foreign == [], f"requests left for another host: {guard.foreign}"
    assert guard.errors == [], f"JavaScript errors: {guard.errors}"


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
