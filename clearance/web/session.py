"""Cookie sessions and CSRF tokens for the web pages.

A session is the node's own bearer token (issued by the ordinary password check,
``Directory.login``) and a random CSRF token, signed with ``itsdangerous`` under a node secret
(``keys/web-session.key``, 32 bytes, 0600) and kept in an HttpOnly, SameSite=Strict cookie
(Secure when the page was served over TLS) that only ``/ui`` receives. Every request verifies the
signature and then the token itself (``Directory.authenticate``: expiry, issuer, the user still
existing, not signed out), so a page sees exactly the principal the API would. Signing out
ends the token on the node (``Directory.revoke_token``), not only the cookie.

Before sign-in, the sign-in form is protected by a signed pre-session CSRF cookie instead.
"""

from __future__ import annotations

import contextlib
import hmac
import os
import secrets
import tempfile
from dataclasses import dataclass
from pathlib import Path

from fastapi import Request, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer

__all__ = [
    "COOKIE",
    "PRE_COOKIE",
    "SessionCodec",
    "WebSession",
    "csrf_matches",
    "load_session_key",
]

COOKIE = "clearance_session"
PRE_COOKIE = "clearance_presession"
MAX_AGE_S = 8 * 3600  # the node's token lifetime: the session never outlives its token
_KEY_NAME = "web-session.key"
_KEY_SIZE = 32


@dataclass(frozen=True)
class WebSession:
    token: str  # the node's bearer token for this user
    csrf: str


def load_session_key(keys_dir: Path) -> bytes:
    """The node's session secret, made once (race-free: the first ``link`` wins)."""
    path = keys_dir / _KEY_NAME
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".web-session-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(secrets.token_bytes(_KEY_SIZE))
                handle.flush()
                os.fsync(handle.fileno())
            with contextlib.suppress(FileExistsError):
                os.link(temporary, path)
        finally:
            os.unlink(temporary)
    secret = path.read_bytes()
    if len(secret) != _KEY_SIZE:
        raise ValueError(f"{path} is not a session key: remove it to make a new one")
    return secret


def csrf_matches(expected: str, given: str | None) -> bool:
    return bool(given) and hmac.compare_digest(expected.encode(), (given or "").encode())


class SessionCodec:
    """Signs, reads and clears the session and pre-session cookies."""

    def __init__(self, secret: bytes) -> None:
        self._session = URLSafeTimedSerializer(secret, salt="clearance.web.session")
        self._pre = URLSafeTimedSerializer(secret, salt="clearance.web.presession")

    # the signed-in session -------------------------------------------------------------------
    def read(self, request: Request) -> WebSession | None:
        raw = request.cookies.get(COOKIE)
        if not raw:
            return None
        try:
            data = self._session.loads(raw, max_age=MAX_AGE_S)
        except BadSignature:  # also SignatureExpired
            return None
        if not (isinstance(data, dict) and isinstance(data.get("t"), str)
                and isinstance(data.get("c"), str)):  # fmt: skip
            return None
        return WebSession(data["t"], data["c"])

    def start(self, request: Request, response: Response, token: str) -> None:
        value = self._session.dumps({"t": token, "c": secrets.token_urlsafe(32)})
        _set(request, response, COOKIE, value, MAX_AGE_S)
        response.delete_cookie(PRE_COOKIE, path="/ui")

    def end(self, response: Response) -> None:
        response.delete_cookie(COOKIE, path="/ui", httponly=True, samesite="strict")

    # before sign-in --------------------------------------------------------------------------
    def pre_token(self, request: Request, response: Response) -> str:
        """The sign-in form's CSRF token (reusing the cookie's while it is valid)."""
        current = self.pre_read(request)
        if current is not None:
            return current
        token = secrets.token_urlsafe(32)
        _set(request, response, PRE_COOKIE, self._pre.dumps(token), 3600)
        return token

    def pre_read(self, request: Request) -> str | None:
        raw = request.cookies.get(PRE_COOKIE)
        if not raw:
            return None
        try:
            token = self._pre.loads(raw, max_age=3600)
        except BadSignature:
            return None
        return token if isinstance(token, str) else None


def _set(request: Request, response: Response, name: str, value: str, max_age: int) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path="/ui",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
