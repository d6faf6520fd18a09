"""HTTP ``Range`` for object bodies (RFC 9110 §14): one byte range, or none. Pure.

Accepted: ``bytes=first-last``, ``bytes=first-`` and ``bytes=-suffix``, one range only.
``last`` past the end is clipped to the last byte (RFC 9110 §14.1.2). Refused:

* malformed (another unit, not digits, ``last < first``, empty, overlong numbers), or several
  ranges (no ``multipart/byteranges`` here) → :class:`~transfer.errors.InvalidRange` (400);
* a range that starts at or past the end, a zero-length suffix, any range of an empty body
  → :class:`~transfer.errors.RangeNotSatisfiable` (416, ``Content-Range: bytes */size``).
"""

from __future__ import annotations

import re

from transfer.errors import InvalidRange, RangeNotSatisfiable

__all__ = ["content_range", "parse_range"]

_SPEC = re.compile(r"^(\d{1,19})?-(\d{1,19})?$")
_MAX_HEADER = 200


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """The inclusive ``(first, last)`` byte range ``header`` asks of a ``size``-byte body.

    None when there is no ``Range`` header (the whole body, 200).
    """
    if header is None:
        return None
    if len(header) > _MAX_HEADER:
        raise InvalidRange("Range header too long")
    unit, sep, specs = header.strip().partition("=")
    if not sep or unit.strip().lower() != "bytes":
        raise InvalidRange("Range must be 'bytes=first-last', 'bytes=first-' or 'bytes=-suffix'")
    parts = specs.split(",")
    if len(parts) != 1:
        raise InvalidRange("only one byte range per request is supported", code="range-multiple")
    match = _SPEC.fullmatch(parts[0].strip())
    if match is None or (match[1] is None and match[2] is None):
        raise InvalidRange("Range must be 'bytes=first-last', 'bytes=first-' or 'bytes=-suffix'")
    if match[1] is None:  # suffix: the last N bytes
        suffix = int(match[2])
        if suffix == 0 or size == 0:
            raise RangeNotSatisfiable(f"range is empty for a body of {size} bytes", size=size)
        return max(size - suffix, 0), size - 1
    first = int(match[1])
    last = int(match[2]) if match[2] is not None else None
    if last is not None and last < first:
        raise InvalidRange("Range last byte comes before its first byte")
    if first >= size:
        raise RangeNotSatisfiable(
            f"range starts at byte {first}, past the end of a body of {size} bytes", size=size
        )
    return first, size - 1 if last is None else min(last, size - 1)


def content_range(first: int, last: int, size: int) -> str:
    return f"bytes {first}-{last}/{size}"
