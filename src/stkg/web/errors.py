"""One error format for the whole app: plain text, `Summary: detail`, one line.

Before, `/sparql` answered its errors in plain text while Flask answered the rest (a 404, a
405 for PUT, a 413) with HTML pages; a client had to sniff which. Every HTTP error now comes
as `text/plain; charset=utf-8` with the headers it needs (`Allow` on every 405, as HTTP
requires; `Retry-After` where the server set one), and an unexpected exception is a plain
500 without a traceback. Pages that show an error inside their own layout (a named query
with a bad parameter) still render it themselves.
"""

from __future__ import annotations

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException, InternalServerError, MethodNotAllowed


def plain(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    """An error answer in the app's one format."""
    return Response(
        message.rstrip() + "\n", status, headers=headers, content_type="text/plain; charset=utf-8"
    )


def register(app: Flask) -> None:
    """Answer every HTTP error of `app` in plain text, and give every 405 an `Allow`."""

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> Response:
        headers = {k: v for k, v in exc.get_headers() if k.lower() != "content-type"}
        if isinstance(exc, InternalServerError):  # never the exception's text
            return plain(500, "Internal Server Error: the server could not answer this request")
        return plain(exc.code or 500, f"{exc.name}: {exc.description}", headers)

    @app.after_request
    def _allow(response: Response) -> Response:
        if response.status_code == 405 and "Allow" not in response.headers:
            adapter = app.url_map.bind_to_environ(request.environ)
            try:
                adapter.match(method="--")  # no rule takes this method: lists those that do
            except MethodNotAllowed as refused:
                response.headers["Allow"] = ", ".join(sorted(refused.valid_methods or []))
            except HTTPException:
                pass
        return response
