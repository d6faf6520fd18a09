"""Domain errors to HTTP responses, in one table.

A 4xx carries the error's own (caller-safe) message and machine-readable code. A 5xx never carries
internal text: the detail goes to the log with an incident id, the caller gets only the id.
"""

from __future__ import annotations

import logging
import secrets

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

import access.errors as access_errors
import catalog.errors as catalog_errors
import transfer.blobstore as blob_errors
import transfer.errors as transfer_errors

__all__ = ["STATUS", "install_error_handlers", "status_of"]

log = logging.getLogger("clearance.errors")

#: Most specific first; the first matching class decides the status.
STATUS: list[tuple[type[Exception], int]] = [
    (access_errors.AuthenticationError, 401),
    (access_errors.PermissionDenied, 403),
    (access_errors.NotFound, 404),
    (access_errors.Conflict, 409),
    (access_errors.InvalidInput, 400),
    (access_errors.BodyTooLarge, 413),
    (access_errors.BodyTimeout, 408),
    (access_errors.TooManyRequests, 429),
    (catalog_errors.NotFound, 404),
    (catalog_errors.InvalidQuery, 400),
    (catalog_errors.PublishError, 422),
    (catalog_errors.Conflict, 409),
    (transfer_errors.ObjectNotFound, 404),
    (transfer_errors.StaleGrant, 409),
    (transfer_errors.InvalidRange, 400),
    (transfer_errors.InvalidObjectList, 400),
    (transfer_errors.RangeNotSatisfiable, 416),
    (transfer_errors.TooManyRequests, 429),
    (transfer_errors.UploadNotFound, 404),
    (transfer_errors.InvalidUpload, 400),
    (transfer_errors.PartDigestMismatch, 400),
    (transfer_errors.UploadTooLarge, 413),
    (transfer_errors.OffsetMismatch, 409),
    (transfer_errors.UploadBusy, 409),
    (transfer_errors.ArchiveDigestMismatch, 422),
    (transfer_errors.ArchiveError, 422),
    # any other UploadError (a stored part is damaged) is a 500 with an incident id only
    (blob_errors.BlobNotFound, 404),
    (blob_errors.BlobRangeError, 416),
    # any other BlobStoreError (the store failed) is a 500 with an incident id only
]


def status_of(exc: BaseException) -> int:
    """The HTTP status of a domain error (500 for anything the table does not name)."""
    for kind, status in STATUS:
        if isinstance(exc, kind):
            return status
    return 500


def _body(code: str, description: str) -> dict[str, str]:
    return {"code": code, "description": description}


async def _domain_error(request: Request, exc: Exception) -> JSONResponse:
    status = status_of(exc)
    if status == 500:
        return await _internal_error(request, exc)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    size = getattr(exc, "size", None)
    if status == 416 and isinstance(size, int):
        headers = {"Content-Range": f"bytes */{size}"}
    if isinstance(exc, transfer_errors.OffsetMismatch):  # where the client must resume
        headers = {"Upload-Offset": str(exc.offset), "Cache-Control": "no-store"}
    if status == 429:  # when the client may try again (login or grant bound)
        headers = {"Retry-After": str(getattr(exc, "retry_after", 1)), "Cache-Control": "no-store"}
    if status in (408, 413):  # the rest of the body is unread: the connection cannot be reused
        headers = {"Connection": "close"}
    code = getattr(exc, "code", "error")
    if isinstance(exc, blob_errors.BlobNotFound):  # KeyError's str() quotes the key: say it plainly
        code, message = "not-found", "object not found in the blob store"
    elif isinstance(exc, blob_errors.BlobRangeError):
        code, message = "range-not-satisfiable", "range not satisfiable"
    else:
        message = str(exc)
    return JSONResponse(_body(code, message), status_code=status, headers=headers)


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
    app.add_exception_handler(access_errors.AccessError, _domain_error)
    app.add_exception_handler(catalog_errors.CatalogError, _domain_error)
    app.add_exception_handler(transfer_errors.TransferError, _domain_error)
    app.add_exception_handler(blob_errors.BlobStoreError, _domain_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _internal_error)
