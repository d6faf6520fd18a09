"""Exceptions of the transfer service (what a grantee's request can run into).

    TransferError
     ├── ObjectNotFound        no such holding version, manifest or object under this grant: the
     │                         same for an object that exists but the grant does not cover (404)
     ├── StaleGrant            the holding was republished since the grant was issued (409)
     ├── InvalidRange          a malformed ``Range`` header, or several ranges (400)
     └── RangeNotSatisfiable   a range that starts past the end of the body (416); ``size`` is
                               the body size, for ``Content-Range: bytes */size``

The grant itself is checked by :func:`access.grants.verify_grant` (``GrantError`` 401,
``GrantDenied`` 403); blob store failures are ``transfer.blobstore`` errors. Messages are safe to
show to the caller: they name holdings, object ids and sizes, never keys or tokens.
"""

from __future__ import annotations

__all__ = [
    "InvalidRange",
    "ObjectNotFound",
    "RangeNotSatisfiable",
    "StaleGrant",
    "TransferError",
]


class TransferError(Exception):
    """Base of the transfer service's errors; ``code`` is machine-readable."""

    code = "transfer-error"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code


class ObjectNotFound(TransferError):
    code = "not-found"


class StaleGrant(TransferError):
    code = "holding-version-changed"


class InvalidRange(TransferError):
    code = "range-malformed"


class RangeNotSatisfiable(TransferError):
    code = "range-not-satisfiable"

    def __init__(self, message: str, *, size: int) -> None:
        super().__init__(message)
        self.size = size
