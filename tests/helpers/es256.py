"""Test helpers for the low-``s`` rule of ES256 (``access.es256``): flip a compact JWS's
signature between its two spellings (r, s) and (r, n − s)."""

from __future__ import annotations

import base64

from access import P256_ORDER


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _split(token: str) -> tuple[str, int, int]:
    head, payload, signature = token.split(".")
    raw = base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4))
    assert len(raw) == 64, "not a raw ES256 signature"
    return f"{head}.{payload}", int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big")


def _join(signing_input: str, r: int, s: int) -> str:
    return f"{signing_input}.{_b64url(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"


def s_of(token: str) -> int:
    return _split(token)[2]


def mirrored(token: str) -> str:
    """The same signature with ``s`` replaced by ``n − s``: it still verifies as plain ECDSA."""
    signing_input, r, s = _split(token)
    return _join(signing_input, r, P256_ORDER - s)


def low_s(token: str) -> str:
    """``token`` with its signature in the low-``s`` spelling (for independent signers)."""
    return mirrored(token) if s_of(token) > P256_ORDER // 2 else token
