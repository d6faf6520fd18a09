"""Signed evaluation receipts: an in-toto Statement v1 in a DSSE envelope, ES256. Pure.

A receipt states that the administration owning a holding evaluated the model with SHA-256
``subject.digest.sha256`` on a given version of the holding and released exactly these values::

    {"payloadType": "application/vnd.in-toto+json",
     "payload": base64(statement JSON),
     "signatures": [{"keyid": <RFC 7638 thumbprint of the administration's key>,
                     "sig": base64(ES256 r || s over PAE(payloadType, payload))}]}

``PAE`` is DSSE v1's pre-authentication encoding, ``b"DSSEv1 %d %s %d %s"`` of the type and
payload lengths and bytes. The keys are those the node publishes as JWKS
(``/administrations/{admin}/jwks.json``), so a third party needs nothing but those keys,
``cryptography`` and ``json`` to check a receipt (docs/enclave.md shows how).

Why not securesystemslib's ``dsse.Envelope`` and ``Key``: its ECDSA keys sign DER signatures
under their own key ids and key format, not JWK thumbprints and the raw ``r || s`` of ES256 that
every other signature of Clearance uses (one spelling each, low ``s``: ``access.es256``); and its
``from_dict`` takes any extra member and mutates its input. PAE is one line, the signature goes
through ``access.es256``; the Statement's shape is checked with in-toto-attestation (loaded only
when a receipt is verified), plus the exact members this predicate allows.

Verification is strict and ordered; any failure is :class:`ReceiptInvalid` with a ``reason``:
``malformed`` (size, JSON, members, base64), ``payload-type``, ``unknown-key`` (no key of the
given JWKS has that ``kid`` as its thumbprint), ``bad-signature``, ``statement`` (type, subject,
predicate type), ``predicate`` (its members and their types), ``issuer`` (not the one expected).
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from access import (
    SigningKey,
    json_object,
    jwk_thumbprint,
    parse_admin_code,
    sign_raw,
    trusted_keys,
    utc_text,
    verify_raw,
)
from models.errors import MetricSpecError, ReceiptInvalid
from models.metric_spec import MetricSpec, parse_metric_spec
from models.release import Budget, Released

__all__ = [
    "MAX_RECEIPT_BYTES",
    "PAYLOAD_TYPE",
    "PREDICATE_TYPE",
    "STATEMENT_TYPE",
    "DraftSigner",
    "Evaluator",
    "VerifiedReceipt",
    "model_subject",
    "pae",
    "receipt_predicate",
    "sign_receipt",
    "unverified_issuer",
    "verify_receipt",
]

PAYLOAD_TYPE: Final = "application/vnd.in-toto+json"
STATEMENT_TYPE: Final = "https://in-toto.io/Statement/v1"
PREDICATE_TYPE: Final = "https://clearance.example/evaluation-receipt/v1"
MAX_RECEIPT_BYTES: Final = 256 * 1024
_SHA256: Final = re.compile(r"^[0-9a-f]{64}$")
_TIME: Final = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?Z$")
_ENVELOPE: Final = frozenset({"payload", "payloadType", "signatures"})
_PREDICATE: Final[dict[str, type]] = {
    "evaluation_id": str, "holding": str, "holding_version": int,
    "dataset_manifest_sha256": str, "split": str, "metric_spec": dict, "evaluator": dict,
    "released": dict, "budget": dict, "time": str, "issuer": str,
}  # fmt: skip
_EVALUATOR: Final = frozenset({"name", "version", "onnxruntime", "onnx"})
_RELEASED: Final = frozenset({"values", "suppressed", "counts", "grid"})


@dataclass(frozen=True)
class VerifiedReceipt:
    kid: str
    issuer: str
    model: str  # the subject's name
    model_sha256: str
    predicate: dict[str, Any]


@dataclass(frozen=True)
class Evaluator:
    """What scored the model: Clearance's name and version, and the runtime's versions."""

    name: str
    version: str
    onnxruntime: str
    onnx: str


def model_subject(name: str, sha256: str) -> dict[str, Any]:
    """The Statement's subject: the model, by name (or id) and SHA-256 of its ONNX bytes."""
    return {"name": name, "digest": {"sha256": sha256}}


def receipt_predicate(
    *,
    evaluation_id: str,
    holding: str,
    holding_version: int,
    manifest_sha256: str,
    split: str,
    spec: MetricSpec,
    evaluator: Evaluator,
    released: Released,
    budget: Budget,
    at: datetime,
    issuer: str,
) -> dict[str, Any]:
    """The predicate of one release, in the member names verifiers expect."""
    return {
        "evaluation_id": evaluation_id,
        "holding": holding,
        "holding_version": holding_version,
        "dataset_manifest_sha256": manifest_sha256,
        "split": split,
        "metric_spec": spec.as_json(),
        "evaluator": {
            "name": evaluator.name,
            "version": evaluator.version,
            "onnxruntime": evaluator.onnxruntime,
            "onnx": evaluator.onnx,
        },
        "released": released.as_json(),
        "budget": {"spent": budget.spent, "total": budget.total},
        "time": utc_text(at.astimezone(UTC), "seconds"),
        "issuer": issuer,
    }


def pae(payload_type: str, payload: bytes) -> bytes:
    """DSSE v1 pre-authentication encoding: what the signature covers."""
    kind = payload_type.encode("utf-8")
    return b"DSSEv1 %d %b %d %b" % (len(kind), kind, len(payload), payload)


def _canonical(obj: Mapping[str, Any]) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), allow_nan=False).encode()


def sign_receipt(
    predicate: Mapping[str, Any], subject: Mapping[str, Any], key: SigningKey
) -> dict[str, Any]:
    """The DSSE envelope of the Statement about ``subject`` (``{"name", "digest": {"sha256"}}``)
    with ``predicate``, signed with the owning administration's ``key``. The predicate is checked
    as a verifier would check it first (:class:`ReceiptInvalid` otherwise)."""
    statement = {
        "_type": STATEMENT_TYPE,
        "subject": [dict(subject)],
        "predicateType": PREDICATE_TYPE,
        "predicate": dict(predicate),
    }
    _check_statement(statement)
    payload = _canonical(statement)
    signature = sign_raw(key.private_key, pae(PAYLOAD_TYPE, payload))
    return {
        "payloadType": PAYLOAD_TYPE,
        "payload": base64.b64encode(payload).decode("ascii"),
        "signatures": [{"keyid": key.kid, "sig": base64.b64encode(signature).decode("ascii")}],
    }


@dataclass(frozen=True)
class DraftSigner:
    """Signs a runner's receipt draft at the moment of release (``EvaluationRows``' signer): the
    budget as just spent, the release time and the issuer go in now, then the owner's key signs."""

    key_of: Callable[[str], SigningKey]

    def sign(
        self, owner: str, draft: Mapping[str, Any], budget: tuple[int, int], at: datetime
    ) -> dict[str, Any]:
        spent, total = budget
        predicate = {
            **draft["predicate"],
            "budget": {"spent": spent, "total": total},
            "time": utc_text(at.astimezone(UTC), "seconds"),
            "issuer": owner,
        }
        return sign_receipt(predicate, draft["subject"], self.key_of(owner))


# --- verification ------------------------------------------------------------------------------


def _fail(reason: str, message: str) -> ReceiptInvalid:
    return ReceiptInvalid(reason, f"receipt {message}")


def _b64(text: object, what: str) -> bytes:
    """Standard padded base64, strict (one spelling per byte string)."""
    if not isinstance(text, str) or not text.isascii():
        raise _fail("malformed", f"{what} is not base64")
    try:
        data = binascii.a2b_base64(text.encode("ascii"), strict_mode=True)
    except binascii.Error:
        raise _fail("malformed", f"{what} is not base64") from None
    if base64.b64encode(data).decode("ascii") != text:
        raise _fail("malformed", f"{what} is not canonical base64")
    return data


def _envelope(raw: object) -> dict[str, Any]:
    if isinstance(raw, bytes | str):
        size = len(raw) if isinstance(raw, bytes) else len(raw.encode("utf-8", "replace"))
        if size > MAX_RECEIPT_BYTES:
            raise _fail("malformed", f"is larger than {MAX_RECEIPT_BYTES} bytes")
        try:
            raw = json_object(raw)
        except (ValueError, RecursionError):
            raise _fail("malformed", "is not one JSON object") from None
    if not isinstance(raw, dict) or set(raw) != _ENVELOPE:
        raise _fail("malformed", f"must be a DSSE envelope with exactly {sorted(_ENVELOPE)}")
    if raw["payloadType"] != PAYLOAD_TYPE:
        raise _fail("payload-type", f"payloadType must be {PAYLOAD_TYPE}")
    return raw


def _signature(envelope: Mapping[str, Any]) -> tuple[str, bytes]:
    signatures = envelope["signatures"]
    if not isinstance(signatures, list) or len(signatures) != 1:
        raise _fail("malformed", "must carry exactly one signature")
    entry = signatures[0]
    if not isinstance(entry, dict) or set(entry) != {"keyid", "sig"}:
        raise _fail("malformed", "signature must have exactly keyid and sig")
    if not isinstance(entry["keyid"], str) or not 0 < len(entry["keyid"]) <= 128:
        raise _fail("malformed", "signature keyid must be a short string")
    return entry["keyid"], _b64(entry["sig"], "signature")


def _check_signature(envelope: Mapping[str, Any], jwks: object) -> tuple[str, bytes]:
    kid, signature = _signature(envelope)
    payload = _b64(envelope["payload"], "payload")
    keys = trusted_keys(jwks if isinstance(jwks, Mapping) else {}, "issuer")
    key = keys.get(kid)
    if key is None or jwk_thumbprint(key.public_key) != kid:
        raise _fail("unknown-key", "is signed with a key that is not in the given JWKS")
    if not verify_raw(key.public_key, pae(PAYLOAD_TYPE, payload), signature):
        raise _fail("bad-signature", "signature does not verify")
    return kid, payload


def _exact(obj: object, names: frozenset[str], reason: str, what: str) -> dict[str, Any]:
    if not isinstance(obj, dict) or set(obj) != names:
        raise _fail(reason, f"{what} must have exactly the members {sorted(names)}")
    return obj


def _check_statement(statement: Mapping[str, Any]) -> None:
    members = frozenset({"_type", "subject", "predicateType", "predicate"})
    _exact(statement, members, "statement", "statement")
    if statement["_type"] != STATEMENT_TYPE or statement["predicateType"] != PREDICATE_TYPE:
        raise _fail("statement", f"must be an in-toto Statement v1 of type {PREDICATE_TYPE}")
    subjects = statement["subject"]
    if not isinstance(subjects, list) or len(subjects) != 1:
        raise _fail("statement", "must have exactly one subject (the model)")
    subject = _exact(subjects[0], frozenset({"name", "digest"}), "statement", "subject")
    digest = _exact(subject["digest"], frozenset({"sha256"}), "statement", "subject digest")
    if not isinstance(subject["name"], str) or not 0 < len(subject["name"]) <= 256:
        raise _fail("statement", "subject name must be a string of 1 to 256 characters")
    if not isinstance(digest["sha256"], str) or not _SHA256.match(digest["sha256"]):
        raise _fail("statement", "subject digest must be a lowercase hex SHA-256")
    _check_predicate(statement["predicate"])


def _check_predicate(predicate: object) -> None:
    body = _exact(predicate, frozenset(_PREDICATE), "predicate", "predicate")
    for name, kind in _PREDICATE.items():
        value = body[name]
        if not isinstance(value, kind) or isinstance(value, bool):
            raise _fail("predicate", f"predicate {name} must be a {kind.__name__}")
    if not _SHA256.match(body["dataset_manifest_sha256"]) or not _TIME.match(body["time"]):
        raise _fail("predicate", "predicate manifest hash or time is not well formed")
    try:
        datetime.fromisoformat(body["time"])
        parse_admin_code(body["issuer"])
        parse_metric_spec(body["metric_spec"])
    except (ValueError, MetricSpecError):
        raise _fail("predicate", "predicate time, issuer or metric spec is not valid") from None
    evaluator = _exact(body["evaluator"], _EVALUATOR, "predicate", "predicate evaluator")
    if not all(isinstance(v, str) for v in evaluator.values()):
        raise _fail("predicate", "predicate evaluator members must be strings")
    _check_released(body["released"], body["budget"])


def _number(value: object) -> bool:
    if value is None:
        return True
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _check_released(released: object, budget: object) -> None:
    body = _exact(released, _RELEASED, "predicate", "predicate released")
    values = body["values"]
    if not isinstance(values, dict) or not isinstance(body["suppressed"], list):
        raise _fail("predicate", "released values must be an object and suppressed a list")
    for value in values.values():
        entry = _exact(value, frozenset({"value", "low", "high"}), "predicate", "a released value")
        if not all(_number(v) for v in entry.values()):
            raise _fail("predicate", "a released value must hold numbers or null")
    if not all(isinstance(name, str) and name in values for name in body["suppressed"]):
        raise _fail("predicate", "suppressed must name released values")
    counts = body["counts"]
    if not isinstance(counts, dict) or not all(_number(c) or c == "<10" for c in counts.values()):
        raise _fail("predicate", "released counts must be numbers or '<10'")
    if not _number(body["grid"]):
        raise _fail("predicate", "released grid must be a number")
    spent = _exact(budget, frozenset({"spent", "total"}), "predicate", "predicate budget")
    if not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in spent.values()):
        raise _fail("predicate", "budget spent and total must be counts")


def _statement(payload: bytes) -> dict[str, Any]:
    try:
        statement = json_object(payload)
    except (ValueError, RecursionError):
        raise _fail("statement", "payload is not one JSON object") from None
    _check_statement(statement)
    _in_toto_validate(statement)
    return statement


def _in_toto_validate(statement: Mapping[str, Any]) -> None:
    """The in-toto-attestation library's own check of the Statement (parsed into its proto)."""
    from google.protobuf import json_format
    from in_toto_attestation.v1 import statement_pb2
    from in_toto_attestation.v1.statement import Statement

    try:
        proto = json_format.ParseDict(statement, statement_pb2.Statement())
        Statement.copy_from_pb(proto).validate()
    except (json_format.ParseError, ValueError):
        raise _fail("statement", "is not a valid in-toto Statement v1") from None


def verify_receipt(
    envelope: object, jwks: Mapping[str, Any], *, issuer: str | None = None
) -> VerifiedReceipt:
    """The receipt's content once it verifies against ``jwks`` (the issuing administration's
    keys, ``{"keys": [JWK, ...]}``); ``issuer``, when given, must be the predicate's issuer.
    :class:`ReceiptInvalid` on any failure, whatever ``envelope`` is."""
    checked = _envelope(envelope)
    kid, payload = _check_signature(checked, jwks)
    statement = _statement(payload)
    predicate = statement["predicate"]
    if issuer is not None and predicate["issuer"] != issuer:
        raise _fail("issuer", f"was not issued by {issuer[:8]}")
    subject = statement["subject"][0]
    return VerifiedReceipt(
        kid, predicate["issuer"], subject["name"], subject["digest"]["sha256"], predicate
    )


def unverified_issuer(envelope: object) -> str:
    """The administration a receipt *claims* issued it, read without any check of the signature:
    only to choose whose JWKS to fetch. Verifying against that administration's keys is what
    binds the claim. :class:`ReceiptInvalid` when no claim can be read."""
    checked = _envelope(envelope)
    try:
        predicate = json_object(_b64(checked["payload"], "payload")).get("predicate")
        return parse_admin_code(str(predicate["issuer"]))  # type: ignore[index]
    except (ValueError, RecursionError, TypeError, KeyError):
        raise _fail("predicate", "names no issuing administration") from None
