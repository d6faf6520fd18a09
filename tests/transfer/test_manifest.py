"""Signed manifests: invariants, canonical form, sign/verify round trip, one code per failure.

Attack envelopes (``alg: none``, HS256 keyed with the public key PEM, forged headers, tampered or
non-canonical payloads) are built by hand with base64, hmac and json from the standard library,
so that the checks do not depend on the code under test.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
import io
import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from hypothesis import given, settings
from hypothesis import strategies as st

from access import P256_ORDER, SigningKey, TrustedKey, generate_signing_key
from tests.helpers.es256 import mirrored, s_of
from transfer import crypt4gh as c4
from transfer.manifest import (
    MANIFEST_CODES,
    MANIFEST_TYP_HEADER,
    BodyDigest,
    Manifest,
    ManifestError,
    ManifestObject,
    PlaintextDigest,
    expected_body_size,
    expected_segments,
    sign_manifest,
    verify_manifest,
)

NLD_KEY = generate_signing_key()
GBR_KEY = generate_signing_key()
UNTRUSTED_KEY = generate_signing_key()
CREATED = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
WRITER = bytes(range(32))
SHA_A = hashlib.sha256(b"a").hexdigest()
SHA_B = hashlib.sha256(b"b").hexdigest()


def _trusted(key: SigningKey, admin: str) -> TrustedKey:
    return TrustedKey(key.kid, admin, key.private_key.public_key())


KEYS = {NLD_KEY.kid: _trusted(NLD_KEY, "NLD"), GBR_KEY.kid: _trusted(GBR_KEY, "GBR")}


def make_object(**overrides: Any) -> ManifestObject:
    size = overrides.pop("plaintext_size", 200_000)
    fields: dict[str, Any] = {
        "id": "scan-0001/image_high",
        "item": "scan-0001",
        "asset": "image_high",
        "plaintext_size": size,
        "segments": expected_segments(size),
        "plaintext_sha256": SHA_A,
        "body_sha256": SHA_B,
        "body_size": expected_body_size(size),
        "writer_public_key": WRITER,
        "media_type": "image/tiff",
    }
    fields.update(overrides)
    return ManifestObject(**fields)


def make_manifest(**overrides: Any) -> Manifest:
    fields: dict[str, Any] = {
        "holding": "nld-parcels-2025",
        "version": 3,
        "owner": "NLD",
        "created": CREATED,
        "objects": (
            make_object(),
            make_object(id="scan-0001/annotations", asset="annotations", plaintext_size=0,
                        media_type="application/json"),
        ),
    }  # fmt: skip
    fields.update(overrides)
    return Manifest(**fields)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def es256(key: SigningKey, signing_input: str) -> str:
    der = key.private_key.sign(signing_input.encode("ascii"), ec.ECDSA(hashes.SHA256()))
    r, s = decode_dss_signature(der)
    s = min(s, P256_ORDER - s)  # the low-s spelling, the only one verifiers accept
    return b64url(r.to_bytes(32, "big") + s.to_bytes(32, "big"))


def forge(header: dict[str, Any], payload: bytes, key: SigningKey | None = NLD_KEY) -> str:
    """A JWS over arbitrary header and payload bytes, ES256-signed with ``key`` (or unsigned)."""
    signing_input = f"{b64url(json.dumps(header).encode())}.{b64url(payload)}"
    return f"{signing_input}.{es256(key, signing_input) if key else ''}"


def verify(jws: str, **kwargs: Any) -> Manifest:
    kwargs.setdefault("expected_owner", "NLD")
    return verify_manifest(jws, keys=KEYS, **kwargs)


def code_of(jws: str, **kwargs: Any) -> str:
    with pytest.raises(ManifestError) as caught:
        verify(jws, **kwargs)
    assert caught.value.code in MANIFEST_CODES
    assert len(jws) < 8 or jws not in str(caught.value)
    return caught.value.code


# --- round trip -----------------------------------------------------------------------------------


def test_sign_verify_round_trip() -> None:
    manifest = make_manifest()
    jws = sign_manifest(manifest, NLD_KEY)
    header = json.loads(base64.urlsafe_b64decode(jws.split(".")[0] + "=="))
    assert header == {"alg": "ES256", "kid": NLD_KEY.kid, "typ": MANIFEST_TYP_HEADER}
    payload = base64.urlsafe_b64decode(jws.split(".")[1] + "==")
    assert payload == manifest.canonical_bytes()
    got = verify(
        jws,
        expected_holding="nld-parcels-2025",
        expected_version=3,
        expected_sha256=manifest.sha256(),
    )
    assert got == manifest
    assert got.sha256() == hashlib.sha256(payload).hexdigest()
    assert got.object("scan-0001/annotations").plaintext_size == 0


def test_canonical_bytes_are_sorted_compact_json() -> None:
    manifest = make_manifest()
    raw = manifest.canonical_bytes()
    obj = json.loads(raw)
    assert raw == json.dumps(obj, separators=(",", ":"), sort_keys=True).encode()
    assert obj["type"] == "clearance-manifest"
    assert obj["created"] == "2026-03-01T12:00:00Z"
    assert obj["objects"][0]["writer_public_key"] == WRITER.hex()
    assert Manifest.from_json(obj) == manifest


def test_created_is_normalised_to_utc_seconds() -> None:
    cet = timezone(timedelta(hours=1))
    manifest = make_manifest(created=datetime(2026, 3, 1, 13, 0, 0, 999_999, tzinfo=cet))
    assert manifest.created == CREATED
    assert manifest.sha256() == make_manifest().sha256()


def test_object_lookup() -> None:
    manifest = make_manifest()
    assert manifest.object("scan-0001/image_high") is manifest.objects[0]
    with pytest.raises(KeyError):
        manifest.object("scan-0002/image_high")


def test_hash_changes_with_any_field() -> None:
    base = make_manifest()
    changed = [
        make_manifest(version=4),
        make_manifest(holding="nld-parcels-2024"),
        make_manifest(created=CREATED + timedelta(seconds=1)),
        make_manifest(objects=(make_object(body_sha256=SHA_A),)),
        make_manifest(objects=tuple(reversed(base.objects))),
    ]
    assert len({m.sha256() for m in [base, *changed]}) == 6


# --- verification failures ------------------------------------------------------------------------


@pytest.mark.parametrize("alg", ["none", "None", "NONE"])
def test_alg_none_is_refused(alg: str) -> None:
    header = {"alg": alg, "kid": NLD_KEY.kid, "typ": MANIFEST_TYP_HEADER}
    jws = forge(header, make_manifest().canonical_bytes(), key=None)
    assert code_of(jws) == "manifest-algorithm-not-allowed"


def test_hs256_keyed_with_the_public_key_is_refused() -> None:
    pem = NLD_KEY.private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    header = {"alg": "HS256", "kid": NLD_KEY.kid, "typ": MANIFEST_TYP_HEADER}
    payload = make_manifest().canonical_bytes()
    signing_input = f"{b64url(json.dumps(header).encode())}.{b64url(payload)}"
    mac = hmac.new(pem, signing_input.encode(), hashlib.sha256).digest()
    assert code_of(f"{signing_input}.{b64url(mac)}") == "manifest-algorithm-not-allowed"


def test_unknown_kid_is_refused() -> None:
    jws = sign_manifest(make_manifest(), UNTRUSTED_KEY)
    assert code_of(jws) == "manifest-unknown-key"
    header = {"alg": "ES256", "typ": MANIFEST_TYP_HEADER}  # no kid at all
    assert code_of(forge(header, make_manifest().canonical_bytes())) == "manifest-unknown-key"


def test_tampered_payload_is_refused() -> None:
    jws = sign_manifest(make_manifest(), NLD_KEY)
    header, _, signature = jws.split(".")
    other = make_manifest(objects=(make_object(plaintext_sha256=SHA_B),)).canonical_bytes()
    assert code_of(f"{header}.{b64url(other)}.{signature}") == "manifest-bad-signature"


def test_tampered_signature_is_refused() -> None:
    jws = sign_manifest(make_manifest(), NLD_KEY)
    head, payload, signature = jws.split(".")
    raw = bytearray(base64.urlsafe_b64decode(signature + "=="))
    raw[10] ^= 1
    assert code_of(f"{head}.{payload}.{b64url(bytes(raw))}") == "manifest-bad-signature"
    assert code_of(f"{head}.{payload}.{b64url(bytes(raw[:-1]))}") == "manifest-bad-signature"


def test_signed_by_another_administration_is_refused() -> None:
    # a trusted GBR key cannot speak for NLD's manifest
    assert code_of(sign_manifest(make_manifest(), GBR_KEY)) == "manifest-wrong-owner"
    # a genuine GBR manifest is not what a client expecting NLD asked for
    gbr = sign_manifest(make_manifest(owner="GBR"), GBR_KEY)
    assert code_of(gbr) == "manifest-wrong-owner"
    assert verify(gbr, expected_owner="GBR").owner == "GBR"


def test_wrong_holding_or_version_is_refused() -> None:
    jws = sign_manifest(make_manifest(), NLD_KEY)
    assert code_of(jws, expected_holding="nld-cargo-2025") == "manifest-wrong-holding"
    assert code_of(jws, expected_holding="nld-parcels-2025", expected_version=2) == (
        "manifest-wrong-holding"
    )


def test_hash_mismatch_is_refused() -> None:
    jws = sign_manifest(make_manifest(), NLD_KEY)
    older = make_manifest(version=2).sha256()
    assert code_of(jws, expected_sha256=older) == "manifest-hash-mismatch"


def _payload(**changes: Any) -> bytes:
    obj = make_manifest().to_json()
    obj.update(changes)
    return json.dumps(obj, separators=(",", ":"), sort_keys=True).encode()


GOOD_HEADER = {"alg": "ES256", "kid": NLD_KEY.kid, "typ": MANIFEST_TYP_HEADER}


@pytest.mark.parametrize(
    "jws",
    [
        "",
        "not a jws",
        "a.b",
        "a.b.c.d",
        "e30.e30.e30=",
        "é.b.c",
        forge({**GOOD_HEADER, "typ": "JWT"}, make_manifest().canonical_bytes()),
        forge({k: v for k, v in GOOD_HEADER.items() if k != "typ"}, _payload()),
        forge({**GOOD_HEADER, "jku": "https://evil.example/jwks"}, _payload()),
        forge({**GOOD_HEADER, "crit": ["exp"]}, _payload()),
        forge(GOOD_HEADER, b"[]"),
        forge(GOOD_HEADER, b"not json"),
        forge(GOOD_HEADER, b'{"type":"clearance-manifest","type":"x"}'),
        forge(GOOD_HEADER, _payload(type="clearance-grant")),
        forge(GOOD_HEADER, _payload(extra=1)),
        forge(GOOD_HEADER, _payload(version=True)),
        forge(GOOD_HEADER, _payload(version=3.0)),
        forge(GOOD_HEADER, _payload(created="2026-03-01T12:00:00+00:00")),
        forge(GOOD_HEADER, _payload(objects=[{"id": "x"}])),
        forge(GOOD_HEADER, _payload(objects={})),
        # valid content, but not the canonical bytes: the hash would not be the manifest hash
        forge(GOOD_HEADER, json.dumps(make_manifest().to_json(), indent=1).encode()),
        forge(GOOD_HEADER, make_manifest().canonical_bytes() + b" "),
    ],
)
def test_malformed_is_refused(jws: str) -> None:
    assert code_of(jws) == "manifest-malformed"


def test_duplicate_alg_member_is_refused() -> None:
    raw = f'{{"alg":"HS256","alg":"ES256","kid":"{NLD_KEY.kid}","typ":"{MANIFEST_TYP_HEADER}"}}'
    signing_input = f"{b64url(raw.encode())}.{b64url(make_manifest().canonical_bytes())}"
    assert code_of(f"{signing_input}.{es256(NLD_KEY, signing_input)}") == "manifest-malformed"


def test_uppercase_writer_key_hex_is_not_canonical() -> None:
    obj = make_manifest().to_json()
    obj["objects"][0]["writer_public_key"] = WRITER.hex().upper()
    payload = json.dumps(obj, separators=(",", ":"), sort_keys=True).encode()
    assert code_of(forge(GOOD_HEADER, payload)) == "manifest-malformed"


def test_expected_arguments_are_checked() -> None:
    jws = sign_manifest(make_manifest(), NLD_KEY)
    with pytest.raises(ValueError):
        verify_manifest(jws, keys=KEYS, expected_owner="nld")
    with pytest.raises(ValueError):
        verify(jws, expected_sha256="ABC")


# --- invariants -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "overrides",
    [
        {"segments": 3},  # 200 000 bytes are 4 segments
        {"segments": 5},
        {"body_size": 200_000},
        {"body_size": expected_body_size(200_000) + 28},
        {"plaintext_size": 0, "segments": 1, "body_size": 28},
        {"plaintext_size": -1},
        {"plaintext_size": True, "segments": 1, "body_size": 29},
        {"plaintext_size": 2**53},
        {"plaintext_sha256": SHA_A.upper()},
        {"plaintext_sha256": SHA_A[:-1]},
        {"body_sha256": "g" * 64},
        {"writer_public_key": WRITER[:31]},
        {"writer_public_key": WRITER.hex()},
        {"writer_public_key": bytearray(WRITER)},
        {"id": ""},
        {"id": "../etc/passwd"},
        {"id": "/abs"},
        {"id": "a//b"},
        {"id": "a/./b"},
        {"id": "a b"},
        {"id": "a" * 256},
        {"item": ""},
        {"item": "scan\n0001"},
        {"asset": "x" * 257},
        {"media_type": "tiff"},
        {"media_type": "image/tiff\n"},
        {"media_type": ""},
    ],
)
def test_object_invariants(overrides: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        make_object(**overrides)


@pytest.mark.parametrize(
    ("plaintext_size", "segments", "body_size"),
    [(0, 0, 0), (1, 1, 29), (65536, 1, 65564), (65537, 2, 65593), (131072, 2, 131128)],
)
def test_object_sizes(plaintext_size: int, segments: int, body_size: int) -> None:
    obj = make_object(plaintext_size=plaintext_size)
    assert (obj.segments, obj.body_size) == (segments, body_size)
    assert ManifestObject.from_json(obj.to_json()) == obj


def test_media_type_with_parameters() -> None:
    make_object(media_type="image/tiff; application=geotiff")
    make_object(media_type="application/dicom")


@pytest.mark.parametrize(
    "overrides",
    [
        {"holding": ""},
        {"holding": "../x"},
        {"version": 0},
        {"version": True},
        {"owner": "nld"},
        {"owner": "NL"},
        {"created": datetime(2026, 3, 1, 12, 0, 0)},  # naive on purpose
        {"created": "2026-03-01T12:00:00Z"},
        {"objects": (make_object(), make_object())},  # duplicate id
        {"objects": ({"id": "x"},)},
        {"objects": "abc"},
    ],
)
def test_manifest_invariants(overrides: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        make_manifest(**overrides)


def test_objects_become_a_tuple() -> None:
    manifest = make_manifest(objects=[make_object()])
    assert isinstance(manifest.objects, tuple)
    with pytest.raises(dataclasses.FrozenInstanceError):
        manifest.version = 4  # type: ignore[misc]


# --- digests --------------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [0, 1, 65536, 65537, 200_000])
def test_digests_describe_a_real_crypt4gh_object(size: int) -> None:
    data = bytes(i % 251 for i in range(size))
    node_sk = c4.generate_private_key()
    encrypted = io.BytesIO()
    c4.encrypt(
        io.BytesIO(data), encrypted, writer_sk=node_sk, recipient_pks=[c4.public_key_bytes(node_sk)]
    )
    _, offset = c4.split_header(encrypted.getvalue())
    body = encrypted.getvalue()[offset:]
    plaintext, body_digest = PlaintextDigest(), BodyDigest()
    for start in range(0, max(size, 1), 7777):
        plaintext.update(data[start : start + 7777])
    body_digest.update(body)
    entry = ManifestObject.from_digests(
        id="o",
        item="i",
        asset="a",
        media_type="application/octet-stream",
        plaintext=plaintext,
        body=body_digest,
        writer_public_key=c4.public_key_bytes(node_sk),
    )
    assert entry.plaintext_size == size
    assert entry.plaintext_sha256 == hashlib.sha256(data).hexdigest()
    assert entry.body_sha256 == hashlib.sha256(body).hexdigest()
    assert entry.body_size == len(body) == c4.body_size(size)
    assert entry.segments == c4.segment_count(size)


def test_from_digests_refuses_inconsistent_sizes() -> None:
    plaintext, body = PlaintextDigest(), BodyDigest()
    plaintext.update(b"x" * 10)
    body.update(b"y" * 10)  # a body must be 28 bytes longer
    with pytest.raises(ValueError):
        ManifestObject.from_digests(
            id="o",
            item="i",
            asset="a",
            media_type="image/png",
            plaintext=plaintext,
            body=body,
            writer_public_key=WRITER,
        )


_ids = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._-]{0,20}(/[A-Za-z0-9][A-Za-z0-9._-]{0,20}){0,2}",
                     fullmatch=True)  # fmt: skip
_objects = st.builds(
    lambda oid, size, item, sha1, sha2, key: make_object(
        id=oid, plaintext_size=size, item=item, plaintext_sha256=sha1, body_sha256=sha2,
        writer_public_key=key,
    ),
    _ids,
    st.integers(0, 2**40),
    st.text(st.characters(codec="utf-8", categories=("L", "N", "P", "S", "Zs")), min_size=1,
            max_size=30).filter(str.isprintable),
    st.binary(min_size=32, max_size=32).map(lambda b: hashlib.sha256(b).hexdigest()),
    st.binary(min_size=32, max_size=32).map(lambda b: hashlib.sha256(b).hexdigest()),
    st.binary(min_size=32, max_size=32),
)  # fmt: skip


@settings(max_examples=40, deadline=None)
@given(st.lists(_objects, max_size=5, unique_by=lambda o: o.id), st.integers(1, 2**40))
def test_round_trip_any_manifest(objects: list[ManifestObject], version: int) -> None:
    manifest = make_manifest(objects=tuple(objects), version=version)
    jws = sign_manifest(manifest, NLD_KEY)
    assert verify(jws, expected_sha256=manifest.sha256()) == manifest
    assert Manifest.from_json(json.loads(manifest.canonical_bytes())) == manifest


def test_a_manifest_with_mirrored_s_is_refused_and_signing_is_low_s() -> None:
    for _ in range(64):  # an unnormalised signer gives a high s half the time
        jws = sign_manifest(make_manifest(), NLD_KEY)
        assert s_of(jws) <= P256_ORDER // 2
        assert code_of(mirrored(jws)) == "manifest-bad-signature"
