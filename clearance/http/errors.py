"""Domain errors to HTTP responses, in one table.

Every package's errors derive from ``access.errors.ClearanceError``; one handler takes them all,
finds the first row of :data:`TABLE` whose class the error is, and answers with the row's status,
the row's headers and the row's public message (the error's own message unless the row says
otherwise), with the error's ``code``. A 4xx carries only caller-safe text. An error no row names
is a 500, which never carries internal text: the detail goes to the log with an incident id, the
caller gets only the id.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

import access as access_errors
import catalog as catalog_errors
import models as models_errors
import transfer as blob_errors
import transfer as transfer_errors
from access import ClearanceError

__all__ = ["TABLE", "Row", "install_error_handlers", "row_of", "status_of"]

log = logging.getLogger("clearance.errors")

Headers = Callable[[Any], Mapping[str, str]]


@dataclass(frozen=True, slots=True)
class Row:
    """How one kind of error answers: ``status``; ``headers(exc)`` when it adds any;
    ``message(exc)`` when the error's own ``str()`` is not what the caller should read."""

    kind: type[ClearanceError]
    status: int
    headers: Headers | None = None
    message: Callable[[Any], str] | None = None

    def __post_init__(self) -> None:
        if not 400 <= self.status < 500:
            raise ValueError("a row answers a 4xx: anything else is a 500 with an incident id")


def _bearer(exc: Any) -> Mapping[str, str]:  # who may ask again, and how
    return {"WWW-Authenticate": "Bearer"}


def _retry_after(exc: Any) -> Mapping[str, str]:  # when the client may try again
    return {"Retry-After": str(getattr(exc, "retry_after", 1)), "Cache-Control": "no-store"}


def _close(exc: Any) -> Mapping[str, str]:  # the rest of the body is unread: no reuse
    return {"Connection": "close"}


def _content_range(exc: Any) -> Mapping[str, str]:  # the body size, where the error knows it
    size = getattr(exc, "size", None)
    return {"Content-Range": f"bytes */{size}"} if isinstance(size, int) else {}


def _upload_offset(exc: transfer_errors.OffsetMismatch) -> Mapping[str, str]:  # where to resume
    return {"Upload-Offset": str(exc.offset), "Cache-Control": "no-store"}


#: Most specific first; the first row whose class the error is decides.
TABLE: tuple[Row, ...] = (
    Row(access_errors.AuthenticationError, 401, _bearer),
    Row(access_errors.PermissionDenied, 403),
    Row(access_errors.NotFound, 404),
    Row(access_errors.Conflict, 409),
    Row(access_errors.InvalidInput, 400),
    Row(access_errors.BodyTooLarge, 413, _close),
    Row(access_errors.BodyTimeout, 408, _close),
    Row(access_errors.TooManyRequests, 429, _retry_after),
    Row(catalog_errors.NotFound, 404),
    Row(catalog_errors.InvalidQuery, 400),
    Row(catalog_errors.PublishError, 422),
    Row(catalog_errors.Conflict, 409),
    Row(transfer_errors.GrantRequired, 403),
    Row(transfer_errors.ObjectNotFound, 404),
    Row(transfer_errors.StaleGrant, 409),
    Row(transfer_errors.InvalidRange, 400),
    Row(transfer_errors.InvalidObjectList, 400),
    Row(transfer_errors.RangeNotSatisfiable, 416, _content_range),
    Row(transfer_errors.TooManyRequests, 429, _retry_after),
    Row(transfer_errors.UploadNotFound, 404),
    Row(transfer_errors.InvalidUpload, 400),
    Row(transfer_errors.PartDigestMismatch, 400),
    Row(transfer_errors.UploadTooLarge, 413, _close),
    Row(transfer_errors.OffsetMismatch, 409, _upload_offset),
    Row(transfer_errors.UploadBusy, 409),
    Row(transfer_errors.ArchiveDigestMismatch, 422),
    Row(transfer_errors.ArchiveError, 422),
    # any other UploadError (a stored part is damaged) is a 500 with an incident id only
    # KeyError's str() quotes the key: say it plainly
    Row(blob_errors.BlobNotFound, 404, message=lambda exc: "object not found in the blob store"),
    Row(blob_errors.BlobRangeError, 416, _content_range, lambda exc: "range not satisfiable"),
    # any other BlobStoreError (the store failed) is a 500 with an incident id only
    Row(models_errors.InvalidEvaluation, 400),
    Row(models_errors.EvaluationNotFound, 404),
    Row(models_errors.EvaluationConflict, 409),
    Row(models_errors.BudgetExhausted, 409),
    # LeaseLost is a worker's own: it never reaches a route (a 500 if it ever did)
    Row(models_errors.ModelNotFound, 404),
    Row(models_errors.CardInvalid, 422),
    Row(models_errors.AdmissionRefused, 422),
    Row(models_errors.RecipeError, 422),
)


def row_of(exc: BaseException) -> Row | None:
    """The table's row for ``exc``; None for anything it does not name (a 500)."""
    for row in TABLE:
        if isinstance(exc, row.kind):
            return row
    return None


def status_of(exc: BaseException) -> int:
    """The HTTP status of a domain error (500 for anything the table does not name)."""
    row = row_of(exc)
    return 500 if row is None else row.status


def _body(code: str, description: str) -> dict[str, str]:
    return {"code": code, "description": description}


async def _domain_error(request: Request, exc: Exception) -> JSONResponse:
    row = row_of(exc)
    if row is None:
        return await _internal_error(request, exc)
    headers = None if row.headers is None else dict(row.headers(exc)) or None
    message = str(exc) if row.message is None else row.message(exc)
    code = getattr(exc, "code", "error")
    return JSONResponse(_body(code, message), status_code=row.status, headers=headers)


async def _internal_error(request: Request, exc: Exception) -> JSONResponse:
    incident = secrets.token_hex(8)
    log.error("incident %s on %s %s", incident, request.method, request.url.path, exc_info=exc)
    return JSONResponse(_body("internal-error", f"internal error (incident {incident})"), 500)


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    first = exc.errors()[0] if exc.errors() else {}
    where = ".".join(str(p) for p in first.get("loc", ()))
    return JSONResponse(_body("invalid-input", f"{where}: {first.get('msg', 'invalid')}"), 400)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = "not-found" if exc.status_code == 404 else "http-error"
    detail = "not found" if exc.status_code == 404 else str(exc.detail)
    return JSONResponse(_body(code, detail), exc.status_code)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ClearanceError, _domain_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _internal_error)
