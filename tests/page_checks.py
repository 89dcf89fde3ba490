"""Accessibility and self-containment checks every explorer page must pass.

Parsed with the standard library's HTML parser: a `lang` on <html>, exactly one <h1>, a
label for every form control, `scope` on every table header, and no resource or link to
another host (no CDN, no remote font).
"""

from __future__ import annotations

import csv
import io
import re
from html.parser import HTMLParser


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.lang = None
        self.h1 = 0
        self.controls: list[dict] = []  # inputs, selects, textareas
        self.labels_for: set[str] = set()
        self.open_labels = 0
        self.th_without_scope = 0
        self.remote: list[str] = []
        self.ids: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if a.get("id"):
            self.ids.append(a["id"])
        if tag == "html":
            self.lang = a.get("lang")
        elif tag == "h1":
            self.h1 += 1
        elif tag == "label":
            self.open_labels += 1
            if a.get("for"):
                self.labels_for.add(a["for"])
        elif tag in ("input", "select", "textarea"):
            if a.get("type") not in ("hidden", "submit", "button"):
                self.controls.append({**a, "_wrapped": self.open_labels > 0})
        elif tag == "th" and "scope" not in a:
            self.th_without_scope += 1
        for name in ("src", "href", "action"):
            value = a.get(name) or ""
            if re.match(r"(https?:)?//", value):
                self.remote.append(f"{tag} {name}={value}")

    def handle_endtag(self, tag):
        if tag == "label":
            self.open_labels -= 1


def assert_accessible_page(html: str) -> None:
    page = _Page()
    page.feed(html)
    assert page.lang, "the <html> element has no lang attribute"
    assert page.h1 == 1, f"a page has exactly one h1, found {page.h1}"
    unlabelled = [
        c.get("id") or c.get("name")
        for c in page.controls
        if not c["_wrapped"] and c.get("id") not in page.labels_for and not c.get("aria-label")
    ]
    assert not unlabelled, f"form controls without a label: {unlabelled}"
    assert page.th_without_scope == 0, f"{page.th_without_scope} table headers without scope"
    assert not page.remote, f"remote resources or links: {page.remote[:5]}"
    duplicates = {i for i in page.ids if page.ids.count(i) > 1}
    assert not duplicates, f"duplicate ids: {sorted(duplicates)[:5]}"


def csv_rows(response) -> tuple[list[str], list[dict[str, str]]]:
    """The header and rows of a CSV response."""
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "text/csv"
    reader = csv.DictReader(io.StringIO(response.get_data(as_text=True)))
    rows = list(reader)
    return list(reader.fieldnames or []), rows


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag, attrs):
        self.skip += tag in ("script", "style")

    def handle_endtag(self, tag):
        self.skip -= tag in ("script", "style")

    def handle_data(self, data):
        if not self.skip:
            self.parts.append(data)


def visible_text(html: str) -> str:
    """What a person reads on the page: its text, without markup, attributes or scripts."""
    parser = _Text()
    parser.feed(html)
    return " ".join(parser.parts)
