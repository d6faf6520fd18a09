"""Client-side grant verification as policy values: each refuses what it should, the bypass of
the revocation check is explicit, and the composition keeps the first refusal."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from access.grant_policy import (
    AllOf,
    AllowsOperation,
    AnyOf,
    Audience,
    BoundTo,
    ForHolding,
    Issuer,
    NotRevoked,
    UnsafeNoRevocationCheck,
    read_jwks,
    trusted_keys,
    verify,
)
from access.grants import Grant, GrantDenied, GrantError, sign_grant
from access.keys import generate_signing_key, public_jwk

NOW = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
TRANSFER = "urn:clearance:transfer:NLD"
ENCLAVE = "urn:clearance:enclave:NLD"
RECIPIENT = bytes(range(1, 33))
NLD_KEY = generate_signing_key()
GBR_KEY = generate_signing_key()
JWKS = {"keys": [public_jwk(NLD_KEY.private_key.public_key(), NLD_KEY.kid)]}


def _grant(**overrides: Any) -> Grant:
    fields: dict[str, Any] = {
        "issuer_admin": "NLD",
        "subject": "alice",
        "audience": TRANSFER,
        "jti": "k3Jq0m6Yw1xZ8vB2nT4rLs9dQe",
        "issued_at": NOW,
        "not_before": NOW,
        "expires_at": NOW + timedelta(days=30),
        "holding": "NLD-cargo",
        "holding_version": 3,
        "items_sha256": "0" * 64,
        "operations": ("download",),
        "request": "req-42",
        "conditions": {},
        "recipient_key": RECIPIENT,
    }
    fields.update(overrides)
    return Grant(**fields)


def _token(**overrides: Any) -> str:
    return sign_grant(_grant(**overrides), NLD_KEY)


def _verify(token: str, *policies: Any) -> Grant:
    return verify(token, keys=trusted_keys(JWKS, "NLD"), now=NOW, policy=AllOf(*policies))


UNSAFE = UnsafeNoRevocationCheck()


def test_a_grant_that_satisfies_every_policy() -> None:
    grant = _verify(
        _token(),
        Issuer("NLD"),
        Audience(TRANSFER),
        ForHolding("NLD-cargo"),
        AllowsOperation("download"),
        BoundTo(RECIPIENT),
        NotRevoked(lambda jti: False),
    )
    assert grant == _grant()


@pytest.mark.parametrize(
    ("policy", "error", "code"),
    [
        (Issuer("GBR"), GrantError, "grant-wrong-issuer"),
        (Audience(ENCLAVE), GrantError, "grant-wrong-audience"),
        (ForHolding("NLD-other"), GrantDenied, "grant-wrong-holding"),
        (AllowsOperation("evaluate"), GrantDenied, "grant-operation-not-allowed"),
        (BoundTo(bytes(32)), GrantDenied, "grant-other-key"),
        (NotRevoked(lambda jti: True), GrantDenied, "grant-revoked"),
    ],
)
def test_each_policy_refuses_what_it_should(policy: Any, error: type, code: str) -> None:
    stance = [] if isinstance(policy, NotRevoked) else [UNSAFE]
    with pytest.raises(error) as caught:
        _verify(_token(), policy, *stance)
    assert caught.value.code == code


def test_not_revoked_fails_closed_and_sees_the_jti() -> None:
    seen: list[str] = []

    def lookup(jti: str) -> bool:
        seen.append(jti)
        return None  # type: ignore[return-value]  # anything but False counts as revoked

    with pytest.raises(GrantDenied):
        _verify(_token(), NotRevoked(lookup))
    assert seen == ["k3Jq0m6Yw1xZ8vB2nT4rLs9dQe"]


def test_the_revocation_stance_is_explicit_and_single() -> None:
    with pytest.raises(ValueError, match="revocation"):
        AllOf(Audience(TRANSFER))
    with pytest.raises(ValueError, match="revocation"):
        AllOf(UNSAFE, NotRevoked(lambda jti: False))
    with pytest.raises(TypeError):
        verify(_token(), keys=trusted_keys(JWKS, "NLD"), now=NOW, policy=Audience(TRANSFER))  # type: ignore[arg-type]
    assert _verify(_token(), UNSAFE).jti == "k3Jq0m6Yw1xZ8vB2nT4rLs9dQe"


def test_all_of_keeps_the_first_refusal_any_of_needs_one() -> None:
    with pytest.raises(GrantError) as caught:
        _verify(_token(), Audience(ENCLAVE), AllowsOperation("evaluate"), UNSAFE)
    assert caught.value.code == "grant-wrong-audience"
    services = AnyOf(Audience(ENCLAVE), Audience(TRANSFER))
    assert _verify(_token(), services, UNSAFE).audience == TRANSFER
    with pytest.raises(GrantError) as caught:
        _verify(_token(audience=ENCLAVE), AnyOf(Audience(TRANSFER)), UNSAFE)
    assert caught.value.code == "grant-wrong-audience"
    with pytest.raises(ValueError):
        AnyOf()


def test_policies_check_their_own_arguments() -> None:
    with pytest.raises(ValueError):
        Audience("urn:clearance:admin:NLD")
    with pytest.raises(ValueError):
        AllowsOperation("delete")


def test_the_envelope_is_checked_before_any_policy() -> None:
    called: list[str] = []
    revoked = NotRevoked(lambda jti: called.append(jti) or False)
    expired = _token(expires_at=NOW - timedelta(days=1), issued_at=NOW - timedelta(days=2),
                     not_before=NOW - timedelta(days=2))  # fmt: skip
    with pytest.raises(GrantError) as caught:
        _verify(expired, revoked)
    assert caught.value.code == "grant-expired"
    other = sign_grant(_grant(), GBR_KEY)
    with pytest.raises(GrantError) as caught:
        _verify(other, revoked)
    assert caught.value.code == "grant-unknown-key"
    assert called == []


def test_trusted_keys_built_one_way(tmp_path: Path) -> None:
    broken = [{"kid": "x"}, {"kty": "EC"}, "not a key"]
    keys = trusted_keys(
        {"keys": [*broken, public_jwk(NLD_KEY.private_key.public_key(), NLD_KEY.kid)]}, "NLD"
    )
    assert list(keys) == [NLD_KEY.kid]
    assert keys[NLD_KEY.kid].admin == "NLD"
    assert trusted_keys({"keys": "nope"}, "NLD") == {}
    assert trusted_keys({}, "NLD") == {}
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps(JWKS))
    assert read_jwks(path) == JWKS
    path.write_text('{"keys": [], "keys": []}')
    with pytest.raises(ValueError, match="twice"):
        read_jwks(path)
    path.write_text("[]")
    with pytest.raises(ValueError, match="not a JWKS"):
        read_jwks(path)
