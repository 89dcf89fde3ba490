#!/usr/bin/env python3
"""Generate the framework catalogues and crosswalks in data/ from reference/.

    .venv/bin/python scripts/build_catalogues.py            # write data/frameworks, data/crosswalks
    .venv/bin/python scripts/build_catalogues.py --check    # exit 1 if a committed file differs

Reads only the reference folder (and the project's own mapping CSV in scripts/catalogues/);
the product never needs the reference folder at run time, because the output is committed.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))

from catalogues import build_all  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--reference",
        type=Path,
        default=REPO / "reference",
        help="the reference folder (default: reference/ in this repository, see its README)",
    )
    parser.add_argument(
        "--check", action="store_true", help="compare with the committed files, write nothing"
    )
    parser.add_argument("--out", type=Path, default=REPO, help="project folder to write into")
    args = parser.parse_args(argv)
    if not args.reference.is_dir():
        parser.error(f"{args.reference}: no such reference folder")
    files = build_all(args.reference)
    if args.check:
        with tempfile.TemporaryDirectory() as scratch:
            write(files, Path(scratch))
            stale = [
                path
                for path in files
                if not (args.out / path).is_file()
                or (args.out / path).read_bytes() != (Path(scratch) / path).read_bytes()
            ]
        for path in stale:
            print(f"out of date: {path}", file=sys.stderr)
        if stale:
            print("run: .venv/bin/python scripts/build_catalogues.py", file=sys.stderr)
        return 1 if stale else 0
    write(files, args.out)
    for path in files:
        print(path)
    return 0


def write(files: dict[str, str], root: Path) -> None:
    for path, text in files.items():
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8", newline="\n")


if __name__ == "__main__":
    sys.exit(main())
