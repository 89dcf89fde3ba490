"""Tables on explorer pages: bounded pagination and CSV export.

Every list is paged (at most `MAX_PER_PAGE` rows per request), so a page costs the same at
fourteen systems and at a hundred thousand. A table's CSV export has the same columns as its
JSON rows.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from flask import Response, abort, request

DEFAULT_PER_PAGE = 50
MAX_PER_PAGE = 500


@dataclass(frozen=True)
class Paging:
    page: int
    per_page: int

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page

    def info(self, total: int) -> dict[str, int]:
        pages = max(1, -(-total // self.per_page))
        return {"page": self.page, "per_page": self.per_page, "total": total, "pages": pages}


def int_arg(name: str, default: int, low: int, high: int) -> int:
    """An integer query parameter within bounds; anything else is a 400."""
    raw = request.args.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        abort(400, f"{name} must be a whole number")
    if not low <= value <= high:
        abort(400, f"{name} must be between {low} and {high}")
    return value


def paging(default: int = DEFAULT_PER_PAGE) -> Paging:
    return Paging(
        int_arg("page", 1, 1, 1_000_000),
        int_arg("per_page", default, 1, MAX_PER_PAGE),
    )


def choice_arg(name: str, allowed: Sequence[str], default: str) -> str:
    value = request.args.get(name, "").strip() or default
    if value not in allowed:
        abort(400, f"{name} must be one of: {', '.join(allowed)}")
    return value


def csv_response(
    filename: str, columns: Sequence[str], rows: Iterable[Mapping[str, Any]]
) -> Response:
    """A CSV download: a header of `columns`, then each row's values (lists joined by `; `)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(row.get(c)) for c in columns])
    response = Response(out.getvalue(), 200, content_type="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (list, tuple, set)):
        return "; ".join(_cell(v) for v in value)
    return str(value)


def thousands(value: Any) -> str:
    """A whole number with thousands separators (10,015); anything else as it is. The one
    number format of the explorer's pages (the Jinja filter `thousands`)."""
    if isinstance(value, bool) or not isinstance(value, int):
        return "" if value is None else str(value)
    return f"{value:,}"


def counted(value: int, noun: str, plural: str | None = None) -> str:
    """ "1 system", "2 systems", "10,015 systems" (the Jinja filter `counted`)."""
    return f"{thousands(value)} {noun if value == 1 else plural or noun + 's'}"


def query_string(args: Mapping[str, str], **changes: Any) -> str:
    """The current parameters with some changed (None drops one): for sort and page links."""
    merged = {k: v for k, v in args.items() if v not in ("", None)}
    for key, value in changes.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = str(value)
    return urlencode(merged)
