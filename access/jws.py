"""The signed envelope of grants and manifests: compact JWS (RFC 7515), ES256 only. Pure.

A generic envelope around typed payloads, in the style of python-tuf's Metadata API: this module
knows nothing of grants or manifests. It signs canonical payload bytes under a header
``{"alg": "ES256", "kid": <key id>, "typ": <media type>}`` and verifies in a fixed order:

1. the token: a string of at most ``max_chars`` ASCII characters, three unpadded base64url
   segments (``malformed``);
2. the header: strict JSON (no duplicate members, no NaN), ``alg`` on the allow-list — checked
   before any key is chosen, so ``none`` and HS256 keyed with a public key never get near one
   (``algorithm-not-allowed``) — the expected ``typ``, no member besides ``alg``/``kid``/``typ``
   (``crit``, ``jku``, ``jwk``, ``x5u`` … are never honoured) (``malformed``);
3. ``kid`` names a trusted key (``unknown-key``) of that algorithm on P-256
   (``algorithm-not-allowed``);
4. the signature: 64 bytes r ‖ s with ``s ≤ n/2`` that verify (``bad-signature``); signing
   always produces low ``s`` (``access.es256``), so a signature has one spelling only.

Only then are the payload bytes returned; the caller parses and checks them. Every failure is one
:class:`JwsError` whose ``kind`` is one of those four; callers prefix it with their own name
(``grant-bad-signature``, ``manifest-unknown-key``). Messages never echo the token or key
material. Base64url is strict and canonical (unused bits zero), so no two spellings decode to the
same bytes.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Final, Literal

from cryptography.hazmat.primitives.asymmetric import ec

from access.encoding import b64url, b64url_decode, is_b64url, json_object
from access.errors import AccessError
from access.es256 import sign_raw, verify_raw
from access.keys import SIGNING_ALG, SigningKey
from access.tokens import TrustedKey

__all__ = [
    "ALLOWED_ALGORITHMS",
    "JwsError",
    "canonical_json",
    "sign_compact",
    "split_compact",
    "verify_compact",
]

ALLOWED_ALGORITHMS: Final = frozenset({SIGNING_ALG})
Kind = Literal["malformed", "algorithm-not-allowed", "unknown-key", "bad-signature"]

_HEADER_MEMBERS = frozenset({"alg", "kid", "typ"})


class JwsError(AccessError):
    """The envelope does not verify; ``kind`` says how (see the module docstring)."""

    code = "jws-invalid"

    def __init__(self, kind: Kind, message: str) -> None:
        super().__init__(message)
        self.kind: Kind = kind


# --- encodings ----------------------------------------------------------------------------------


def canonical_json(obj: Mapping[str, Any]) -> bytes:
    """Sorted keys, no insignificant white space, ASCII: one spelling per value."""
    return json.dumps(
        obj, separators=(",", ":"), sort_keys=True, ensure_ascii=True, allow_nan=False
    ).encode("ascii")


# --- sign and verify ----------------------------------------------------------------------------


def sign_compact(payload: bytes, typ: str, key: SigningKey) -> str:
    """The compact JWS of ``payload`` (already canonical bytes), signed ES256 with ``key``."""
    if key.alg not in ALLOWED_ALGORITHMS:  # pragma: no cover - SigningKey is ES256 only
        raise ValueError(f"envelopes are signed with {sorted(ALLOWED_ALGORITHMS)}")
    header = {"alg": key.alg, "kid": key.kid, "typ": typ}
    signing_input = f"{b64url(canonical_json(header))}.{b64url(payload)}"
    return f"{signing_input}.{b64url(sign_raw(key.private_key, signing_input.encode('ascii')))}"


def split_compact(token: object, *, max_chars: int, what: str) -> tuple[str, str, str]:
    """The three segments of a compact JWS (``malformed`` otherwise). Verifies nothing."""
    if not isinstance(token, str) or not 0 < len(token) <= max_chars or not token.isascii():
        raise JwsError("malformed", f"{what} is not a well-formed JWS")
    parts = token.split(".")
    if len(parts) != 3 or not all(is_b64url(part) for part in parts):
        raise JwsError("malformed", f"{what} is not a compact JWS of three unpadded segments")
    return parts[0], parts[1], parts[2]


def _choose_key(segment: str, typ: str, keys: Mapping[str, TrustedKey], what: str) -> TrustedKey:
    try:
        header = json_object(b64url_decode(segment))
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise JwsError("malformed", f"{what} header is not a base64url JSON object") from None
    alg = header.get("alg")
    if not isinstance(alg, str) or alg not in ALLOWED_ALGORITHMS:
        shown = alg[:16] if isinstance(alg, str) else type(alg).__name__
        raise JwsError("algorithm-not-allowed", f"{what} algorithm {shown!r} is not allowed")
    if header.get("typ") != typ:
        raise JwsError("malformed", f"{what} header typ is not {typ!r}")
    if not set(header) <= _HEADER_MEMBERS:
        raise JwsError("malformed", f"{what} header carries members this verifier refuses")
    kid = header.get("kid")
    key = keys.get(kid) if isinstance(kid, str) else None
    if key is None or key.kid != kid:
        raise JwsError("unknown-key", f"{what} is signed with a key this node does not trust")
    if key.alg != alg or not isinstance(key.public_key.curve, ec.SECP256R1):
        raise JwsError("algorithm-not-allowed", f"{what} algorithm does not match its key")
    return key


def _check_signature(key: TrustedKey, signing_input: str, segment: str, what: str) -> None:
    try:
        signature = b64url_decode(segment)
    except ValueError:
        raise JwsError("malformed", f"{what} signature is not base64url") from None
    if not verify_raw(key.public_key, signing_input.encode("ascii"), signature):
        # A mirrored (high) s is refused here too: one signature, one spelling.
        raise JwsError("bad-signature", f"{what} signature does not verify (or is not low-s)")


def verify_compact(
    token: object, *, typ: str, keys: Mapping[str, TrustedKey], max_chars: int, what: str
) -> tuple[TrustedKey, bytes]:
    """The key that signed ``token`` and its payload bytes, once the signature verifies.

    ``what`` ("grant", "manifest") names the token in messages. :class:`JwsError` otherwise.
    """
    header, payload, signature = split_compact(token, max_chars=max_chars, what=what)
    key = _choose_key(header, typ, keys, what)
    _check_signature(key, f"{header}.{payload}", signature, what)
    try:
        return key, b64url_decode(payload)
    except ValueError:
        raise JwsError("malformed", f"{what} payload is not base64url") from None
