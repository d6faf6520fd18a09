"""The shared strict encodings: JSON, base64url, times."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta, timezone

import pytest

from access.encoding import (
    StrictJsonError,
    b64url,
    b64url_decode,
    exact_members,
    is_b64url,
    json_object,
    strict_json,
    utc_text,
)


def test_strict_json_accepts_plain_json() -> None:
    assert strict_json(b'{"a": [1, 2.5, "x", null, true]}') == {"a": [1, 2.5, "x", None, True]}
    assert strict_json("[]") == []


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"a": 1, "a": 2}', "key 'a' appears twice in one object"),
        ('{"a": {"b": 1, "b": 1}}', "key 'b' appears twice in one object"),
        ('{"a": NaN}', "NaN is not a JSON number"),
        ("[Infinity]", "Infinity is not a JSON number"),
        ("-Infinity", "-Infinity is not a JSON number"),
    ],
)
def test_strict_json_refuses_what_is_not_json(text: str, message: str) -> None:
    with pytest.raises(StrictJsonError, match=message):
        strict_json(text)


def test_strict_json_size_bound() -> None:
    assert strict_json(b"[1]", max_bytes=3) == [1]
    with pytest.raises(StrictJsonError, match="larger than 3 bytes"):
        strict_json(b"[10]", max_bytes=3)
    with pytest.raises(StrictJsonError):  # counted in UTF-8 bytes, not characters
        strict_json('"é"', max_bytes=3)


def test_syntax_and_encoding_errors_are_value_errors() -> None:
    with pytest.raises(json.JSONDecodeError):
        strict_json(b"{")
    with pytest.raises(UnicodeDecodeError):
        strict_json(b"\xff")


def test_json_object() -> None:
    assert json_object(b'{"a": 1}') == {"a": 1}
    with pytest.raises(StrictJsonError, match="not a JSON object"):
        json_object(b"[1]")


def test_exact_members() -> None:
    names = frozenset({"a", "b"})
    exact_members({"a": 1, "b": 2}, names, "claim")
    with pytest.raises(ValueError, match="unknown claim 'c'"):
        exact_members({"a": 1, "b": 2, "c": 3}, names, "claim")
    with pytest.raises(ValueError, match="missing claim 'b'"):
        exact_members({"a": 1}, names, "claim")


@pytest.mark.parametrize("data", [b"", b"\x00", b"\xff\xfe", b"abc", bytes(range(256))])
def test_b64url_round_trip(data: bytes) -> None:
    text = b64url(data)
    assert "=" not in text and is_b64url(text)
    assert text == base64.urlsafe_b64encode(data).decode().rstrip("=")
    assert b64url_decode(text) == data


@pytest.mark.parametrize("text", ["QQ==", "Q", "QR", "a+b/", "a b", "QQ=", "YWJj\n"])
def test_b64url_decode_refuses_padding_other_alphabets_and_non_canonical(text: str) -> None:
    with pytest.raises(ValueError):
        b64url_decode(text)


def test_utc_text() -> None:
    at = datetime(2024, 3, 1, 10, 20, 30, tzinfo=UTC)
    assert utc_text(at) == "2024-03-01T10:20:30Z"
    assert utc_text(at.replace(microsecond=5)) == "2024-03-01T10:20:30.000005Z"
    assert utc_text(at, timespec="microseconds") == "2024-03-01T10:20:30.000000Z"
    other = at.astimezone(timezone(timedelta(hours=1)))
    assert utc_text(other) == "2024-03-01T11:20:30+01:00"
