"""Exceptions of the access package.

    AccessError
     ├── AuthenticationError   the caller could not be identified (bad/expired token, bad login)
     ├── PermissionDenied      identified, but ``decide()`` said no (carries the Reason)
     ├── NotFound              no such record (or one the caller may not discover)
     ├── Conflict              the record exists already / state does not allow the change
     └── InvalidInput          a value the caller sent is malformed

Messages are safe to show to the caller: they never hold secrets or key material.
"""

from __future__ import annotations

__all__ = [
    "AccessError",
    "AuthenticationError",
    "BodyTimeout",
    "BodyTooLarge",
    "Conflict",
    "InvalidInput",
    "NotFound",
    "PermissionDenied",
    "TooManyRequests",
]


class AccessError(Exception):
    """Base of the access package's errors; ``code`` is machine-readable."""

    code = "access-error"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code


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
