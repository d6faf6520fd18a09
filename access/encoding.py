"""The strict encodings every package shares: JSON text, base64url, times. Pure, no I/O.

- :func:`strict_json` / :func:`json_object`: RFC 8259 strictly. Refused with
  :class:`StrictJsonError` (a ``ValueError``): an object with the same member twice (readers
  disagree on which one wins), ``NaN`` and ``Infinity`` (not JSON), and a text over
  ``max_bytes``. Syntax errors stay :class:`json.JSONDecodeError` (also a ``ValueError``),
  with their line and column.
- :func:`exact_members`: an object has exactly the members a format names.
- :func:`b64url` / :func:`b64url_decode`: base64url without padding (RFC 7515 §2); decoding
  accepts the one canonical spelling only.
- :func:`utc_text`: a time as ISO 8601 with ``Z`` for UTC (``2024-03-01T10:20:30Z``).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from access.errors import AccessError

__all__ = [
    "StrictJsonError",
    "b64url",
    "b64url_decode",
    "exact_members",
    "is_b64url",
    "json_object",
    "strict_json",
    "utc_text",
]


# --- JSON -----------------------------------------------------------------------------------------


class StrictJsonError(AccessError, ValueError):
    """Valid for Python's json module, but not JSON we accept."""


def _unique_members(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise StrictJsonError(f"key {key!r} appears twice in one object")
        result[key] = value
    return result


def _no_constant(name: str) -> Any:
    raise StrictJsonError(f"{name} is not a JSON number")


_DECODER = json.JSONDecoder(object_pairs_hook=_unique_members, parse_constant=_no_constant)


def strict_json(raw: bytes | str, *, max_bytes: int | None = None) -> Any:
    """``raw`` (UTF-8 bytes, or text) decoded strictly; ``ValueError`` otherwise (a
    ``UnicodeDecodeError`` for bytes that are not UTF-8, ``RecursionError`` when nested too deep).
    """
    if max_bytes is not None:
        size = len(raw) if isinstance(raw, bytes) else len(raw.encode("utf-8"))
        if size > max_bytes:
            raise StrictJsonError(f"JSON text is larger than {max_bytes} bytes")
    text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    return _DECODER.decode(text)


def json_object(raw: bytes | str, *, max_bytes: int | None = None) -> dict[str, Any]:
    """``raw`` as a strict JSON object; ``ValueError`` (or ``UnicodeDecodeError``) otherwise."""
    value = strict_json(raw, max_bytes=max_bytes)
    if not isinstance(value, dict):
        raise StrictJsonError("not a JSON object")
    return value


def exact_members(obj: Mapping[str, Any], names: frozenset[str], what: str) -> None:
    """``ValueError`` naming the first unknown (else missing) member when ``obj``'s are not
    exactly ``names``; ``what`` names a member in the message (``claim``, ``object member``)."""
    if obj.keys() == names:
        return
    unknown = sorted(str(name)[:40] for name in obj.keys() - names)
    if unknown:
        raise ValueError(f"unknown {what} {unknown[0]!r}")
    raise ValueError(f"missing {what} {sorted(names - obj.keys())[0]!r}")


# --- base64url ------------------------------------------------------------------------------------

_B64URL = re.compile(r"^[A-Za-z0-9_-]*$")
_B64URL_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
_URLSAFE_TO_STANDARD = bytes.maketrans(b"-_", b"+/")
_UNUSED_BITS = {2: 0b1111, 3: 0b11}  # segment length mod 4 -> bits the last character leaves over


def is_b64url(text: str) -> bool:
    """Only base64url characters (no padding); says nothing about the length."""
    return _B64URL.fullmatch(text) is not None


def b64url(data: bytes) -> str:
    """base64url without padding."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(segment: str) -> bytes:
    """Strict, canonical base64url without padding (RFC 7515 §2); ``ValueError`` otherwise."""
    rest = len(segment) % 4
    if rest == 1 or not _B64URL.fullmatch(segment):
        raise ValueError("not base64url")
    if rest and _B64URL_ALPHABET.index(segment[-1]) & _UNUSED_BITS[rest]:
        raise ValueError("not canonical base64url")
    padded = (segment + "==="[: 4 - rest] if rest else segment).encode("ascii")
    return binascii.a2b_base64(padded.translate(_URLSAFE_TO_STANDARD), strict_mode=True)


# --- times ----------------------------------------------------------------------------------------


def utc_text(at: datetime, timespec: str = "auto") -> str:
    """``at`` in ISO 8601, ``+00:00`` written ``Z`` (other offsets stay as they are)."""
    return at.isoformat(timespec=timespec).replace("+00:00", "Z")
