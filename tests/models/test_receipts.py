"""Receipts: round trip, tampering, swapped keys, wrong types, garbage; and an independent
verifier built from cryptography + json alone (the docs' snippet) accepting our receipts."""

from __future__ import annotations

import base64
import copy
import hashlib
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from hypothesis import given, settings
from hypothesis import strategies as st

from access import generate_signing_key
from models.errors import ReceiptInvalid
from models.metric_spec import Estimate, MetricSpec, Results
from models.receipts import (
    Evaluator,
    model_subject,
    receipt_predicate,
    sign_receipt,
    verify_receipt,
)
from models.release import Budget, ReleasePolicy, release

KEY = generate_signing_key()
OTHER = generate_signing_key()
JWKS = {"keys": [KEY.public_jwk()]}
MODEL_SHA = hashlib.sha256(b"model bytes").hexdigest()


def _predicate(**change: Any) -> dict[str, Any]:
    results = Results(
        {"map50": Estimate(0.7345, 0.69, 0.78, n=140), "ap50:9302": Estimate(0.9, 0.5, 1, n=3)},
        {"images": 123},
    )
    predicate = receipt_predicate(
        evaluation_id="ev-1", holding="NLD-parcels", holding_version=2,
        manifest_sha256=hashlib.sha256(b"manifest").hexdigest(), split="all",
        spec=MetricSpec("object-detection", ("map50", "ap50_per_class")),
        evaluator=Evaluator("clearance", "0.10.0", "1.20.1", "1.17.0"),
        released=release(results, ReleasePolicy()), budget=Budget(20, 3),
        at=datetime(2025, 3, 1, 10, 20, 30, tzinfo=UTC), issuer="NLD",
    )  # fmt: skip
    return {**predicate, **change}


def _signed(**change: Any) -> dict[str, Any]:
    return sign_receipt(_predicate(**change), model_subject("demo-detector", MODEL_SHA), KEY)


def _payload(envelope: dict[str, Any]) -> dict[str, Any]:
    return json.loads(base64.b64decode(envelope["payload"]))


def _with_payload(envelope: dict[str, Any], statement: dict[str, Any]) -> dict[str, Any]:
    raw = json.dumps(statement).encode()
    return {**envelope, "payload": base64.b64encode(raw).decode()}


def test_round_trip() -> None:
    envelope = _signed()
    verified = verify_receipt(json.dumps(envelope), JWKS, issuer="NLD")
    assert (verified.kid, verified.issuer, verified.model_sha256) == (KEY.kid, "NLD", MODEL_SHA)
    assert verified.predicate["released"]["values"]["map50"] == {
        "value": 0.73, "low": 0.69, "high": 0.78,
    }  # fmt: skip
    assert verified.predicate["released"]["suppressed"] == ["ap50:9302"]
    assert verified.predicate["time"] == "2025-03-01T10:20:30Z"
    assert verify_receipt(envelope, JWKS).model == "demo-detector"


def test_one_changed_value_fails() -> None:
    envelope = _signed()
    statement = _payload(envelope)
    statement["predicate"]["released"]["values"]["map50"]["value"] = 0.83
    with pytest.raises(ReceiptInvalid) as caught:
        verify_receipt(_with_payload(envelope, statement), JWKS)
    assert caught.value.reason == "bad-signature"


def test_swapped_key_and_unknown_key_fail() -> None:
    envelope = _signed()
    with pytest.raises(ReceiptInvalid) as caught:
        verify_receipt(envelope, {"keys": [OTHER.public_jwk()]})
    assert caught.value.reason == "unknown-key"
    # another key's JWK relabelled with the signer's kid: the thumbprint gives it away
    forged = {**OTHER.public_jwk(), "kid": KEY.kid}
    with pytest.raises(ReceiptInvalid) as caught:
        verify_receipt(envelope, {"keys": [forged]})
    assert caught.value.reason == "unknown-key"
    # signed by another key that names the trusted kid: the signature fails
    other = sign_receipt(_predicate(), model_subject("m", MODEL_SHA), OTHER)
    other["signatures"][0]["keyid"] = KEY.kid
    with pytest.raises(ReceiptInvalid) as caught:
        verify_receipt(other, JWKS)
    assert caught.value.reason == "bad-signature"


def test_wrong_payload_type_and_issuer_fail() -> None:
    envelope = _signed()
    with pytest.raises(ReceiptInvalid) as caught:
        verify_receipt({**envelope, "payloadType": "application/json"}, JWKS)
    assert caught.value.reason == "payload-type"
    with pytest.raises(ReceiptInvalid) as caught:
        verify_receipt(envelope, JWKS, issuer="GBR")
    assert caught.value.reason == "issuer"


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda e: e.update(extra=1), "malformed"),
        (lambda e: e["signatures"].append(copy.deepcopy(e["signatures"][0])), "malformed"),
        (lambda e: e.update(payload=e["payload"].rstrip("=") + "!"), "malformed"),
        (lambda e: e["signatures"][0].update(sig=e["signatures"][0]["sig"][:-4]), "bad-signature"),
        (lambda e: e.update(signatures=[]), "malformed"),
    ],
)
def test_envelope_shape(change: Any, reason: str) -> None:
    envelope = _signed()
    change(envelope)
    with pytest.raises(ReceiptInvalid) as caught:
        verify_receipt(envelope, JWKS)
    assert caught.value.reason == reason


@pytest.mark.parametrize(
    "change",
    [
        {"holding_version": "2"},
        {"time": "2025-03-01 10:20:30"},
        {"issuer": "nl"},
        {"metric_spec": {"task": "x"}},
        {"budget": {"spent": -1, "total": 20}},
        {"evaluator": {"name": "x"}},
        {"released": {"values": {}, "suppressed": ["map50"], "counts": {}, "grid": 0.01}},
        {"surprise": True},
    ],
)
def test_a_bad_predicate_is_never_signed(change: dict[str, Any]) -> None:
    with pytest.raises(ReceiptInvalid) as caught:
        _signed(**change)
    assert caught.value.reason == "predicate"


def test_a_signed_statement_of_another_type_fails() -> None:
    """Signed correctly, but not our predicate type: refused after the signature."""
    statement = _payload(_signed())
    statement["predicateType"] = "https://slsa.dev/provenance/v1"
    payload = json.dumps(statement).encode()
    from access import sign_raw
    from models.receipts import PAYLOAD_TYPE, pae

    signature = sign_raw(KEY.private_key, pae(PAYLOAD_TYPE, payload))
    envelope = {
        "payloadType": PAYLOAD_TYPE, "payload": base64.b64encode(payload).decode(),
        "signatures": [{"keyid": KEY.kid, "sig": base64.b64encode(signature).decode()}],
    }  # fmt: skip
    with pytest.raises(ReceiptInvalid) as caught:
        verify_receipt(envelope, JWKS)
    assert caught.value.reason == "statement"


@settings(max_examples=200, deadline=None)
@given(
    st.one_of(
        st.binary(max_size=300),
        st.text(max_size=300),
        st.recursive(
            st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
            lambda inner: (
                st.lists(inner, max_size=4)
                | st.dictionaries(
                    st.sampled_from(["payload", "payloadType", "signatures", "keyid", "sig", "x"]),
                    inner,
                    max_size=4,
                )
            ),
            max_leaves=12,
        ),
    )
)
def test_garbage_raises_only_receipt_invalid(garbage: object) -> None:
    with pytest.raises(ReceiptInvalid):
        verify_receipt(garbage, JWKS)


def test_oversized_input_is_refused_before_parsing() -> None:
    with pytest.raises(ReceiptInvalid, match="larger"):
        verify_receipt(" " * (300 * 1024), JWKS)


def third_party_verify(envelope: dict[str, Any], jwks: dict[str, Any]) -> dict[str, Any]:
    """The docs' verifier: cryptography + json + base64 only, no Clearance code."""
    payload = base64.b64decode(envelope["payload"], validate=True)
    kind = envelope["payloadType"].encode()
    assert envelope["payloadType"] == "application/vnd.in-toto+json"
    pae = b"DSSEv1 %d %b %d %b" % (len(kind), kind, len(payload), payload)
    (sig,) = envelope["signatures"]
    (jwk,) = [k for k in jwks["keys"] if k["kid"] == sig["keyid"]]

    def number(field: str) -> int:
        return int.from_bytes(base64.urlsafe_b64decode(jwk[field] + "=="), "big")

    key = ec.EllipticCurvePublicNumbers(number("x"), number("y"), ec.SECP256R1()).public_key()
    raw = base64.b64decode(sig["sig"], validate=True)
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    key.verify(der, pae, ec.ECDSA(hashes.SHA256()))  # raises InvalidSignature
    statement = json.loads(payload)
    assert statement["predicateType"] == "https://clearance.example/evaluation-receipt/v1"
    return statement["predicate"]


def test_third_party_verifier_agrees() -> None:
    envelope = _signed()
    assert third_party_verify(envelope, JWKS) == verify_receipt(envelope, JWKS).predicate
    statement = _payload(envelope)
    statement["predicate"]["budget"]["spent"] = 0
    with pytest.raises(InvalidSignature):
        third_party_verify(_with_payload(envelope, statement), JWKS)
