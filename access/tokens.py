"""Bearer tokens: JWTs signed by an administration's key and verified against pinned keys.

Verification is pure (keys and clock are arguments) and strict: an algorithm allow-list checked
before any key is chosen, the key chosen by ``kid`` among trusted keys only and required to belong
to the token's issuer, then audience, expiry, not-before and issued-at with a bounded skew, and a
bounded lifetime. Each failure has its own code; the message never echoes the token.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec

from access.errors import AuthenticationError
from access.es256 import JWS
from access.keys import SIGNING_ALG, SigningKey

__all__ = [
    "ALLOWED_ALGORITHMS",
    "MAX_SKEW",
    "MAX_TOKEN_LIFETIME",
    "TokenClaims",
    "TrustedKey",
    "admin_from_issuer",
    "issue_token",
    "issuer_for",
    "verify_token",
]

ALLOWED_ALGORITHMS = frozenset({SIGNING_ALG})
MAX_SKEW = timedelta(seconds=60)
MAX_TOKEN_LIFETIME = timedelta(hours=12)
_ISSUER_PREFIX = "urn:clearance:admin:"


def issuer_for(admin: str) -> str:
    return _ISSUER_PREFIX + admin


def admin_from_issuer(issuer: str) -> str | None:
    if issuer.startswith(_ISSUER_PREFIX) and len(issuer) == len(_ISSUER_PREFIX) + 3:
        return issuer[len(_ISSUER_PREFIX) :]
    return None


@dataclass(frozen=True)
class TrustedKey:
    """A pinned public key: which administration it speaks for, and whether it may still sign."""

    kid: str
    admin: str
    public_key: ec.EllipticCurvePublicKey
    alg: str = SIGNING_ALG


@dataclass(frozen=True)
class TokenClaims:
    subject: str
    admin: str
    audience: str
    issued_at: datetime
    expires_at: datetime
    token_id: str


def issue_token(
    key: SigningKey, *, user: str, admin: str, audience: str, now: datetime, ttl: timedelta
) -> str:
    if not timedelta(0) < ttl <= MAX_TOKEN_LIFETIME:
        raise ValueError(f"token lifetime must be positive and at most {MAX_TOKEN_LIFETIME}")
    issued = int(now.timestamp())
    claims = {
        "iss": issuer_for(admin),
        "sub": user,
        "aud": audience,
        "iat": issued,
        "nbf": issued,
        "exp": issued + int(ttl.total_seconds()),
        "jti": secrets.token_urlsafe(16),
    }
    payload = json.dumps(claims, separators=(",", ":")).encode("ascii")
    return JWS.encode(payload, key.private_key, algorithm=key.alg, headers={"kid": key.kid})


def _fail(code: str, message: str) -> AuthenticationError:
    return AuthenticationError(message, code=code)


def _header(token: str) -> dict[str, Any]:
    try:
        return jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        raise _fail("token-malformed", "token is not a well-formed JWS") from None


def _choose_key(header: Mapping[str, Any], keys: Mapping[str, TrustedKey]) -> TrustedKey:
    alg = header.get("alg")
    if not isinstance(alg, str) or alg not in ALLOWED_ALGORITHMS:
        raise _fail("token-algorithm-not-allowed", f"token algorithm {alg!r} is not allowed")
    kid = header.get("kid")
    key = keys.get(kid) if isinstance(kid, str) else None
    if key is None:
        raise _fail("token-unknown-key", "token is signed with a key this node does not trust")
    if key.alg != alg:
        raise _fail("token-algorithm-not-allowed", "token algorithm does not match its key")
    return key


def _payload(token: str, key: TrustedKey) -> dict[str, Any]:
    try:
        raw = JWS.decode_complete(token, key.public_key, algorithms=[key.alg])["payload"]
        payload = json.loads(raw)
    except jwt.InvalidSignatureError:
        raise _fail("token-bad-signature", "token signature does not verify") from None
    except (jwt.PyJWTError, ValueError):
        raise _fail("token-malformed", "token is not a well-formed JWS") from None
    if not isinstance(payload, dict):
        raise _fail("token-malformed", "token payload is not a JSON object")
    return payload


def _time_claim(payload: Mapping[str, Any], name: str) -> datetime:
    value = payload.get(name)
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < 2**32:
        raise _fail("token-malformed", f"token claim {name!r} is missing or not an integer")
    return datetime.fromtimestamp(value, UTC)


def _str_claim(payload: Mapping[str, Any], name: str) -> str:
    value = payload.get(name)
    if not isinstance(value, str) or not value:
        raise _fail("token-malformed", f"token claim {name!r} is missing or not a string")
    return value


def _check_times(payload: Mapping[str, Any], now: datetime) -> tuple[datetime, datetime]:
    issued, not_before, expires = (_time_claim(payload, c) for c in ("iat", "nbf", "exp"))
    if expires - issued > MAX_TOKEN_LIFETIME or expires <= issued:
        raise _fail("token-lifetime-invalid", "token lifetime is not within the allowed bounds")
    if now >= expires + MAX_SKEW:
        raise _fail("token-expired", "token has expired")
    if now + MAX_SKEW < not_before or now + MAX_SKEW < issued:
        raise _fail("token-not-yet-valid", "token is not valid yet")
    return issued, expires


def verify_token(
    token: str, *, keys: Mapping[str, TrustedKey], audience: str, now: datetime
) -> TokenClaims:
    """Verify ``token`` or raise AuthenticationError with a distinct ``code``."""
    if not isinstance(token, str) or len(token) > 8192:
        raise _fail("token-malformed", "token is not a well-formed JWS")
    key = _choose_key(_header(token), keys)
    payload = _payload(token, key)
    issuer = _str_claim(payload, "iss")
    if admin_from_issuer(issuer) != key.admin:
        raise _fail("token-wrong-issuer", "token issuer does not match its signing key")
    if payload.get("aud") != audience:
        raise _fail("token-wrong-audience", "token is not addressed to this service")
    issued, expires = _check_times(payload, now)
    return TokenClaims(
        subject=_str_claim(payload, "sub"),
        admin=key.admin,
        audience=audience,
        issued_at=issued,
        expires_at=expires,
        token_id=_str_claim(payload, "jti"),
    )
