"""Upload-Offset and Content-Digest (RFC 9530) parsing."""

from __future__ import annotations

import hashlib

import pytest

from transfer.errors import InvalidUpload
from transfer.uploads.headers import content_digest, parse_content_digest, parse_offset

SHA = hashlib.sha256(b"part").hexdigest()


def test_offset() -> None:
    assert parse_offset("0") == 0
    assert parse_offset(" 8388608 ") == 8388608
    for bad in (None, "", "-1", "1.5", "0x10", "1" * 20):
        with pytest.raises(InvalidUpload, match="Upload-Offset"):
            parse_offset(bad)


def test_content_digest_round_trip_and_other_algorithms() -> None:
    header = content_digest(SHA)
    assert header.startswith("sha-256=:") and header.endswith(":")
    assert parse_content_digest(header) == SHA
    assert parse_content_digest(f"sha-512=:AAAA:, {header}") == SHA  # unknown ones are ignored


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (None, "is required"),
        ("sha-512=:AAAA:", "must include sha-256"),
        ("sha-256=:AAAA:", "32 bytes"),
        ("sha-256=" + SHA, "32 bytes"),  # hex, not the RFC's base64 byte sequence
        ("garbage", "malformed"),
    ],
)
def test_bad_content_digest(value: str | None, message: str) -> None:
    with pytest.raises(InvalidUpload, match=message):
        parse_content_digest(value)
