"""Keyset paging tokens: opaque, tamper-evident, bound to one search and one caller.

A next link carries the sort-key values of the last item of the page (the whole total order:
the ``sortby`` keys, then collection and id), so the next page starts right after it with an
index range instead of an OFFSET: every page of a walk over a million items costs what the first
does. The token is ``base64url(payload) "." base64url(HMAC-SHA256)``, keyed by a secret of the
node, over the payload and the caller's identity; the payload names a digest of the search
(everything but the token and the page size). A token that was altered, belongs to another
search, another caller or another node is refused with one message that says only that.

Values are typed in the payload (``["t", iso]`` for a date-time, plain JSON otherwise), so a
decoded token compares exactly as the row it came from.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from catalog.errors import InvalidQuery

__all__ = ["MAX_TOKEN_LENGTH", "PagingKey", "search_digest"]

MAX_TOKEN_LENGTH = 2048
_REFUSED = "token: this paging token does not belong to this search"
_VERSION = 1


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _typed(value: Any) -> Any:
    if isinstance(value, datetime):
        return ["t", value.isoformat()]
    if isinstance(value, bool | int | str) or value is None:
        return value
    raise TypeError(f"cannot page on a {type(value).__name__}")


def _untyped(value: Any) -> Any:
    if isinstance(value, list) and len(value) == 2 and value[0] == "t":
        return datetime.fromisoformat(str(value[1]))
    if isinstance(value, bool | int | str) or value is None:
        return value
    raise ValueError("not a paging value")


def search_digest(parts: dict[str, Any]) -> str:
    """A short digest of a search's canonical description (the caller builds ``parts``)."""
    canonical = json.dumps(parts, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:32]


class PagingKey:
    """The node's paging secret (32 bytes): makes and checks tokens."""

    def __init__(self, secret: bytes) -> None:
        if len(secret) < 32:
            raise ValueError("a paging key needs at least 32 bytes")
        self._secret = secret

    def _mac(self, payload: bytes, caller: str) -> bytes:
        message = payload + b"\x00" + caller.encode("utf-8")
        return hmac.new(self._secret, message, hashlib.sha256).digest()

    def issue(self, digest: str, caller: str, values: Sequence[Any]) -> str:
        payload = json.dumps(
            {"v": _VERSION, "q": digest, "after": [_typed(v) for v in values]},
            separators=(",", ":"),
        ).encode()
        return f"{_b64(payload)}.{_b64(self._mac(payload, caller))}"

    def check(self, token: str, digest: str, caller: str, width: int) -> tuple[Any, ...]:
        """The sort-key values ``token`` carries; ``InvalidQuery`` if it is not this search's."""
        if not isinstance(token, str) or len(token) > MAX_TOKEN_LENGTH or token.count(".") != 1:
            raise InvalidQuery(_REFUSED)
        body, mac = token.split(".")
        try:
            payload, tag = _unb64(body), _unb64(mac)
        except ValueError:
            raise InvalidQuery(_REFUSED) from None
        if not hmac.compare_digest(tag, self._mac(payload, caller)):
            raise InvalidQuery(_REFUSED)
        try:
            data = json.loads(payload)
            values = tuple(_untyped(v) for v in data["after"])
            matches = data["v"] == _VERSION and data["q"] == digest and len(values) == width
        except (ValueError, KeyError, TypeError):
            matches = False
        if not matches:
            raise InvalidQuery(_REFUSED)
        return values
