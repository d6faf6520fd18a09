"""Bearer tokens: issue/verify round trip and one distinct error code per way a token can be bad.

Attack tokens (``alg: none``, HS256 keyed with the public key PEM, forged headers) are built by hand
here with base64 and hmac from the standard library, independently of the code under test.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from access.errors import AuthenticationError
from access.keys import SigningKey, generate_signing_key
from access.tokens import (
    ALLOWED_ALGORITHMS,
    MAX_SKEW,
    MAX_TOKEN_LIFETIME,
    TokenClaims,
    TrustedKey,
    admin_from_issuer,
    issue_token,
    issuer_for,
    verify_token,
)
from tests.helpers.es256 import low_s

NOW = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
T = int(NOW.timestamp())
AUD = "urn:clearance:node:test"
TTL = timedelta(hours=1)

NLD_KEY = generate_signing_key()
GBR_KEY = generate_signing_key()
UNTRUSTED_KEY = generate_signing_key()


def _trusted(key: SigningKey, admin: str, alg: str = "ES256") -> TrustedKey:
    return TrustedKey(key.kid, admin, key.private_key.public_key(), alg)


KEYS = {NLD_KEY.kid: _trusted(NLD_KEY, "NLD"), GBR_KEY.kid: _trusted(GBR_KEY, "GBR")}


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64json(obj: Any) -> str:
    return b64url(json.dumps(obj).encode())


def claims(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "iss": "urn:clearance:admin:NLD",
        "sub": "alice",
        "aud": AUD,
        "iat": T,
        "nbf": T,
        "exp": T + 3600,
        "jti": "jti-1",
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not _DROP}


_DROP = object()


def sign(payload: Any, key: SigningKey = NLD_KEY, **header: Any) -> str:
    """A correctly ES256-signed token over arbitrary claims (PyJWT as an independent signer)."""
    if isinstance(payload, bytes):
        return low_s(
            jwt.PyJWS().encode(
                payload, key.private_key, algorithm="ES256", headers={"kid": key.kid, **header}
            )
        )
    return low_s(
        jwt.encode(payload, key.private_key, algorithm="ES256", headers={"kid": key.kid, **header})
    )


def verify(token: Any, *, keys: dict[str, TrustedKey] = KEYS, now: datetime = NOW) -> TokenClaims:
    return verify_token(token, keys=keys, audience=AUD, now=now)


def rejection(token: Any, **kwargs: Any) -> AuthenticationError:
    with pytest.raises(AuthenticationError) as info:
        verify(token, **kwargs)
    message = str(info.value)
    if isinstance(token, str) and token:
        assert token not in message
        for segment in token.split("."):
            if len(segment) > 12:
                assert segment not in message
    return info.value


# --- round trip ---------------------------------------------------------------------------------


def test_issue_and_verify_round_trip() -> None:
    token = issue_token(NLD_KEY, user="alice", admin="NLD", audience=AUD, now=NOW, ttl=TTL)
    got = verify(token)
    assert got.subject == "alice"
    assert got.admin == "NLD"
    assert got.audience == AUD
    assert got.issued_at == NOW
    assert got.expires_at == NOW + TTL
    assert len(got.token_id) >= 16
    header = jwt.get_unverified_header(token)
    assert header["alg"] == "ES256"
    assert header["kid"] == NLD_KEY.kid
    # an independent verifier (PyJWT) accepts it with the same public key
    decoded = jwt.decode(
        token,
        NLD_KEY.private_key.public_key(),
        algorithms=["ES256"],
        audience=AUD,
        issuer="urn:clearance:admin:NLD",
        options={"verify_exp": False, "verify_nbf": False, "verify_iat": False},
    )
    assert decoded["sub"] == "alice"
    assert decoded["nbf"] == decoded["iat"] == T


def test_token_ids_are_unique() -> None:
    ids = {
        verify(issue_token(NLD_KEY, user="a", admin="NLD", audience=AUD, now=NOW, ttl=TTL)).token_id
        for _ in range(20)
    }
    assert len(ids) == 20


def test_issue_refuses_bad_lifetimes() -> None:
    for ttl in (timedelta(0), timedelta(seconds=-1), MAX_TOKEN_LIFETIME + timedelta(seconds=1)):
        with pytest.raises(ValueError, match="lifetime"):
            issue_token(NLD_KEY, user="a", admin="NLD", audience=AUD, now=NOW, ttl=ttl)
    token = issue_token(
        NLD_KEY, user="a", admin="NLD", audience=AUD, now=NOW, ttl=MAX_TOKEN_LIFETIME
    )
    assert verify(token).expires_at == NOW + MAX_TOKEN_LIFETIME


def test_issuer_names() -> None:
    assert issuer_for("NLD") == "urn:clearance:admin:NLD"
    assert admin_from_issuer("urn:clearance:admin:NLD") == "NLD"
    for bad in ("urn:clearance:admin:", "urn:clearance:admin:NLDX", "https://idp.example/NLD", ""):
        assert admin_from_issuer(bad) is None
    assert frozenset({"ES256"}) == ALLOWED_ALGORITHMS
    assert timedelta(seconds=60) == MAX_SKEW


# --- clock skew ---------------------------------------------------------------------------------


def test_expiry_is_checked_with_sixty_seconds_of_skew() -> None:
    token = sign(claims())
    expires = NOW + timedelta(hours=1)
    assert verify(token, now=expires).subject == "alice"
    assert verify(token, now=expires + timedelta(seconds=59)).subject == "alice"
    assert rejection(token, now=expires + timedelta(seconds=60)).code == "token-expired"
    assert rejection(token, now=expires + timedelta(seconds=61)).code == "token-expired"
    assert rejection(token, now=expires + timedelta(days=400)).code == "token-expired"


def test_not_before_is_checked_with_sixty_seconds_of_skew() -> None:
    token = sign(claims(iat=T + 600, nbf=T + 600, exp=T + 1200))
    start = NOW + timedelta(seconds=600)
    assert verify(token, now=start - timedelta(seconds=59)).subject == "alice"
    assert verify(token, now=start - timedelta(seconds=60)).subject == "alice"
    assert rejection(token, now=start - timedelta(seconds=61)).code == "token-not-yet-valid"


def test_issued_in_the_future_is_not_yet_valid() -> None:
    # nbf already reached but iat claims a later time: still refused
    token = sign(claims(nbf=T - 10, iat=T + 300, exp=T + 900))
    assert rejection(token).code == "token-not-yet-valid"


# --- one code per failure -----------------------------------------------------------------------


def _tampered_payload() -> str:
    header, _, signature = sign(claims()).split(".")
    return f"{header}.{b64json(claims(sub='root'))}.{signature}"


def _tampered_signature() -> str:
    header, payload, signature = sign(claims()).split(".")
    raw = bytearray(base64.urlsafe_b64decode(signature + "=="))
    raw[10] ^= 0x01
    return f"{header}.{payload}.{b64url(bytes(raw))}"


def _kid_swapped() -> str:
    """Signed by GBR's key, header claiming NLD's kid: the signature must not verify."""
    token = sign(claims(), key=GBR_KEY)
    _, payload, signature = token.split(".")
    return f"{b64json({'alg': 'ES256', 'kid': NLD_KEY.kid, 'typ': 'JWT'})}.{payload}.{signature}"


def _alg_none() -> str:
    header = b64json({"alg": "none", "kid": NLD_KEY.kid, "typ": "JWT"})
    return f"{header}.{b64json(claims())}."


def _hs256_with_public_pem() -> str:
    pem = NLD_KEY.private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    signing_input = f"{b64json({'alg': 'HS256', 'kid': NLD_KEY.kid})}.{b64json(claims())}"
    mac = hmac.new(pem, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64url(mac)}"


def _header_only(header: Any) -> str:
    return f"{b64json(header)}.{b64json(claims())}.{b64url(b'x' * 64)}"


CASES: list[tuple[str, Callable[[], Any], str]] = [
    ("tampered payload", _tampered_payload, "token-bad-signature"),
    ("tampered signature", _tampered_signature, "token-bad-signature"),
    ("kid of another trusted key", _kid_swapped, "token-bad-signature"),
    ("truncated signature", lambda: sign(claims())[:-10], "token-bad-signature"),
    ("alg none", _alg_none, "token-algorithm-not-allowed"),
    (
        "alg none, upper case",
        lambda: _header_only({"alg": "NONE", "kid": NLD_KEY.kid}),
        "token-algorithm-not-allowed",
    ),
    ("HS256 keyed with the public PEM", _hs256_with_public_pem, "token-algorithm-not-allowed"),
    (
        "RS256",
        lambda: _header_only({"alg": "RS256", "kid": NLD_KEY.kid}),
        "token-algorithm-not-allowed",
    ),
    (
        "ES384",
        lambda: _header_only({"alg": "ES384", "kid": NLD_KEY.kid}),
        "token-algorithm-not-allowed",
    ),
    ("no alg", lambda: _header_only({"kid": NLD_KEY.kid}), "token-algorithm-not-allowed"),
    (
        "alg is a list",
        lambda: _header_only({"alg": ["ES256"], "kid": NLD_KEY.kid}),
        "token-algorithm-not-allowed",
    ),
    (
        "alg is an object",
        lambda: _header_only({"alg": {"ES256": 1}, "kid": NLD_KEY.kid}),
        "token-algorithm-not-allowed",
    ),
    ("unknown kid", lambda: sign(claims(), key=UNTRUSTED_KEY), "token-unknown-key"),
    ("no kid", lambda: _header_only({"alg": "ES256"}), "token-unknown-key"),
    (
        "wrong audience",
        lambda: sign(claims(aud="urn:clearance:node:other")),
        "token-wrong-audience",
    ),
    ("audience as a list", lambda: sign(claims(aud=[AUD])), "token-wrong-audience"),
    ("no audience", lambda: sign(claims(aud=_DROP)), "token-wrong-audience"),
    # GBR's key is trusted, but only for GBR: it may not speak for NLD
    ("issuer of another administration", lambda: sign(claims(), key=GBR_KEY), "token-wrong-issuer"),
    ("foreign issuer", lambda: sign(claims(iss="https://idp.example.org")), "token-wrong-issuer"),
    ("lifetime too long", lambda: sign(claims(exp=T + 12 * 3600 + 1)), "token-lifetime-invalid"),
    ("exp before iat", lambda: sign(claims(exp=T - 1)), "token-lifetime-invalid"),
    ("exp equals iat", lambda: sign(claims(exp=T)), "token-lifetime-invalid"),
    ("garbage", lambda: "garbage", "token-malformed"),
    ("empty", lambda: "", "token-malformed"),
    ("three dots of nothing", lambda: "..", "token-malformed"),
    ("not a string", lambda: None, "token-malformed"),
    ("bytes", lambda: sign(claims()).encode(), "token-malformed"),
    ("too long", lambda: sign(claims(pad="x" * 9000)), "token-malformed"),
    (
        "header not JSON",
        lambda: f"{b64url(b'{not json')}.{b64json(claims())}.sig",
        "token-malformed",
    ),
    ("header a list", lambda: _header_only(["ES256"]), "token-malformed"),
    ("kid not a string", lambda: _header_only({"alg": "ES256", "kid": 7}), "token-malformed"),
    ("payload not JSON", lambda: sign(b"not json"), "token-malformed"),
    ("payload a list", lambda: sign(json.dumps([claims()]).encode()), "token-malformed"),
    ("payload not UTF-8", lambda: sign(b"\xff\xfe{}"), "token-malformed"),
    ("exp a string", lambda: sign(claims(exp=str(T + 60))), "token-malformed"),
    ("exp a float", lambda: sign(claims(exp=T + 60.5)), "token-malformed"),
    ("iat a boolean", lambda: sign(claims(iat=True)), "token-malformed"),
    ("exp beyond year 9999", lambda: sign(claims(iat=T, exp=10**20)), "token-malformed"),
    (
        "exp near datetime.max",
        lambda: sign(claims(iat=253402300700, nbf=253402300700, exp=253402300790)),
        "token-malformed",
    ),
    ("negative iat", lambda: sign(claims(iat=-(10**20))), "token-malformed"),
]
for _claim in ("iss", "sub", "iat", "nbf", "exp", "jti"):
    CASES.append((f"no {_claim}", lambda c=_claim: sign(claims(**{c: _DROP})), "token-malformed"))
for _claim in ("sub", "jti"):
    CASES.append((f"empty {_claim}", lambda c=_claim: sign(claims(**{c: ""})), "token-malformed"))
    CASES.append(
        (f"{_claim} not a string", lambda c=_claim: sign(claims(**{c: 5})), "token-malformed")
    )


@pytest.mark.parametrize(
    ("token_factory", "code"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_each_rejection_has_its_own_code(token_factory: Callable[[], Any], code: str) -> None:
    error = rejection(token_factory())
    assert error.code == code
    assert isinstance(error, AuthenticationError)


def test_the_codes_are_distinct_per_kind_of_failure() -> None:
    codes = {code for _, _, code in CASES}
    assert codes == {
        "token-bad-signature",
        "token-algorithm-not-allowed",
        "token-unknown-key",
        "token-wrong-audience",
        "token-wrong-issuer",
        "token-lifetime-invalid",
        "token-malformed",
    }  # expiry and not-before are covered by the skew tests above


def test_key_whose_algorithm_differs_from_the_header_is_refused() -> None:
    keys = {NLD_KEY.kid: _trusted(NLD_KEY, "NLD", alg="EdDSA")}
    assert rejection(sign(claims()), keys=keys).code == "token-algorithm-not-allowed"


def test_no_trusted_keys_means_unknown_key() -> None:
    assert rejection(sign(claims()), keys={}).code == "token-unknown-key"


def test_verification_uses_only_the_pinned_public_key() -> None:
    """A ``jwk``/``jku`` header cannot bring its own key."""
    attacker = ec.generate_private_key(ec.SECP256R1())
    numbers = attacker.public_key().public_numbers()
    jwk = {
        "kty": "EC",
        "crv": "P-256",
        "x": b64url(numbers.x.to_bytes(32, "big")),
        "y": b64url(numbers.y.to_bytes(32, "big")),
    }
    token = jwt.encode(
        claims(),
        attacker,
        algorithm="ES256",
        headers={"kid": NLD_KEY.kid, "jwk": jwk, "jku": "https://evil.example/jwks.json"},
    )
    assert rejection(token).code == "token-bad-signature"


def test_error_messages_never_echo_the_token() -> None:
    for _name, factory, _code in CASES:
        token = factory()
        with pytest.raises(AuthenticationError) as info:
            verify(token)
        text = f"{info.value} {info.value!r}"
        if isinstance(token, str) and len(token) > 20:
            assert token not in text
            assert token.split(".")[1] not in text
            assert "alice" not in text  # the subject is not leaked either
