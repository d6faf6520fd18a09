"""Errors as HTML pages, with the statuses of the API's one error table
(``clearance.http.errors``). A 404 has one fixed text, whatever was asked for: a holding the
viewer may not discover and one that does not exist answer with the same page, byte for byte.
A 5xx carries only an incident id."""

from __future__ import annotations

import logging
import secrets
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from access import AuthenticationError, ClearanceError
from clearance.http.errors import row_of
from clearance.web.pages import render

__all__ = ["NOT_FOUND_TEXT", "install_page_errors"]

log = logging.getLogger("clearance.web")
NOT_FOUND_TEXT = "There is nothing here, or nothing you may see."


def _page(request: Request, status: int, message: str) -> Response:
    title = "Not found" if status == 404 else "Refused" if status < 500 else "Error"
    return render(request, "error.html", status=status, title=title, message=message)


async def _domain(request: Request, exc: Exception) -> Response:
    if isinstance(exc, AuthenticationError):  # no session, or it ended: sign in (again)
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/ui/sign-in?next={quote(target, safe='')}", status_code=303)
    row = row_of(exc)
    if row is None:
        return await _internal(request, exc)
    if row.status == 404:
        return _page(request, 404, NOT_FOUND_TEXT)
    message = str(exc) if row.message is None else row.message(exc)
    return _page(request, row.status, message)


async def _internal(request: Request, exc: Exception) -> Response:
    incident = secrets.token_hex(8)
    log.error("incident %s on %s %s", incident, request.method, request.url.path, exc_info=exc)
    return _page(request, 500, f"Something went wrong on the node (incident {incident}).")


async def _http(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 404:
        return _page(request, 404, NOT_FOUND_TEXT)
    return _page(request, exc.status_code, "The request could not be answered.")


def install_page_errors(app: FastAPI) -> None:
    app.add_exception_handler(ClearanceError, _domain)
    app.add_exception_handler(StarletteHTTPException, _http)
    app.add_exception_handler(Exception, _internal)
