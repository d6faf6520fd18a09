"""Strict JSON decoding with positioned messages, and the JSON type checks shared by the parsers.

Refused, with the file's name: text that is not UTF-8, syntax errors (line and column), NaN and
Infinity (not JSON), and objects with the same key twice (readers disagree on which one wins).
"""

from __future__ import annotations

import json
import math
from typing import Any

from access import StrictJsonError, strict_json
from catalog.ingest.errors import IngestError

__all__ = ["is_int", "is_number", "json_type", "load_json", "show"]


def load_json(data: bytes, rel: str) -> Any:
    """Decode a JSON document, or raise IngestError naming ``rel`` and where it went wrong."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise IngestError(
            rel, None, f"is not UTF-8 text (bad byte at offset {exc.start:,})"
        ) from None
    try:
        return strict_json(text)
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno}, column {exc.colno}"
        raise IngestError(rel, None, f"invalid JSON at {where}: {exc.msg}") from None
    except StrictJsonError as exc:
        raise IngestError(rel, None, f"invalid JSON: {exc}") from None
    except RecursionError:
        raise IngestError(rel, None, "invalid JSON: nested too deeply") from None


def json_type(value: object) -> str:
    """The JSON name of a decoded value's type, for messages (``string``, ``array``, ...)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object" if isinstance(value, dict) else type(value).__name__


def is_number(value: object) -> bool:
    """True for a finite JSON number (int or float, not a boolean)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return math.isfinite(value)


def is_int(value: object) -> bool:
    """True for a JSON integer (a float with a fraction or a boolean is not one)."""
    return isinstance(value, int) and not isinstance(value, bool)


def show(value: object, limit: int = 80) -> str:
    """A decoded value as compact JSON for a message (``[900, 10, 200, 50]``), cut at ``limit``."""
    text = json.dumps(value, ensure_ascii=False, separators=(", ", ": "), default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"
