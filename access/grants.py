"""Signed grants: what an approved access request becomes, and the one check that honours it.

A grant is a compact JWS (ES256, RFC 7515) over JWT claims (RFC 7519), GA4GH-visa-like::

    header  {"alg": "ES256", "typ": "clearance-grant+jwt", "kid": <JWK thumbprint of owner key>}
    claims  {"iss": "urn:clearance:admin:NLD", "sub": <researcher>,
             "aud": "urn:clearance:transfer:NLD" | "urn:clearance:enclave:NLD",
             "jti": <>= 128 random bits, base64url>, "iat": <int>, "nbf": <int>, "exp": <int>,
             "clearance_grant": {"type": "ControlledAccessGrants", "holding": <id>,
                                 "holding_version": <int>, "items_sha256": <64 hex>,
                                 "operations": ["download"] | ["evaluate"] | both,
                                 "request": <request id>, "conditions": {...},
                                 "manifest_sha256": <64 hex> (optional)},
             "cnf": {"c4gh_x25519": <base64 of the recipient's 32-byte Crypt4GH public key>}}

``cnf`` is present on every grant that allows ``download`` and optional on an ``evaluate``-only
grant: evaluation sends no data to the researcher, so an evaluation request needs no Crypt4GH key.

``manifest_sha256``, when present, pins the signed manifest of that holding version (the SHA-256
of its canonical payload, see :mod:`transfer.manifest`): a client refuses any other manifest. It is
optional so that grants for holdings without a manifest (published before encryption at rest, or
reference-only R4 records) stay valid; the issuer sets it whenever the version has one.

``cnf`` is an RFC 7800-style confirmation: data under a grant is only ever re-encrypted to that key,
so a copied grant is useless without the recipient's private key.

In the style of python-tuf's Metadata API, :class:`Grant` is the ``signed`` part as a frozen value
whose constructor enforces every invariant (``ValueError``), with ``to_claims``/``from_claims``
and ``is_expired(reference_time)``; :func:`sign_grant` wraps it in the envelope and
:func:`verify_grant` is the only way back from a token to a trusted ``Grant``. Everything here is
pure: keys, clock and the revocation lookup are arguments.

Verification order (each step has its own code; messages never echo the token):

1. exactly three strict base64url segments, header a JSON object without duplicate names
2. ``alg`` on the allow-list (ES256 only) — before any key is looked at, so ``none``, HS*
   (including HS256 keyed with a public key PEM), RS*, PS*, EdDSA … are refused outright
3. explicit type ``typ: clearance-grant+jwt`` (no bearer token passes as a grant, RFC 8725
   §3.11); no header member but ``alg``, ``typ``, ``kid`` (``crit``, ``b64``, ``jku``, ``jwk``,
   ``x5u`` … are refused, never honoured)
4. key chosen by ``kid`` among trusted keys only (a retired key is simply absent), then the
   ECDSA P-256 signature over ``header.payload`` (raw 64-byte r‖s, low s only)
5. issuer = the key's administration; audience = the caller's service, owned by that issuer
6. lifetime, expiry and not-before / issued-at with a bounded skew of ``MAX_SKEW`` both ways
7. the grant body and its invariants; unknown claims are refused (an older verifier must never
   silently ignore a restriction a newer issuer added)
8. revocation (``is_revoked(jti)``, only now, after the signature held; it may do I/O, its
   exceptions propagate and any answer but ``False`` counts as revoked), holding, operation

Error codes and their HTTP meaning (the composition root maps by class):

=================================  ==========================  ====
code                               class                       HTTP
=================================  ==========================  ====
grant-malformed                    GrantError                  401
grant-algorithm-not-allowed        GrantError                  401
grant-unknown-key                  GrantError                  401
grant-bad-signature                GrantError                  401
grant-wrong-issuer                 GrantError                  401
grant-wrong-audience               GrantError                  401
grant-expired                      GrantError                  401
grant-not-yet-valid                GrantError                  401
grant-lifetime-invalid             GrantError                  401
grant-revoked                      GrantDenied                 403
grant-wrong-holding                GrantDenied                 403
grant-operation-not-allowed        GrantDenied                 403
=================================  ==========================  ====

``GrantError`` is an :class:`~access.errors.AuthenticationError` (the grant does not establish who
may do what: 401), ``GrantDenied`` a :class:`~access.errors.PermissionDenied` (a genuine, current
grant that does not cover this request, or was revoked: 403).

What :func:`verify_grant` does not do: compare ``sub`` with the authenticated caller, or the
holding version and item set with the catalogue — the transfer and enclave services do that.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Final, TypeGuard

from access.encoding import b64url_decode, exact_members, json_object
from access.errors import AuthenticationError, PermissionDenied
from access.jws import (
    ALLOWED_ALGORITHMS,
    JwsError,
    canonical_json,
    sign_compact,
    split_compact,
    verify_compact,
)
from access.keys import SigningKey
from access.tokens import TrustedKey, admin_from_issuer, issuer_for

__all__ = [
    "ALLOWED_ALGORITHMS",
    "DENIED_CODES",
    "GRANT_TYPE",
    "GRANT_TYP_HEADER",
    "MAX_GRANT_LIFETIME",
    "MAX_SKEW",
    "OPERATIONS",
    "UNAUTHENTICATED_CODES",
    "Grant",
    "GrantDenied",
    "GrantError",
    "UNSAFE_decode_without_verification",
    "audience_owner",
    "enclave_audience",
    "item_set_hash",
    "sign_grant",
    "transfer_audience",
    "verify_grant",
]

MAX_SKEW: Final = timedelta(seconds=60)
MAX_GRANT_LIFETIME: Final = timedelta(days=365)
OPERATIONS: Final = ("download", "evaluate")
_OPERATION_SET = frozenset(OPERATIONS)
_CANONICAL_OPERATIONS = frozenset({("download",), ("evaluate",), ("download", "evaluate")})
GRANT_TYPE: Final = "ControlledAccessGrants"
GRANT_TYP_HEADER: Final = "clearance-grant+jwt"
MAX_TOKEN_CHARS: Final = 16 * 1024

UNAUTHENTICATED_CODES: Final = frozenset(
    {
        "grant-malformed",
        "grant-algorithm-not-allowed",
        "grant-unknown-key",
        "grant-bad-signature",
        "grant-wrong-issuer",
        "grant-wrong-audience",
        "grant-expired",
        "grant-not-yet-valid",
        "grant-lifetime-invalid",
    }
)
DENIED_CODES: Final = frozenset(
    {"grant-revoked", "grant-wrong-holding", "grant-operation-not-allowed"}
)

_ADMIN = re.compile(r"[A-Z]{3}")  # ISO 3166-1 alpha-3, as access.vocabulary.parse_admin_code
_AUDIENCE = re.compile(r"^urn:clearance:(transfer|enclave):([A-Z]{3})$")
_JTI = re.compile(r"^[A-Za-z0-9_-]{22,64}$")  # 22 base64url characters = 132 bits
_SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")
_CLAIMS = frozenset({"iss", "sub", "aud", "jti", "iat", "nbf", "exp", "clearance_grant"})
_OPTIONAL_CLAIMS = frozenset({"cnf"})
_BODY = frozenset(
    {"type", "holding", "holding_version", "items_sha256", "operations", "request", "conditions"}
)
_OPTIONAL_BODY = frozenset({"manifest_sha256"})
_MAX_TIME = 2**32


# --- errors -------------------------------------------------------------------------------------


class GrantError(AuthenticationError):
    """The token is not a valid grant for this service now (401)."""

    code = "grant-malformed"


class GrantDenied(PermissionDenied):
    """A genuine, current grant that was revoked or does not cover the request (403)."""

    code = "grant-revoked"


def _fail(code: str, message: str) -> GrantError:
    return GrantError(message, code=code)


def _deny(code: str, message: str) -> GrantDenied:
    return GrantDenied(message, code=code)


# --- audiences and the item set -----------------------------------------------------------------


def _admin(admin: str) -> str:
    if not isinstance(admin, str) or not _ADMIN.fullmatch(admin):
        raise ValueError(f"administration code {admin!r} is not three upper-case letters")
    return admin


def transfer_audience(admin: str) -> str:
    """The audience of ``admin``'s transfer (download) service."""
    return f"urn:clearance:transfer:{_admin(admin)}"


def enclave_audience(admin: str) -> str:
    """The audience of ``admin``'s evaluation enclave."""
    return f"urn:clearance:enclave:{_admin(admin)}"


def audience_owner(audience: str) -> str | None:
    """The administration that runs the service ``audience`` names, or None if not a grant one."""
    if not isinstance(audience, str):
        return None
    match = _AUDIENCE.fullmatch(audience)
    return match.group(2) if match else None


def item_set_hash(item_ids: Iterable[str]) -> str:
    """SHA-256 (hex) of the item ids sorted by code point and joined by ``\n`` (UTF-8).

    Order-free. Ids must be unique, non-empty and free of line breaks, so that distinct sets
    never hash alike.
    """
    if isinstance(item_ids, str):
        raise TypeError("item_set_hash takes a collection of ids, not one string")
    ids = list(item_ids)
    if not ids:
        raise ValueError("an item set must not be empty")
    for item in ids:
        if not isinstance(item, str) or not item or "\n" in item or "\r" in item:
            raise ValueError("item ids are non-empty strings without line breaks")
    if len(set(ids)) != len(ids):
        raise ValueError("item ids in a set are unique")
    return hashlib.sha256("\n".join(sorted(ids)).encode("utf-8")).hexdigest()


# --- the signed part ----------------------------------------------------------------------------


def _utc_seconds(value: datetime, name: str) -> datetime:
    if not isinstance(value, datetime) or value.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime")
    if value.tzinfo is not UTC or value.microsecond:
        value = value.astimezone(UTC).replace(microsecond=0)  # JWT NumericDate: whole seconds
    if not 0 <= value.timestamp() < _MAX_TIME:
        raise ValueError(f"{name} is out of range")
    return value


def _text(value: object, name: str, limit: int) -> str:
    if not isinstance(value, str) or not value or len(value) > limit:
        raise ValueError(f"{name} must be a non-empty string of at most {limit} characters")
    if not value.isprintable():
        raise ValueError(f"{name} must not contain control characters")
    return value


_JSON_DEPTH = 32
_JSON_SCALARS = frozenset({str, int, bool})


def _json_copy(value: object, depth: int = 0) -> Any:
    """A detached deep copy of a JSON value; ValueError for anything JSON cannot carry."""
    if value is None or type(value) in _JSON_SCALARS or isinstance(value, str | bool | int):
        return value
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError("NaN and infinities are not JSON")
        return value
    if depth >= _JSON_DEPTH:
        raise ValueError(f"nested deeper than {_JSON_DEPTH}")
    if _is_object(value):
        copy = {}
        for name, member in value.items():
            if not isinstance(name, str):
                raise ValueError("object member names must be strings")
            copy[name] = _json_copy(member, depth + 1)
        return copy
    if isinstance(value, list | tuple):
        return [_json_copy(member, depth + 1) for member in value]
    raise ValueError(f"a {type(value).__name__} is not a JSON value")


def _json_object(value: object, name: str) -> dict[str, Any]:
    if not _is_object(value):
        raise ValueError(f"{name} must be a JSON object")
    try:
        copy: dict[str, Any] = _json_copy(value)
    except ValueError as exc:
        raise ValueError(f"{name} must be a JSON object: {exc}") from None
    return copy


@dataclass(frozen=True, slots=True)
class Grant:
    """The claims of one grant. Constructing one checks every invariant (``ValueError``).

    Times are normalised to whole seconds in UTC (JWT NumericDate), operations to the order of
    ``OPERATIONS``, and ``conditions`` to a detached copy of plain JSON values.
    """

    issuer_admin: str
    subject: str
    audience: str
    jti: str
    issued_at: datetime
    not_before: datetime
    expires_at: datetime
    holding: str
    holding_version: int
    items_sha256: str
    operations: tuple[str, ...]
    request: str
    recipient_key: bytes | None = field(repr=False)  # None only on an evaluate-only grant
    conditions: Mapping[str, Any] = field(default_factory=dict, hash=False)
    manifest_sha256: str | None = None

    def __post_init__(self) -> None:
        put = object.__setattr__  # frozen: normalise in place, once
        _admin(self.issuer_admin)
        _text(self.subject, "subject", 128)
        if not isinstance(self.audience, str) or audience_owner(self.audience) != self.issuer_admin:
            raise ValueError("audience must be the issuer's transfer or enclave service")
        if not isinstance(self.jti, str) or not _JTI.fullmatch(self.jti):
            raise ValueError("jti must be 22-64 base64url characters (at least 128 random bits)")
        put(self, "issued_at", _utc_seconds(self.issued_at, "issued_at"))
        put(self, "not_before", _utc_seconds(self.not_before, "not_before"))
        put(self, "expires_at", _utc_seconds(self.expires_at, "expires_at"))
        if self.not_before < self.issued_at:
            raise ValueError("not_before must not precede issued_at")
        if self.expires_at <= self.not_before:
            raise ValueError("expires_at must be after not_before")
        if self.expires_at - self.issued_at > MAX_GRANT_LIFETIME:
            raise ValueError(f"a grant lives at most {MAX_GRANT_LIFETIME.days} days")
        _text(self.holding, "holding", 128)
        version = self.holding_version
        if not isinstance(version, int) or isinstance(version, bool) or not 0 <= version < 2**63:
            raise ValueError("holding_version must be a non-negative integer")
        if not isinstance(self.items_sha256, str) or not _SHA256_HEX.fullmatch(self.items_sha256):
            raise ValueError("items_sha256 must be 64 lower-case hex digits")
        manifest = self.manifest_sha256
        if manifest is not None and (
            not isinstance(manifest, str) or not _SHA256_HEX.fullmatch(manifest)
        ):
            raise ValueError("manifest_sha256 must be 64 lower-case hex digits")
        ops = self.operations
        if isinstance(ops, str) or not all(isinstance(op, str) for op in ops):
            raise ValueError("operations must be a sequence of operation names")
        if type(ops) is not tuple or ops not in _CANONICAL_OPERATIONS:
            ops = tuple(ops)
            if not ops or len(set(ops)) != len(ops) or not _OPERATION_SET.issuperset(ops):
                raise ValueError(
                    f"operations must be a non-empty, duplicate-free subset of {OPERATIONS}"
                )
            put(self, "operations", tuple(op for op in OPERATIONS if op in ops))
        _text(self.request, "request", 128)
        put(self, "conditions", _json_object(self.conditions, "conditions"))
        key = self.recipient_key
        if key is None and "download" in self.operations:
            raise ValueError("a grant that allows download is bound to a recipient key")
        if key is not None and (not isinstance(key, bytes) or len(key) != 32):
            raise ValueError("recipient_key must be the 32-byte Crypt4GH (X25519) public key")

    @property
    def issuer(self) -> str:
        return issuer_for(self.issuer_admin)

    @property
    def lifetime(self) -> timedelta:
        return self.expires_at - self.issued_at

    def is_expired(self, reference_time: datetime) -> bool:
        """True from ``expires_at`` on (no skew here: skew is a verification allowance)."""
        return reference_time >= self.expires_at

    def allows(self, operation: str) -> bool:
        return operation in self.operations

    def to_claims(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": GRANT_TYPE,
            "holding": self.holding,
            "holding_version": self.holding_version,
            "items_sha256": self.items_sha256,
            "operations": list(self.operations),
            "request": self.request,
            "conditions": _json_copy(self.conditions),
        }
        if self.manifest_sha256 is not None:
            body["manifest_sha256"] = self.manifest_sha256
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "sub": self.subject,
            "aud": self.audience,
            "jti": self.jti,
            "iat": int(self.issued_at.timestamp()),
            "nbf": int(self.not_before.timestamp()),
            "exp": int(self.expires_at.timestamp()),
            "clearance_grant": body,
        }
        if self.recipient_key is not None:
            key = base64.b64encode(self.recipient_key).decode("ascii")
            claims["cnf"] = {"c4gh_x25519": key}
        return claims

    @classmethod
    def from_claims(cls, claims: Mapping[str, Any]) -> Grant:
        """Parse claims strictly (every name required, unknown ones refused); ``ValueError``
        on anything amiss — the constructor checks the values."""
        if not _is_object(claims):
            raise ValueError("claims must be a JSON object")
        exact_members(claims, _CLAIMS | (claims.keys() & _OPTIONAL_CLAIMS), "claim")
        iss = claims["iss"]
        issuer_admin = admin_from_issuer(iss) if isinstance(iss, str) else None
        if issuer_admin is None:
            raise ValueError("iss is not an administration issuer")
        body = claims["clearance_grant"]
        if not _is_object(body):
            raise ValueError("clearance_grant must be a JSON object")
        exact_members(body, _BODY | (body.keys() & _OPTIONAL_BODY), "clearance_grant member")
        if body["type"] != GRANT_TYPE:
            raise ValueError(f"clearance_grant.type must be {GRANT_TYPE!r}")
        operations = body["operations"]
        if not isinstance(operations, list):
            raise ValueError("clearance_grant.operations must be a list")
        cnf = claims.get("cnf")
        if cnf is not None and (not _is_object(cnf) or cnf.keys() != {"c4gh_x25519"}):
            raise ValueError('cnf must be {"c4gh_x25519": ...}')
        return cls(
            issuer_admin=issuer_admin,
            subject=claims["sub"],
            audience=claims["aud"],
            jti=claims["jti"],
            issued_at=_numeric_date(claims, "iat"),
            not_before=_numeric_date(claims, "nbf"),
            expires_at=_numeric_date(claims, "exp"),
            holding=body["holding"],
            holding_version=body["holding_version"],
            items_sha256=body["items_sha256"],
            operations=tuple(operations),
            request=body["request"],
            conditions=body["conditions"],
            recipient_key=None if cnf is None else _b64_key(cnf["c4gh_x25519"]),
            manifest_sha256=body.get("manifest_sha256"),
        )


def _is_object(value: object) -> TypeGuard[Mapping[str, Any]]:
    return type(value) is dict or isinstance(value, Mapping)


def _int_claim(obj: Mapping[str, Any], name: str) -> int:
    value = obj.get(name)
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < _MAX_TIME:
        raise ValueError(f"{name} must be an integer NumericDate")
    return value


def _numeric_date(obj: Mapping[str, Any], name: str) -> datetime:
    return datetime.fromtimestamp(_int_claim(obj, name), UTC)


def _b64_key(value: object) -> bytes:
    if not isinstance(value, str) or len(value) != 44:
        raise ValueError("cnf.c4gh_x25519 must be the base64 of 32 bytes")
    try:
        raw = binascii.a2b_base64(value)
        # canonical form only: re-encoding must give the same text (no stray characters dropped
        # by the lenient decoder, no second spelling through unused bits)
        canonical = len(raw) == 32 and binascii.b2a_base64(raw, newline=False) == value.encode()
    except (binascii.Error, ValueError):
        canonical = False
    if not canonical:
        raise ValueError("cnf.c4gh_x25519 must be the base64 of 32 bytes")
    return raw


# --- the envelope (access.jws) --------------------------------------------------------------------


def sign_grant(grant: Grant, key: SigningKey) -> str:
    """The compact JWS of ``grant``, signed ES256 with ``key`` (which must be the issuer's)."""
    return sign_compact(canonical_json(grant.to_claims()), GRANT_TYP_HEADER, key)


def _claims(payload: bytes) -> dict[str, Any]:
    try:
        return json_object(payload)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise _fail("grant-malformed", "grant payload is not a base64url JSON object") from None


def _open(token: str, keys: Mapping[str, TrustedKey]) -> tuple[TrustedKey, dict[str, Any]]:
    """The signing key and the claims of ``token``, once its envelope verifies."""
    try:
        key, payload = verify_compact(
            token, typ=GRANT_TYP_HEADER, keys=keys, max_chars=MAX_TOKEN_CHARS, what="grant"
        )
    except JwsError as exc:
        raise _fail(f"grant-{exc.kind}", str(exc)) from None
    return key, _claims(payload)


def _check_times(claims: Mapping[str, Any], now: datetime) -> None:
    try:
        issued, not_before, expires = (_int_claim(claims, c) for c in ("iat", "nbf", "exp"))
    except ValueError:
        raise _fail("grant-malformed", "grant times are not integer NumericDates") from None
    if not issued <= not_before < expires or expires - issued > MAX_GRANT_LIFETIME.total_seconds():
        raise _fail("grant-lifetime-invalid", "grant lifetime is not within the allowed bounds")
    current = now.timestamp()
    skew = MAX_SKEW.total_seconds()
    if current >= expires + skew:
        raise _fail("grant-expired", "grant has expired")
    if current + skew < not_before or current + skew < issued:
        raise _fail("grant-not-yet-valid", "grant is not valid yet")


def verify_grant(
    token: str,
    *,
    keys: Mapping[str, TrustedKey],
    audience: str,
    now: datetime,
    is_revoked: Callable[[str], bool],
    holding: str | None = None,
    operation: str | None = None,
) -> Grant:
    """Verify ``token`` as a grant for the service ``audience`` at ``now``; return its ``Grant``.

    Raises :class:`GrantError` (401) or :class:`GrantDenied` (403) with a distinct ``code``; see
    the module docstring. ``is_revoked(jti)`` must return exactly ``False`` for the grant to pass
    (fails closed) and is only called once the signature, issuer, audience and times held.
    ``holding``/``operation``, when given, must be covered by the grant.
    """
    if audience_owner(audience) is None:
        raise ValueError("audience must be a transfer or enclave service audience")
    if operation is not None and operation not in OPERATIONS:
        raise ValueError(f"operation must be one of {OPERATIONS}")
    grant = _authentic_grant(token, keys, now, audience)
    if is_revoked(grant.jti) is not False:
        raise _deny("grant-revoked", "grant has been revoked")
    if holding is not None and grant.holding != holding:
        raise _deny("grant-wrong-holding", "grant does not cover this holding")
    if operation is not None and operation not in grant.operations:
        raise _deny("grant-operation-not-allowed", f"grant does not allow {operation!r}")
    return grant


def _authentic_grant(
    token: str, keys: Mapping[str, TrustedKey], now: datetime, audience: str | None
) -> Grant:
    """Steps 1–7 of the verification order: the grant, once envelope, issuer, audience (the
    given one; with ``None`` the one it claims, which a policy must then check), times and body
    held. Not a verification by itself: :func:`verify_grant` and ``access.grant_policy`` go on."""
    if now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    key, claims = _open(token, keys)
    issuer = claims.get("iss")
    if not isinstance(issuer, str):
        raise _fail("grant-malformed", "grant claim 'iss' is missing or not a string")
    if admin_from_issuer(issuer) != key.admin:
        raise _fail("grant-wrong-issuer", "grant issuer does not match its signing key")
    claimed = claims.get("aud")
    if audience is not None and claimed != audience:
        raise _fail("grant-wrong-audience", "grant is not addressed to this service")
    service_owner = audience_owner(claimed) if isinstance(claimed, str) else None
    if service_owner is not None and service_owner != key.admin:
        raise _fail("grant-wrong-issuer", "grant issuer does not run the service it addresses")
    _check_times(claims, now)
    try:
        return Grant.from_claims(claims)
    except (ValueError, TypeError) as exc:
        raise _fail("grant-malformed", f"grant claims are invalid: {exc}") from None


def UNSAFE_decode_without_verification(token: str) -> dict[str, Any]:
    """UNVERIFIED header and claims, for ``clearance grant show`` to explain a rejected grant.

    Nothing in the result is authenticated: never make a decision on it. Raises ``GrantError``
    (grant-malformed) when the token does not even parse.
    """
    try:
        header, payload, _ = split_compact(token, max_chars=MAX_TOKEN_CHARS, what="grant")
        decoded = json_object(b64url_decode(header))
    except JwsError as exc:
        raise _fail("grant-malformed", str(exc)) from None
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise _fail("grant-malformed", "grant header is not a base64url JSON object") from None
    try:
        raw = b64url_decode(payload)
    except ValueError:
        raise _fail("grant-malformed", "grant payload is not base64url") from None
    return {"verified": False, "header": decoded, "claims": _claims(raw)}
