"""Reading the pinned reference files under reference/ and cleaning their text."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path
from typing import Any

import yaml

# PDF ligatures left by text extraction (NIST AI 600-1 actions, reference README §2).
LIGATURES = {"ﬁ": "fi", "ﬀ": "ff", "ﬂ": "fl", "ﬃ": "ffi", "ﬄ": "ffl"}


def read_csv(reference: Path, name: str) -> list[dict[str, str]]:
    with (reference / "derived" / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def read_json(reference: Path, relative: str) -> Any:
    return json.loads((reference / relative).read_text(encoding="utf-8"))


def read_yaml(reference: Path, relative: str) -> Any:
    return yaml.safe_load((reference / relative).read_text(encoding="utf-8"))


def unligature(text: str) -> str:
    for ligature, letters in LIGATURES.items():
        text = text.replace(ligature, letters)
    return text


def clean(text: str) -> str:
    """One-line text: ligatures replaced, runs of white space (incl. line breaks) collapsed."""
    return re.sub(r"\s+", " ", unligature(text)).strip()


def markdown(text: str) -> str:
    """Multi-line Markdown: trailing spaces and surrounding blank lines removed, lines kept."""
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").split("\n")]
    return "\n".join(lines).strip()
