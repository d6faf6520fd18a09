"""The HTTP headers of the resumable upload protocol, parsed and written in one place.

``Upload-Offset`` (as in the IETF resumable-upload draft and tus): a non-negative decimal byte
offset. ``Content-Digest`` (RFC 9530): a structured-field dictionary of ``algorithm=:base64:``
members; a part must carry ``sha-256``, other algorithms are ignored, as the RFC allows.
"""

from __future__ import annotations

import base64
import binascii
import re

from transfer.errors import InvalidUpload

__all__ = [
    "DIGEST_HEADER",
    "OFFSET_HEADER",
    "content_digest",
    "parse_content_digest",
    "parse_offset",
]

OFFSET_HEADER = "Upload-Offset"
DIGEST_HEADER = "Content-Digest"

_OFFSET = re.compile(r"^[0-9]{1,19}$")
_MEMBER = re.compile(r"^([a-z*][a-z0-9_.*-]*)=(.*)$")
_BINARY = re.compile(r"^:([A-Za-z0-9+/]*={0,2}):(;.*)?$")


def parse_offset(value: str | None) -> int:
    """The byte offset an ``Upload-Offset`` header names."""
    if value is None:
        raise InvalidUpload(f"{OFFSET_HEADER} header is required (the part's byte offset)")
    if not _OFFSET.fullmatch(value.strip()):
        raise InvalidUpload(f"{OFFSET_HEADER} must be a non-negative integer, got {value[:40]!r}")
    return int(value.strip())


def parse_content_digest(value: str | None) -> str:
    """The SHA-256 (hex) a ``Content-Digest`` header gives for the body."""
    if value is None:
        raise InvalidUpload(f"{DIGEST_HEADER} header with sha-256 is required (RFC 9530)")
    found: str | None = None
    for raw in value.split(","):
        member = _MEMBER.fullmatch(raw.strip())
        if member is None:
            raise InvalidUpload(f"{DIGEST_HEADER} is malformed: expected sha-256=:<base64>:")
        if member.group(1) != "sha-256":
            continue  # another algorithm: ignored, as RFC 9530 allows
        binary = _BINARY.fullmatch(member.group(2).strip())
        digest = _decode(binary.group(1)) if binary else b""
        if len(digest) != 32:
            raise InvalidUpload(f"{DIGEST_HEADER} sha-256 must be :<base64 of 32 bytes>:")
        found = digest.hex()
    if found is None:
        raise InvalidUpload(f"{DIGEST_HEADER} must include sha-256")
    return found


def _decode(text: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return b""


def content_digest(sha256_hex: str) -> str:
    """The ``Content-Digest`` value for a body with this SHA-256 (hex)."""
    return f"sha-256=:{base64.b64encode(bytes.fromhex(sha256_hex)).decode()}:"
