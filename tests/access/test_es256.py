"""Low-``s`` ES256 (issue 8): every signature the node makes has ``s ≤ n/2`` and every verifier
refuses the mirrored spelling (r, n − s), which plain ECDSA accepts — grants (and through the
same envelope manifests: tests/transfer/test_manifest.py), user tokens, audit heads."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from access.audit_chain import HEAD_TYP, SignedPoint, sign_point, verify_point
from access.errors import AuthenticationError
from access.es256 import P256_ORDER, is_low_s, sign_raw, verify_raw
from access.grants import GrantError, sign_grant, verify_grant
from access.keys import generate_signing_key
from access.tokens import TrustedKey, issue_token, verify_token
from tests.access.test_grants import KEYS as GRANT_KEYS
from tests.access.test_grants import NLD_KEY, TRANSFER, make_grant
from tests.access.test_grants import NOW as GRANT_NOW
from tests.helpers.es256 import mirrored, s_of

NOW = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
HALF = P256_ORDER // 2
ROUNDS = 64  # a signer without the rule gives a high s half the time: 2^-64 to pass by luck


def _plain_ecdsa_accepts(token: str, public: ec.EllipticCurvePublicKey) -> None:
    """The mirrored signature is a valid ECDSA signature: only the low-s rule refuses it."""
    head, payload, signature = token.split(".")
    raw = base64.urlsafe_b64decode(signature + "==")
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    public.verify(der, f"{head}.{payload}".encode(), ec.ECDSA(hashes.SHA256()))


def test_raw_signatures_are_always_low_s_and_high_s_is_refused() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    for n in range(ROUNDS):
        data = f"message {n}".encode()
        signature = sign_raw(key, data)
        assert is_low_s(signature) and verify_raw(key.public_key(), data, signature)
        r, s = signature[:32], int.from_bytes(signature[32:], "big")
        high = r + (P256_ORDER - s).to_bytes(32, "big")
        assert not is_low_s(high) and not verify_raw(key.public_key(), data, high)


def test_a_grant_with_mirrored_s_is_refused() -> None:
    for _ in range(ROUNDS):
        token = sign_grant(make_grant(), NLD_KEY)
        assert s_of(token) <= HALF
        twin = mirrored(token)
        _plain_ecdsa_accepts(twin, NLD_KEY.private_key.public_key())
        with pytest.raises(GrantError) as caught:
            verify_grant(
                twin, keys=GRANT_KEYS, audience=TRANSFER, now=GRANT_NOW, is_revoked=lambda _: False
            )
        assert caught.value.code == "grant-bad-signature"


def test_a_user_token_with_mirrored_s_is_refused() -> None:
    key = generate_signing_key()
    keys = {key.kid: TrustedKey(key.kid, "NLD", key.private_key.public_key())}
    aud = "urn:clearance:node:test"
    for _ in range(ROUNDS):
        token = issue_token(
            key, user="alice", admin="NLD", audience=aud, now=NOW, ttl=timedelta(hours=1)
        )
        assert s_of(token) <= HALF
        assert verify_token(token, keys=keys, audience=aud, now=NOW).subject == "alice"
        twin = mirrored(token)
        _plain_ecdsa_accepts(twin, key.private_key.public_key())
        with pytest.raises(AuthenticationError) as caught:
            verify_token(twin, keys=keys, audience=aud, now=NOW)
        assert caught.value.code == "token-bad-signature"


def test_an_audit_head_with_mirrored_s_is_refused() -> None:
    key = generate_signing_key()
    public = key.private_key.public_key()
    for seq in range(ROUNDS):
        token = sign_point(key, typ=HEAD_TYP, seq=seq, hash="0" * 64, now=NOW)
        assert s_of(token) <= HALF
        assert isinstance(verify_point(token, typ=HEAD_TYP, key=public), SignedPoint)
        assert not isinstance(verify_point(mirrored(token), typ=HEAD_TYP, key=public), SignedPoint)
