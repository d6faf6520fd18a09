"""Signed grants: round trip, one code per way a grant can be bad, skew, rotation, invariants.

Attack tokens (``alg: none``, HS256 keyed with the public key PEM, forged headers, tampered bodies)
are built by hand with base64, hmac and json from the standard library, and well-signed tokens over
arbitrary claims with PyJWT, so that the checks do not depend on the code under test.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from hypothesis import given, settings
from hypothesis import strategies as st

from access.errors import AccessError, AuthenticationError, PermissionDenied
from access.grants import (
    DENIED_CODES,
    GRANT_TYP_HEADER,
    MAX_GRANT_LIFETIME,
    MAX_SKEW,
    UNAUTHENTICATED_CODES,
    Grant,
    GrantDenied,
    GrantError,
    UNSAFE_decode_without_verification,
    audience_owner,
    enclave_audience,
    item_set_hash,
    sign_grant,
    transfer_audience,
    verify_grant,
)
from access.keys import SigningKey, generate_signing_key
from access.tokens import TrustedKey, issue_token
from tests.helpers.es256 import low_s

NOW = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
T = int(NOW.timestamp())
DAY = 86400
TRANSFER = "urn:clearance:transfer:NLD"
ENCLAVE = "urn:clearance:enclave:NLD"
RECIPIENT = bytes(range(1, 33))
ITEMS = ["scan-0001", "scan-0002", "scan-0003"]
ITEMS_HASH = hashlib.sha256(b"scan-0001\nscan-0002\nscan-0003").hexdigest()
JTI = "k3Jq0m6Yw1xZ8vB2nT4rLs9dQe"

NLD_KEY = generate_signing_key()
NLD_KEY_2 = generate_signing_key()  # rotation: a second active key of the same administration
GBR_KEY = generate_signing_key()
UNTRUSTED_KEY = generate_signing_key()


def _trusted(key: SigningKey, admin: str) -> TrustedKey:
    return TrustedKey(key.kid, admin, key.private_key.public_key())


KEYS = {
    NLD_KEY.kid: _trusted(NLD_KEY, "NLD"),
    NLD_KEY_2.kid: _trusted(NLD_KEY_2, "NLD"),
    GBR_KEY.kid: _trusted(GBR_KEY, "GBR"),
}


def never_revoked(jti: str) -> bool:
    return False


def make_grant(**overrides: Any) -> Grant:
    fields: dict[str, Any] = {
        "issuer_admin": "NLD",
        "subject": "alice",
        "audience": TRANSFER,
        "jti": JTI,
        "issued_at": NOW,
        "not_before": NOW,
        "expires_at": NOW + timedelta(days=30),
        "holding": "nld-cargo-2025",
        "holding_version": 3,
        "items_sha256": ITEMS_HASH,
        "operations": ("download",),
        "request": "req-42",
        "conditions": {"max_days": 30, "item_filter": None, "evaluation_only": False},
        "recipient_key": RECIPIENT,
    }
    fields.update(overrides)
    return Grant(**fields)


def claims(**overrides: Any) -> dict[str, Any]:
    """The claims of the default grant, written out by hand (not via ``to_claims``)."""
    base: dict[str, Any] = {
        "iss": "urn:clearance:admin:NLD",
        "sub": "alice",
        "aud": TRANSFER,
        "jti": JTI,
        "iat": T,
        "nbf": T,
        "exp": T + 30 * DAY,
        "clearance_grant": {
            "type": "ControlledAccessGrants",
            "holding": "nld-cargo-2025",
            "holding_version": 3,
            "items_sha256": ITEMS_HASH,
            "operations": ["download"],
            "request": "req-42",
            "conditions": {},
        },
        "cnf": {"c4gh_x25519": base64.b64encode(RECIPIENT).decode()},
    }
    for name, value in overrides.items():
        if value is _DROP:
            base.pop(name, None)
        else:
            base[name] = value
    return base


def body(**overrides: Any) -> dict[str, Any]:
    result = dict(claims()["clearance_grant"])
    result.update(overrides)
    return result


_DROP = object()


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64json(obj: Any) -> str:
    return b64url(json.dumps(obj).encode())


def pyjwt_sign(payload: Any, key: SigningKey = NLD_KEY, **header: Any) -> str:
    """A correctly ES256-signed token over arbitrary claims/bytes, PyJWT as independent signer."""
    headers = {"kid": key.kid, "typ": GRANT_TYP_HEADER, **header}
    raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return low_s(jwt.PyJWS().encode(raw, key.private_key, algorithm="ES256", headers=headers))


def raw_es256(header: dict[str, Any], payload_segment: str, key: SigningKey = NLD_KEY) -> str:
    """ES256 over ``header.payload`` by hand (cryptography + stdlib), raw r||s signature."""
    signing_input = f"{b64json(header)}.{payload_segment}"
    der = key.private_key.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256()))
    r, s = decode_dss_signature(der)
    return low_s(f"{signing_input}.{b64url(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}")


def verify(
    token: Any,
    *,
    keys: dict[str, TrustedKey] = KEYS,
    audience: str = TRANSFER,
    now: datetime = NOW,
    is_revoked: Callable[[str], bool] = never_revoked,
    holding: str | None = None,
    operation: str | None = None,
) -> Grant:
    return verify_grant(
        token,
        keys=keys,
        audience=audience,
        now=now,
        is_revoked=is_revoked,
        holding=holding,
        operation=operation,
    )


def rejection(token: Any, **kwargs: Any) -> AccessError:
    """What ``verify`` raises: only a GrantError or GrantDenied, and never echoing the token."""
    with pytest.raises(AccessError) as info:
        verify(token, **kwargs)
    error = info.value
    assert type(error) in (GrantError, GrantDenied)
    if isinstance(error, GrantError):
        assert isinstance(error, AuthenticationError)
        assert error.code in UNAUTHENTICATED_CODES
    else:
        assert isinstance(error, PermissionDenied)
        assert error.code in DENIED_CODES
    message = str(error)
    if isinstance(token, str) and token:
        assert token not in message
        for segment in token.split("."):
            if len(segment) > 12:
                assert segment not in message
    return error


def code_of(token: Any, **kwargs: Any) -> str:
    return rejection(token, **kwargs).code


def revoked_must_not_be_called(jti: str) -> bool:
    raise AssertionError("is_revoked must only be called after the signature and claims held")


# --- round trip ---------------------------------------------------------------------------------


def test_sign_and_verify_round_trip() -> None:
    grant = make_grant()
    token = sign_grant(grant, NLD_KEY)
    got = verify(token, holding="nld-cargo-2025", operation="download")
    assert got == grant
    assert got.conditions == grant.conditions
    assert got.recipient_key == RECIPIENT
    assert got.issuer == "urn:clearance:admin:NLD"
    header = jwt.get_unverified_header(token)
    assert header == {"alg": "ES256", "typ": GRANT_TYP_HEADER, "kid": NLD_KEY.kid}


def test_an_independent_verifier_accepts_our_signature_and_claims() -> None:
    token = sign_grant(make_grant(), NLD_KEY)
    decoded = jwt.decode(
        token,
        NLD_KEY.private_key.public_key(),
        algorithms=["ES256"],
        audience=TRANSFER,
        issuer="urn:clearance:admin:NLD",
        options={"verify_exp": False, "verify_iat": False, "verify_nbf": False},
    )
    expected = claims(
        clearance_grant=body(
            conditions={"max_days": 30, "item_filter": None, "evaluation_only": False}
        )
    )
    assert decoded == expected


def test_claims_round_trip_and_normalisation() -> None:
    grant = make_grant(
        issued_at=NOW.replace(microsecond=654321),
        not_before=NOW.replace(microsecond=654321),
        expires_at=(NOW + timedelta(days=2)).astimezone(timezone(timedelta(hours=2))),
        operations=["evaluate", "download"],
    )
    assert grant.issued_at == NOW and grant.issued_at.tzinfo is UTC
    assert grant.expires_at == NOW + timedelta(days=2)
    assert grant.operations == ("download", "evaluate")
    assert Grant.from_claims(grant.to_claims()) == grant
    assert grant.lifetime == timedelta(days=2)


def test_grant_is_immutable_and_detached_from_caller_conditions() -> None:
    conditions: dict[str, Any] = {"max_days": 5, "item_filter": {"op": "=", "args": [1, 1]}}
    grant = make_grant(conditions=conditions)
    conditions["max_days"] = 999
    conditions["item_filter"]["op"] = "<>"
    assert grant.conditions == {"max_days": 5, "item_filter": {"op": "=", "args": [1, 1]}}
    with pytest.raises(AttributeError):
        grant.holding = "other"  # type: ignore[misc]
    assert hash(grant) == hash(make_grant(conditions={"other": 1}))


def test_both_operations_grant_allows_each() -> None:
    token = sign_grant(make_grant(operations=("download", "evaluate")), NLD_KEY)
    assert verify(token, operation="download").allows("evaluate")
    assert verify(token, operation="evaluate").allows("download")


def test_enclave_grant_verifies_at_the_enclave_only() -> None:
    token = sign_grant(make_grant(audience=ENCLAVE, operations=("evaluate",)), NLD_KEY)
    assert verify(token, audience=ENCLAVE, operation="evaluate").audience == ENCLAVE
    assert code_of(token, audience=TRANSFER) == "grant-wrong-audience"


def test_audiences() -> None:
    assert transfer_audience("NLD") == TRANSFER
    assert enclave_audience("NLD") == ENCLAVE
    assert audience_owner(TRANSFER) == "NLD"
    assert audience_owner(ENCLAVE) == "NLD"
    assert audience_owner("urn:clearance:node:NLD") is None
    assert audience_owner("urn:clearance:transfer:nld") is None
    for bad in ("nld", "NL", "NLDX", " NLD", "NLD\n"):
        with pytest.raises(ValueError):
            transfer_audience(bad)


def test_error_codes_are_distinct_and_mapped_to_one_status_each() -> None:
    assert not UNAUTHENTICATED_CODES & DENIED_CODES
    assert len(UNAUTHENTICATED_CODES | DENIED_CODES) == 12
    assert issubclass(GrantError, AuthenticationError)
    assert issubclass(GrantDenied, PermissionDenied)


# --- algorithm allow-list, checked before any key is used ---------------------------------------


@pytest.mark.parametrize("alg", ["none", "None", "NONE", "nOnE"])
def test_alg_none_is_refused(alg: str) -> None:
    header = {"alg": alg, "typ": GRANT_TYP_HEADER, "kid": NLD_KEY.kid}
    token = f"{b64json(header)}.{b64json(claims())}."
    assert code_of(token, is_revoked=revoked_must_not_be_called) == "grant-algorithm-not-allowed"


@pytest.mark.parametrize("alg", ["HS256", "HS384", "HS512"])
def test_hmac_keyed_with_the_public_key_pem_is_refused(alg: str) -> None:
    """The classic confusion: a verifier that lets the token pick HMAC uses the PEM as secret."""
    pem = NLD_KEY.private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    header = {"alg": alg, "typ": GRANT_TYP_HEADER, "kid": NLD_KEY.kid}
    signing_input = f"{b64json(header)}.{b64json(claims())}"
    digest = getattr(hashlib, "sha" + alg[2:])
    mac = hmac.new(pem, signing_input.encode(), digest).digest()
    token = f"{signing_input}.{b64url(mac)}"
    assert code_of(token, is_revoked=revoked_must_not_be_called) == "grant-algorithm-not-allowed"


@pytest.mark.parametrize(
    "alg", ["RS256", "PS256", "ES384", "ES512", "ES256K", "EdDSA", "es256", "ES256 ", ""]
)
def test_every_other_algorithm_is_refused(alg: str) -> None:
    header = {"alg": alg, "typ": GRANT_TYP_HEADER, "kid": NLD_KEY.kid}
    token = f"{b64json(header)}.{b64json(claims())}.{b64url(secrets.token_bytes(64))}"
    assert code_of(token) == "grant-algorithm-not-allowed"


@pytest.mark.parametrize("alg", [_DROP, None, 256, ["ES256"], {"alg": "ES256"}])
def test_missing_or_non_string_alg_is_refused(alg: Any) -> None:
    header: dict[str, Any] = {"typ": GRANT_TYP_HEADER, "kid": NLD_KEY.kid}
    if alg is not _DROP:
        header["alg"] = alg
    token = f"{b64json(header)}.{b64json(claims())}.{b64url(secrets.token_bytes(64))}"
    assert code_of(token) == "grant-algorithm-not-allowed"


def test_algorithm_is_checked_before_the_key() -> None:
    header = {"alg": "HS256", "typ": GRANT_TYP_HEADER, "kid": "no-such-key"}
    token = f"{b64json(header)}.{b64json(claims())}.{b64url(b'x' * 32)}"
    assert code_of(token) == "grant-algorithm-not-allowed"


def test_trusted_key_on_another_curve_is_refused() -> None:
    p384 = ec.generate_private_key(ec.SECP384R1())
    keys = {"k384": TrustedKey("k384", "NLD", p384.public_key())}
    header = {"alg": "ES256", "typ": GRANT_TYP_HEADER, "kid": "k384"}
    token = f"{b64json(header)}.{b64json(claims())}.{b64url(secrets.token_bytes(64))}"
    assert code_of(token, keys=keys) == "grant-algorithm-not-allowed"


# --- keys: trust list and rotation --------------------------------------------------------------


def test_key_rotation_both_active_keys_verify() -> None:
    old = sign_grant(make_grant(), NLD_KEY)
    new = sign_grant(make_grant(), NLD_KEY_2)
    assert verify(old) == verify(new)
    assert jwt.get_unverified_header(old)["kid"] != jwt.get_unverified_header(new)["kid"]


def test_retired_key_is_unknown() -> None:
    token = sign_grant(make_grant(), NLD_KEY)
    retired = {kid: key for kid, key in KEYS.items() if kid != NLD_KEY.kid}
    assert code_of(token, keys=retired, is_revoked=revoked_must_not_be_called) == (
        "grant-unknown-key"
    )
    assert verify(sign_grant(make_grant(), NLD_KEY_2), keys=retired).issuer_admin == "NLD"


def test_untrusted_key_is_unknown() -> None:
    assert code_of(sign_grant(make_grant(), UNTRUSTED_KEY)) == "grant-unknown-key"


@pytest.mark.parametrize("kid", [_DROP, None, 7, "", "../../etc/passwd"])
def test_missing_or_odd_kid_is_unknown(kid: Any) -> None:
    header: dict[str, Any] = {"alg": "ES256", "typ": GRANT_TYP_HEADER}
    if kid is not _DROP:
        header["kid"] = kid
    token = f"{b64json(header)}.{b64json(claims())}.{b64url(secrets.token_bytes(64))}"
    assert code_of(token) == "grant-unknown-key"


def test_mapping_entry_under_the_wrong_kid_is_not_trusted() -> None:
    token = sign_grant(make_grant(), NLD_KEY)
    keys = {NLD_KEY.kid: _trusted(NLD_KEY_2, "NLD")}
    assert code_of(token, keys=keys) == "grant-unknown-key"


# --- signature ----------------------------------------------------------------------------------


def test_tampered_payload_fails_the_signature() -> None:
    token = sign_grant(make_grant(), NLD_KEY)
    header, _, signature = token.split(".")
    forged = claims(clearance_grant=body(holding="gbr-post-2024"))
    tampered = f"{header}.{b64json(forged)}.{signature}"
    assert code_of(tampered, is_revoked=revoked_must_not_be_called) == "grant-bad-signature"


def test_tampered_header_fails_the_signature() -> None:
    token = sign_grant(make_grant(), NLD_KEY)
    _, payload, signature = token.split(".")
    header = {"kid": NLD_KEY.kid, "typ": GRANT_TYP_HEADER, "alg": "ES256"}  # same, reordered
    assert code_of(f"{b64json(header)}.{payload}.{signature}") == "grant-bad-signature"


def test_tampered_signature_fails() -> None:
    token = sign_grant(make_grant(), NLD_KEY)
    head, payload, signature = token.split(".")
    raw = bytearray(base64.urlsafe_b64decode(signature + "=="))
    raw[10] ^= 0x01
    assert code_of(f"{head}.{payload}.{b64url(bytes(raw))}") == "grant-bad-signature"


def test_signature_by_another_trusted_key_under_this_kid_fails() -> None:
    genuine = sign_grant(make_grant(), NLD_KEY)
    other = sign_grant(make_grant(), GBR_KEY)
    head, payload, _ = genuine.split(".")
    assert code_of(f"{head}.{payload}.{other.split('.')[2]}") == "grant-bad-signature"


@pytest.mark.parametrize("length", [0, 32, 63, 65, 72])
def test_signature_of_the_wrong_length_fails(length: int) -> None:
    head, payload, _ = sign_grant(make_grant(), NLD_KEY).split(".")
    token = f"{head}.{payload}.{b64url(secrets.token_bytes(length))}"
    assert code_of(token) == "grant-bad-signature"


def test_der_signature_is_not_accepted_in_place_of_raw() -> None:
    head, payload, _ = sign_grant(make_grant(), NLD_KEY).split(".")
    der = NLD_KEY.private_key.sign(f"{head}.{payload}".encode(), ec.ECDSA(hashes.SHA256()))
    assert code_of(f"{head}.{payload}.{b64url(der)}") == "grant-bad-signature"


def test_zero_signature_fails() -> None:
    head, payload, _ = sign_grant(make_grant(), NLD_KEY).split(".")
    assert code_of(f"{head}.{payload}.{b64url(bytes(64))}") == "grant-bad-signature"


# --- issuer and audience ------------------------------------------------------------------------


def test_gbr_key_cannot_sign_for_nld() -> None:
    token = pyjwt_sign(claims(), GBR_KEY)
    assert code_of(token, is_revoked=revoked_must_not_be_called) == "grant-wrong-issuer"


def test_gbr_cannot_grant_access_to_nld_services() -> None:
    """Issuer and key agree (GBR), audience is NLD's: only NLD may grant for NLD's services."""
    token = pyjwt_sign(claims(iss="urn:clearance:admin:GBR"), GBR_KEY)
    assert code_of(token) == "grant-wrong-issuer"


@pytest.mark.parametrize("iss", ["urn:clearance:admin:nld", "NLD", "urn:clearance:admin:NLDX"])
def test_issuer_spellings_are_refused(iss: str) -> None:
    assert code_of(pyjwt_sign(claims(iss=iss))) == "grant-wrong-issuer"


@pytest.mark.parametrize("iss", [_DROP, None, 5, ["urn:clearance:admin:NLD"]])
def test_missing_issuer_is_malformed(iss: Any) -> None:
    assert code_of(pyjwt_sign(claims(iss=iss))) == "grant-malformed"


@pytest.mark.parametrize(
    "aud",
    [
        ENCLAVE,
        "urn:clearance:transfer:GBR",
        "urn:clearance:node:NLD",
        [TRANSFER],
        [TRANSFER, ENCLAVE],
        None,
        _DROP,
    ],
)
def test_wrong_audience(aud: Any) -> None:
    assert code_of(pyjwt_sign(claims(aud=aud)), is_revoked=revoked_must_not_be_called) == (
        "grant-wrong-audience"
    )


def test_a_bearer_token_of_the_same_key_is_not_a_grant() -> None:
    token = issue_token(
        NLD_KEY, user="alice", admin="NLD", audience=TRANSFER, now=NOW, ttl=timedelta(hours=1)
    )
    assert code_of(token) == "grant-malformed"


# --- time ---------------------------------------------------------------------------------------


def test_expiry_skew_boundaries() -> None:
    token = sign_grant(make_grant(expires_at=NOW + timedelta(hours=1)), NLD_KEY)
    exp = NOW + timedelta(hours=1)
    assert verify(token, now=exp - timedelta(seconds=1))
    assert verify(token, now=exp + timedelta(seconds=59))
    assert verify(token, now=exp + timedelta(seconds=59, microseconds=999_999))
    assert code_of(token, now=exp + MAX_SKEW) == "grant-expired"
    assert code_of(token, now=exp + timedelta(seconds=61)) == "grant-expired"
    assert code_of(token, now=exp + timedelta(days=400), is_revoked=revoked_must_not_be_called) == (
        "grant-expired"
    )


def test_not_before_skew_boundaries() -> None:
    nbf = NOW + timedelta(days=1)
    token = sign_grant(make_grant(not_before=nbf), NLD_KEY)
    assert verify(token, now=nbf - timedelta(seconds=59))
    assert verify(token, now=nbf - MAX_SKEW)
    assert code_of(token, now=nbf - timedelta(seconds=61)) == "grant-not-yet-valid"
    assert code_of(token, now=NOW, is_revoked=revoked_must_not_be_called) == "grant-not-yet-valid"


def test_issued_in_the_future_beyond_skew() -> None:
    ok = pyjwt_sign(claims(iat=T + 59, nbf=T + 59))
    assert verify(ok)
    late = pyjwt_sign(claims(iat=T + 61, nbf=T + 61))
    assert code_of(late) == "grant-not-yet-valid"


def test_is_expired_uses_no_skew() -> None:
    grant = make_grant(expires_at=NOW + timedelta(hours=1))
    assert not grant.is_expired(NOW + timedelta(minutes=59, seconds=59))
    assert grant.is_expired(NOW + timedelta(hours=1))
    assert grant.is_expired(NOW + timedelta(days=1))


@pytest.mark.parametrize(
    "times",
    [
        {"exp": T + 365 * DAY + 1},  # longer than MAX_GRANT_LIFETIME
        {"exp": T},  # exp == nbf
        {"exp": T - 1},  # exp before iat
        {"nbf": T - 1},  # valid before it was issued
        {"iat": T - 400 * DAY, "nbf": T - 400 * DAY, "exp": T + DAY},
    ],
)
def test_lifetime_invalid(times: dict[str, int]) -> None:
    token = pyjwt_sign(claims(**times))
    assert code_of(token, is_revoked=revoked_must_not_be_called) == "grant-lifetime-invalid"


def test_maximum_lifetime_is_accepted() -> None:
    assert verify(pyjwt_sign(claims(exp=T + 365 * DAY)))


@pytest.mark.parametrize("value", [_DROP, None, "1767225600", 1.5, float(T), True, -1, 2**32])
@pytest.mark.parametrize("name", ["iat", "nbf", "exp"])
def test_time_claims_must_be_integer_numeric_dates(name: str, value: Any) -> None:
    assert code_of(pyjwt_sign(claims(**{name: value}))) == "grant-malformed"


# --- revocation, holding, operation (403) -------------------------------------------------------


def test_revoked_grant_is_denied_after_verification() -> None:
    seen: list[str] = []

    def is_revoked(jti: str) -> bool:
        seen.append(jti)
        return True

    error = rejection(sign_grant(make_grant(), NLD_KEY), is_revoked=is_revoked)
    assert isinstance(error, GrantDenied) and isinstance(error, PermissionDenied)
    assert error.code == "grant-revoked"
    assert seen == [JTI]


@pytest.mark.parametrize("answer", [None, 1, "no", object()])
def test_revocation_lookup_fails_closed(answer: Any) -> None:
    token = sign_grant(make_grant(), NLD_KEY)
    assert code_of(token, is_revoked=lambda jti: answer) == "grant-revoked"


def test_revocation_lookup_errors_propagate() -> None:
    def broken(jti: str) -> bool:
        raise ConnectionError("database down")

    with pytest.raises(ConnectionError):
        verify(sign_grant(make_grant(), NLD_KEY), is_revoked=broken)


def test_wrong_holding_is_denied() -> None:
    error = rejection(sign_grant(make_grant(), NLD_KEY), holding="nld-post-2025")
    assert isinstance(error, GrantDenied) and error.code == "grant-wrong-holding"


def test_operation_not_allowed_is_denied() -> None:
    token = sign_grant(make_grant(audience=TRANSFER, operations=("evaluate",)), NLD_KEY)
    error = rejection(token, operation="download")
    assert isinstance(error, GrantDenied) and error.code == "grant-operation-not-allowed"
    assert verify(token, operation="evaluate").operations == ("evaluate",)


def test_caller_arguments_are_checked() -> None:
    token = sign_grant(make_grant(), NLD_KEY)
    with pytest.raises(ValueError):
        verify(token, operation="upload")
    with pytest.raises(ValueError):
        verify(token, audience="urn:clearance:node:NLD")
    with pytest.raises(ValueError):
        verify(token, now=NOW.replace(tzinfo=None))


# --- malformed ----------------------------------------------------------------------------------

GOOD_HEADER = {"alg": "ES256", "typ": GRANT_TYP_HEADER, "kid": NLD_KEY.kid}
GOOD = sign_grant(make_grant(), NLD_KEY)
H, P, S = GOOD.split(".")


@pytest.mark.parametrize(
    "token",
    [
        None,
        b"a.b.c",
        42,
        "",
        "abc",
        f"{H}.{P}",
        f"{H}.{P}.{S}.{S}",
        f"{H}..{P}.{S}",
        f"{H}=.{P}.{S}",
        f"{H}.{P}=.{S}",
        f"{H} .{P}.{S}",
        f"{H}.{P}.{S}\n",
        f"{H}.{P[:-1]}+.{S}",
        f"{H}.{P}.{S}é",
        "x" * 20000,
        f"{b64url(b'not json')}.{P}.{S}",
        f"{b64json([GOOD_HEADER])}.{P}.{S}",
        f"{b64url(b'{' + bytes([0xFF]) + b'}')}.{P}.{S}",
        f"{b64url(json.dumps(GOOD_HEADER).encode()[:-1])}.{P}.{S}",
        f"{b64url(b'[' * 5000)}.{P}.{S}",
    ],
)
def test_malformed_tokens(token: Any) -> None:
    assert code_of(token, is_revoked=revoked_must_not_be_called) == "grant-malformed"


def test_duplicate_header_member_is_malformed() -> None:
    raw = (
        '{"alg":"HS256","alg":"ES256","typ":"%s","kid":"%s"}' % (GRANT_TYP_HEADER, NLD_KEY.kid)  # noqa: UP031
    ).encode()
    assert code_of(f"{b64url(raw)}.{P}.{S}") == "grant-malformed"


def test_non_canonical_base64url_is_malformed() -> None:
    # 64 bytes are 86 characters: the last one carries 4 unused bits; set two of them
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    last = S[-1]
    twin = alphabet[alphabet.index(last) | 0b11] if alphabet.index(last) & 0b11 == 0 else None
    assert twin is not None  # canonical encoders leave the bits zero
    assert code_of(f"{H}.{P}.{S[:-1]}{twin}") == "grant-malformed"


@pytest.mark.parametrize(
    "header",
    [
        {"alg": "ES256", "kid": NLD_KEY.kid},
        {"alg": "ES256", "typ": "JWT", "kid": NLD_KEY.kid},
        {"alg": "ES256", "typ": "at+jwt", "kid": NLD_KEY.kid},
        {**GOOD_HEADER, "crit": ["exp"]},
        {**GOOD_HEADER, "b64": False, "crit": ["b64"]},
        {**GOOD_HEADER, "jku": "https://attacker.example/jwks.json"},
        {**GOOD_HEADER, "jwk": {"kty": "EC"}},
        {**GOOD_HEADER, "x5u": "https://attacker.example/cert.pem"},
    ],
)
def test_refused_headers_are_malformed(header: dict[str, Any]) -> None:
    """Correctly signed by a trusted key, and still refused: the header is checked first."""
    assert code_of(raw_es256(header, P)) == "grant-malformed"


@pytest.mark.parametrize(
    "payload",
    [
        b"not json",
        b"[]",
        b'"a string"',
        b"{}",
        b'{"iss":"urn:clearance:admin:NLD","iss":"urn:clearance:admin:NLD"}',
        b'{"iss": NaN}',
        b"\xff\xfe",
    ],
)
def test_correctly_signed_but_malformed_payloads(payload: bytes) -> None:
    assert code_of(pyjwt_sign(payload), is_revoked=revoked_must_not_be_called) == (
        "grant-malformed"
    )


def test_duplicate_claims_are_malformed_even_when_both_agree() -> None:
    raw = json.dumps(claims())[:-1] + ', "aud": "%s"}' % TRANSFER  # noqa: UP031
    assert code_of(pyjwt_sign(raw.encode())) == "grant-malformed"


def _non_canonical_key() -> str:
    """Base64 of RECIPIENT with the 2 unused bits of its last data character set."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    canonical = base64.b64encode(RECIPIENT).decode()
    assert canonical.endswith("=") and not canonical.endswith("==")
    twin = alphabet[alphabet.index(canonical[-2]) | 0b11]
    variant = canonical[:-2] + twin + "="
    assert variant != canonical and base64.b64decode(variant) == RECIPIENT
    return variant


NON_CANONICAL_KEY = _non_canonical_key()


@pytest.mark.parametrize(
    "overrides",
    [
        {"sub": _DROP},
        {"sub": ""},
        {"sub": "alice\nbob"},
        {"jti": _DROP},
        {"jti": "short"},
        {"jti": "x" * 21},
        {"jti": "has space in it, 22+ chars"},
        {"jti": 12345678901234567890123},
        {"cnf": _DROP},
        {"cnf": {}},
        {"cnf": {"jwk": {"kty": "OKP"}}},
        {"cnf": {"c4gh_x25519": base64.b64encode(bytes(31)).decode()}},
        {"cnf": {"c4gh_x25519": base64.b64encode(bytes(33)).decode()}},
        {"cnf": {"c4gh_x25519": base64.urlsafe_b64encode(b"\xff" * 32).decode()}},
        {"cnf": {"c4gh_x25519": "!" * 44}},
        {"cnf": {"c4gh_x25519": RECIPIENT.hex()}},
        {"cnf": {"c4gh_x25519": " " + base64.b64encode(RECIPIENT).decode()[1:]}},
        {"cnf": {"c4gh_x25519": NON_CANONICAL_KEY}},
        {"cnf": {"c4gh_x25519": base64.b64encode(RECIPIENT).decode()[:-1] + "A"}},
        {"cnf": {"c4gh_x25519": "é" * 44}},
        {"cnf": {"c4gh_x25519": base64.b64encode(RECIPIENT).decode(), "kid": "x"}},
        {"clearance_grant": _DROP},
        {"clearance_grant": "download"},
        {"clearance_grant": body(type="GA4GH")},
        {"clearance_grant": body(holding="")},
        {"clearance_grant": body(holding_version=-1)},
        {"clearance_grant": body(holding_version="3")},
        {"clearance_grant": body(holding_version=True)},
        {"clearance_grant": body(items_sha256="ab" * 31)},
        {"clearance_grant": body(items_sha256="AB" * 32)},
        {"clearance_grant": body(operations=[])},
        {"clearance_grant": body(operations="download")},
        {"clearance_grant": body(operations=["upload"])},
        {"clearance_grant": body(operations=["download", "download"])},
        {"clearance_grant": body(operations=[["download"]])},
        {"clearance_grant": body(operations=[{"download": True}])},
        {"clearance_grant": body(operations={"download": True})},
        {"clearance_grant": body(conditions=[])},
        {"clearance_grant": body(max_downloads=1)},
        {"clearance_grant": {k: v for k, v in body().items() if k != "request"}},
        {"scope": "everything"},
    ],
)
def test_invalid_claims_are_malformed(overrides: dict[str, Any]) -> None:
    token = pyjwt_sign(claims(**overrides))
    assert code_of(token, is_revoked=revoked_must_not_be_called) == "grant-malformed"


@given(
    position=st.integers(min_value=0, max_value=len(GOOD) - 1),
    replacement=st.characters(codec="ascii", exclude_characters="\x00"),
)
@settings(max_examples=300, deadline=None)
def test_any_single_character_change_is_refused_with_a_grant_code(
    position: int, replacement: str
) -> None:
    token = GOOD[:position] + replacement + GOOD[position + 1 :]
    if token == GOOD:
        return
    error = rejection(token, is_revoked=revoked_must_not_be_called)
    assert error.code in {
        "grant-malformed",
        "grant-algorithm-not-allowed",
        "grant-unknown-key",
        "grant-bad-signature",
    }


# --- invariants ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "overrides",
    [
        {"recipient_key": bytes(31)},
        {"recipient_key": bytes(33)},
        {"recipient_key": b""},
        {"recipient_key": base64.b64encode(RECIPIENT)},
        {"recipient_key": bytearray(RECIPIENT)},
        {"operations": ()},
        {"operations": ("upload",)},
        {"operations": ("download", "download")},
        {"operations": "download"},
        {"operations": (["download"],)},
        {"operations": ("evaluate", "evaluate")},
        {"expires_at": NOW + MAX_GRANT_LIFETIME + timedelta(seconds=1)},
        {"expires_at": NOW},
        {"expires_at": NOW - timedelta(days=1)},
        {"not_before": NOW - timedelta(seconds=1)},
        {"issued_at": NOW.replace(tzinfo=None)},
        {"items_sha256": "0" * 63},
        {"items_sha256": "g" * 64},
        {"items_sha256": ITEMS_HASH.upper()},
        {"audience": "urn:clearance:transfer:GBR"},
        {"audience": "urn:clearance:node:NLD"},
        {"issuer_admin": "nld"},
        {"jti": "too-short"},
        {"jti": "a" * 65},
        {"subject": ""},
        {"subject": "x" * 129},
        {"holding": ""},
        {"holding_version": -1},
        {"holding_version": True},
        {"holding_version": 1.0},
        {"request": ""},
        {"conditions": {"when": NOW}},
        {"conditions": {"x": float("nan")}},
        {"conditions": ["not", "an", "object"]},
    ],
)
def test_invariants(overrides: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        make_grant(**overrides)


def test_lifetime_bound_is_inclusive() -> None:
    assert make_grant(expires_at=NOW + MAX_GRANT_LIFETIME).lifetime == MAX_GRANT_LIFETIME


def test_grants_as_the_workflow_issues_them_verify() -> None:
    now = NOW.replace(microsecond=123456)
    grant = make_grant(
        jti=secrets.token_urlsafe(24),
        issued_at=now,
        not_before=now,
        expires_at=min(now + timedelta(days=400), now + timedelta(days=365)),
        items_sha256=item_set_hash(ITEMS),
    )
    assert verify(sign_grant(grant, NLD_KEY), now=now, holding=grant.holding) == grant


# --- item set hash ------------------------------------------------------------------------------


def test_item_set_hash_is_sha256_of_sorted_newline_joined_ids() -> None:
    ids = ["b-2", "a-1", "c-3"]
    expected = hashlib.sha256("\n".join(sorted(ids)).encode("utf-8")).hexdigest()
    assert item_set_hash(ids) == expected
    assert item_set_hash(reversed(ids)) == expected
    assert item_set_hash(ITEMS) == ITEMS_HASH
    assert item_set_hash(["only"]) == hashlib.sha256(b"only").hexdigest()
    assert item_set_hash(["é"]) == hashlib.sha256("é".encode()).hexdigest()


@pytest.mark.parametrize("ids", [[], ["a", "a"], ["a\nb"], ["a", ""], ["a\r"], "abc", [1]])
def test_item_set_hash_refuses_ambiguous_sets(ids: Any) -> None:
    with pytest.raises((ValueError, TypeError)):
        item_set_hash(ids)


# --- unverified display -------------------------------------------------------------------------


def test_unsafe_decode_for_display() -> None:
    shown = UNSAFE_decode_without_verification(sign_grant(make_grant(), UNTRUSTED_KEY))
    assert shown["verified"] is False
    assert shown["header"]["kid"] == UNTRUSTED_KEY.kid
    assert shown["claims"]["clearance_grant"]["holding"] == "nld-cargo-2025"
    with pytest.raises(GrantError) as info:
        UNSAFE_decode_without_verification("not-a-token")
    assert info.value.code == "grant-malformed"
