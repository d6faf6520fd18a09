"""Exceptions of the access package, and the coded base of every package's exceptions.

    ClearanceError                the one base: ``code`` is machine-readable; each package roots
     │                            its errors in its own ``errors.py`` under it
     └── AccessError
          ├── AuthenticationError    the caller could not be identified (bad/expired token, login)
          │    └── GrantError        a token that is not a valid grant now (``access.grants``)
          ├── PermissionDenied       identified, but ``decide()`` said no (carries the Reason)
          │    └── GrantDenied       a genuine grant, revoked or not covering the request
          ├── NotFound               no such record (or one the caller may not discover)
          ├── Conflict               the record exists already / state does not allow the change
          ├── InvalidInput           a value the caller sent is malformed
          ├── BodyTooLarge           a request body over the route's cap (``access.guard``)
          ├── BodyTimeout            a request body that did not arrive in time
          ├── TooManyRequests        over a rate bound; ``retry_after`` seconds
          ├── AuditError             the audit log cannot be written or read (``access.audit_log``)
          ├── JwsError               a JWS envelope that does not verify (``access.jws``); ``kind``
          └── StrictJsonError        JSON that Python reads but we refuse (``access.encoding``;
                                     also a ``ValueError``)

The other roots: ``catalog.errors.CatalogError``, ``transfer.errors.TransferError``,
``clearance.errors.ClientSideError``. How each error answers over HTTP is one row of the table in
``clearance/http/errors.py``. Messages are safe to show to the caller: they never hold secrets or
key material.
"""

from __future__ import annotations

__all__ = [
    "AccessError",
    "AuthenticationError",
    "BodyTimeout",
    "BodyTooLarge",
    "ClearanceError",
    "Conflict",
    "InvalidInput",
    "NotFound",
    "PermissionDenied",
    "TooManyRequests",
]


class ClearanceError(Exception):
    """Base of every package's errors; ``code`` is machine-readable (a class default, or the
    instance's own when given). ``str()`` is the message, safe to show to the caller."""

    code = "error"

    def __init__(self, message: str = "", *, code: str | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code


class AccessError(ClearanceError):
    """Root of the access package's errors."""

    code = "access-error"


class AuthenticationError(AccessError):
    code = "unauthenticated"


class PermissionDenied(AccessError):
    code = "forbidden"


class NotFound(AccessError):
    code = "not-found"


class Conflict(AccessError):
    code = "conflict"


class InvalidInput(AccessError):
    code = "invalid-input"


class BodyTooLarge(AccessError):
    code = "body-too-large"


class BodyTimeout(AccessError):
    code = "body-timeout"


class TooManyRequests(AccessError):
    code = "rate-limited"

    def __init__(self, message: str, *, retry_after: int, code: str | None = None) -> None:
        super().__init__(message, code=code)
        self.retry_after = retry_after
