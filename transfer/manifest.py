"""Signed manifests: what a holding version holds, signed by the owning administration.

Crypt4GH v1 does not detect a dropped last segment, reordered segments or an added header packet.
So every holding version has a manifest that fixes, per object, the plaintext size and SHA-256,
the segment count, the ciphertext body size and SHA-256, and the X25519 public key that writes
the headers a grantee receives. A client checks all of it while streaming (:mod:`transfer.verify`).

In the style of python-tuf's Metadata API, :class:`Manifest` is the signed payload as a frozen
value whose constructor enforces every invariant (``ValueError``); :func:`sign_manifest` wraps it
in the envelope and :func:`verify_manifest` is the only way back from a JWS to a trusted
``Manifest``. Everything here is pure: no I/O, keys are arguments.

The envelope is a compact JWS (RFC 7515)::

    header   {"alg": "ES256", "kid": <JWK thumbprint of the owner's key>,
              "typ": "clearance-manifest+jws"}
    payload  the manifest's canonical JSON (sorted keys, no insignificant white space, UTF-8):
             {"type": "clearance-manifest", "holding": <id>, "version": <int >= 1>,
              "owner": <ISO 3166-1 alpha-3>, "created": "YYYY-MM-DDTHH:MM:SSZ",
              "objects": [{"id", "item", "asset", "media_type", "plaintext_size",
                           "plaintext_sha256", "segments", "body_size", "body_sha256",
                           "writer_public_key": <64 hex>}, ...]}

The payload must be exactly the canonical form, so the *manifest hash* (:meth:`Manifest.sha256`,
what grants carry) is the SHA-256 of the signed payload bytes: one manifest, one hash.

Verification order (each failure has its own :class:`ManifestError` code; messages never echo
the JWS or any key material):

=============================  ====================================================================
code                           meaning
=============================  ====================================================================
manifest-malformed             not three strict base64url segments, header/payload not strict JSON,
                               wrong ``typ``, refused header members, invalid or non-canonical
                               payload
manifest-algorithm-not-allowed ``alg`` not on the allow-list (ES256) — checked before any key, so
                               ``none`` and HS256 keyed with a public key are refused outright
manifest-unknown-key           ``kid`` names no trusted key
manifest-bad-signature         the ECDSA P-256 signature does not verify, or its s is high
manifest-wrong-owner           the signing key does not speak for the manifest's owner, or the
                               owner is not the administration the caller expects
manifest-wrong-holding         not the holding (or holding version) the caller expects
manifest-hash-mismatch         the manifest hash differs from the one the grant carries
=============================  ====================================================================

:class:`PlaintextDigest` and :class:`BodyDigest` are the incremental size + SHA-256 accumulators
that the publisher uses while encrypting and the client while decrypting, and
:meth:`ManifestObject.from_digests` turns them into a manifest entry.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

from access import (
    ALLOWED_ALGORITHMS,
    JwsError,
    SigningKey,
    TrustedKey,
    canonical_json,
    exact_members,
    json_object,
    sign_compact,
    verify_compact,
)
from transfer.crypt4gh import CIPHER_SEGMENT_SIZE, SEGMENT_SIZE
from transfer.errors import TransferError

__all__ = [
    "ALLOWED_ALGORITHMS",
    "MANIFEST_CODES",
    "MANIFEST_TYPE",
    "MANIFEST_TYP_HEADER",
    "MAX_MANIFEST_CHARS",
    "MAX_OBJECT_SIZE",
    "BodyDigest",
    "Manifest",
    "ManifestError",
    "ManifestObject",
    "ObjectDigest",
    "PlaintextDigest",
    "expected_body_size",
    "expected_segments",
    "sign_manifest",
    "verify_manifest",
]

MANIFEST_TYPE: Final = "clearance-manifest"
MANIFEST_TYP_HEADER: Final = "clearance-manifest+jws"
MAX_MANIFEST_CHARS: Final = 64 * 1024 * 1024
MAX_OBJECT_SIZE: Final = 2**53 - 1  # exact in every JSON implementation (IEEE double)
SEGMENT_OVERHEAD: Final = CIPHER_SEGMENT_SIZE - SEGMENT_SIZE  # nonce (12) + tag (16)

MANIFEST_CODES: Final = frozenset(
    {
        "manifest-malformed",
        "manifest-algorithm-not-allowed",
        "manifest-unknown-key",
        "manifest-bad-signature",
        "manifest-wrong-owner",
        "manifest-wrong-holding",
        "manifest-hash-mismatch",
    }
)

_ADMIN = re.compile(r"^[A-Z]{3}$")
_HOLDING_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")  # as catalog.publish.HOLDING_ID
# An object id is a relative POSIX path of [A-Za-z0-9._-] segments that start with a letter or a
# digit (so never "." or ".."): usable as a blob key and as a file name below a download folder.
_OBJECT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*(?:/[A-Za-z0-9][A-Za-z0-9._-]*)*$")
_MAX_ID = 255
_MAX_TEXT = 256
_RESTRICTED_NAME = r"[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}"
_MEDIA_TYPE = re.compile(rf"^{_RESTRICTED_NAME}/{_RESTRICTED_NAME}(?:\s*;\s*[ -~]+)?$")
_SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")
_KEY_HEX = re.compile(r"^[0-9a-f]{64}$")
_CREATED = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
_CREATED_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
_MANIFEST_MEMBERS = frozenset({"type", "holding", "version", "owner", "created", "objects"})
_OBJECT_MEMBERS = frozenset(
    {
        "id",
        "item",
        "asset",
        "media_type",
        "plaintext_size",
        "plaintext_sha256",
        "segments",
        "body_size",
        "body_sha256",
        "writer_public_key",
    }
)


class ManifestError(TransferError):
    """A manifest that must not be trusted; ``code`` is one of :data:`MANIFEST_CODES`."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message, code=code)
        self.message = message

    def __repr__(self) -> str:
        return f"ManifestError({self.code!r}, {self.message!r})"


# --- sizes and digests ----------------------------------------------------------------------------


def expected_segments(plaintext_size: int) -> int:
    """Crypt4GH segments holding ``plaintext_size`` bytes (0 for an empty object)."""
    return -(-plaintext_size // SEGMENT_SIZE)


def expected_body_size(plaintext_size: int) -> int:
    """Ciphertext body size of ``plaintext_size`` bytes: 28 bytes more per segment."""
    return plaintext_size + SEGMENT_OVERHEAD * expected_segments(plaintext_size)


class ObjectDigest:
    """Incremental byte count and SHA-256 of a stream (the state is never pickled)."""

    __slots__ = ("_hash", "_size")

    def __init__(self) -> None:
        self._hash = hashlib.sha256()
        self._size = 0

    def update(self, data: bytes | bytearray | memoryview) -> None:
        self._hash.update(data)
        self._size += len(data)

    @property
    def size(self) -> int:
        return self._size

    def hexdigest(self) -> str:
        """SHA-256 (lower-case hex) of everything so far; more updates may follow."""
        return self._hash.hexdigest()

    def digest(self) -> bytes:
        """SHA-256 (32 bytes) of everything so far; more updates may follow."""
        return self._hash.digest()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(size={self._size})"


class PlaintextDigest(ObjectDigest):
    """Size and SHA-256 of an object's plaintext."""

    __slots__ = ()

    @property
    def segments(self) -> int:
        return expected_segments(self._size)


class BodyDigest(ObjectDigest):
    """Size and SHA-256 of an object's Crypt4GH ciphertext body (the header excluded)."""

    __slots__ = ()


# --- the signed payload ---------------------------------------------------------------------------


def _count(value: object, name: str) -> int:
    if type(value) is not int or not 0 <= value <= MAX_OBJECT_SIZE:
        raise ValueError(f"{name} must be an integer from 0 to {MAX_OBJECT_SIZE}")
    return value


def _text(value: object, name: str, limit: int = _MAX_TEXT) -> str:
    if not isinstance(value, str) or not value or len(value) > limit:
        raise ValueError(f"{name} must be a non-empty string of at most {limit} characters")
    if not value.isprintable():
        raise ValueError(f"{name} must not contain control characters")
    return value


def _sha256_hex(value: object, name: str) -> str:
    if not isinstance(value, str) or not _SHA256_HEX.fullmatch(value):
        raise ValueError(f"{name} must be 64 lower-case hex digits")
    return value


@dataclass(frozen=True)
class ManifestObject:
    """One encrypted object (an asset file) of a holding version.

    ``writer_public_key`` is the X25519 public key whose packets a grantee's header carries: the
    owner node's storage key, which writes the headers it re-encrypts for grantees.
    """

    id: str
    item: str
    asset: str
    plaintext_size: int
    segments: int
    plaintext_sha256: str
    body_sha256: str
    body_size: int
    writer_public_key: bytes
    media_type: str

    def __post_init__(self) -> None:
        if (
            not isinstance(self.id, str)
            or len(self.id) > _MAX_ID
            or not _OBJECT_ID.fullmatch(self.id)
        ):
            raise ValueError(
                f"object id must be at most {_MAX_ID} characters of '/'-separated "
                "[A-Za-z0-9._-] segments, each starting with a letter or digit"
            )
        _text(self.item, "item")
        _text(self.asset, "asset")
        if (
            not isinstance(self.media_type, str)
            or len(self.media_type) > _MAX_TEXT
            or not _MEDIA_TYPE.fullmatch(self.media_type)
        ):
            raise ValueError("media_type must be a media type such as 'image/tiff'")
        plaintext_size = _count(self.plaintext_size, "plaintext_size")
        segments = _count(self.segments, "segments")
        body_size = _count(self.body_size, "body_size")
        if segments != expected_segments(plaintext_size):
            raise ValueError(
                f"segments must be ceil(plaintext_size / {SEGMENT_SIZE}) = "
                f"{expected_segments(plaintext_size)}, not {segments}"
            )
        if body_size != expected_body_size(plaintext_size):
            raise ValueError(
                f"body_size must be plaintext_size + {SEGMENT_OVERHEAD} * segments = "
                f"{expected_body_size(plaintext_size)}, not {body_size}"
            )
        _sha256_hex(self.plaintext_sha256, "plaintext_sha256")
        _sha256_hex(self.body_sha256, "body_sha256")
        if type(self.writer_public_key) is not bytes or len(self.writer_public_key) != 32:
            raise ValueError("writer_public_key must be 32 bytes (an X25519 public key)")

    @property
    def last_segment_body_size(self) -> int:
        """Ciphertext size of the last segment (0 for an empty object)."""
        if not self.segments:
            return 0
        return self.body_size - (self.segments - 1) * CIPHER_SEGMENT_SIZE

    @classmethod
    def from_digests(
        cls,
        *,
        id: str,
        item: str,
        asset: str,
        media_type: str,
        plaintext: PlaintextDigest,
        body: BodyDigest,
        writer_public_key: bytes,
    ) -> ManifestObject:
        """The entry for an object whose plaintext and body went through these digests.

        ``ValueError`` when the body size does not fit the plaintext size (not Crypt4GH v1).
        """
        return cls(
            id=id,
            item=item,
            asset=asset,
            plaintext_size=plaintext.size,
            segments=plaintext.segments,
            plaintext_sha256=plaintext.hexdigest(),
            body_sha256=body.hexdigest(),
            body_size=body.size,
            writer_public_key=writer_public_key,
            media_type=media_type,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "item": self.item,
            "asset": self.asset,
            "media_type": self.media_type,
            "plaintext_size": self.plaintext_size,
            "plaintext_sha256": self.plaintext_sha256,
            "segments": self.segments,
            "body_size": self.body_size,
            "body_sha256": self.body_sha256,
            "writer_public_key": self.writer_public_key.hex(),
        }

    @classmethod
    def from_json(cls, obj: object) -> ManifestObject:
        """Parse strictly (every member required, unknown ones refused); ``ValueError``."""
        if type(obj) is not dict:
            raise ValueError("a manifest object must be a JSON object")
        exact_members(obj, _OBJECT_MEMBERS, "object member")
        key = obj["writer_public_key"]
        if not isinstance(key, str) or not _KEY_HEX.fullmatch(key):
            raise ValueError("writer_public_key must be 64 lower-case hex digits")
        return cls(
            id=obj["id"],
            item=obj["item"],
            asset=obj["asset"],
            plaintext_size=obj["plaintext_size"],
            segments=obj["segments"],
            plaintext_sha256=obj["plaintext_sha256"],
            body_sha256=obj["body_sha256"],
            body_size=obj["body_size"],
            writer_public_key=bytes.fromhex(key),
            media_type=obj["media_type"],
        )


@dataclass(frozen=True)
class Manifest:
    """The signed content of one holding version. The constructor checks every invariant.

    ``created`` is normalised to UTC whole seconds. Objects keep their order; ids are unique.
    """

    holding: str
    version: int
    owner: str
    created: datetime
    objects: tuple[ManifestObject, ...]
    _index: Mapping[str, ManifestObject] = field(
        init=False, repr=False, compare=False, hash=False, default_factory=dict
    )

    def __post_init__(self) -> None:
        put = object.__setattr__  # frozen: normalise in place, once
        if not isinstance(self.holding, str) or not _HOLDING_ID.fullmatch(self.holding):
            raise ValueError("holding must be 1-128 characters of [A-Za-z0-9._-]")
        if type(self.version) is not int or not 1 <= self.version <= MAX_OBJECT_SIZE:
            raise ValueError("version must be a positive integer")
        if not isinstance(self.owner, str) or not _ADMIN.fullmatch(self.owner):
            raise ValueError("owner must be an ISO 3166-1 alpha-3 code (three upper-case letters)")
        created = self.created
        if not isinstance(created, datetime) or created.utcoffset() is None:
            raise ValueError("created must be a timezone-aware datetime")
        try:
            created = created.astimezone(UTC).replace(microsecond=0)
        except OverflowError:
            raise ValueError("created is out of range") from None
        if not 1970 <= created.year <= 9999:
            raise ValueError("created is out of range")
        put(self, "created", created)
        objects = self.objects
        if isinstance(objects, str | bytes) or not all(
            isinstance(o, ManifestObject) for o in objects
        ):
            raise ValueError("objects must be a sequence of ManifestObject")
        objects = tuple(objects)
        index = {o.id: o for o in objects}
        if len(index) != len(objects):
            raise ValueError("object ids must be unique within a manifest")
        put(self, "objects", objects)
        put(self, "_index", index)

    def object(self, object_id: str) -> ManifestObject:
        """The entry with id ``object_id``; ``KeyError`` if the manifest has none."""
        try:
            return self._index[object_id]
        except (KeyError, TypeError):
            raise KeyError(f"no object {str(object_id)[:_MAX_ID]!r} in this manifest") from None

    def to_json(self) -> dict[str, Any]:
        return {
            "type": MANIFEST_TYPE,
            "holding": self.holding,
            "version": self.version,
            "owner": self.owner,
            "created": self.created.strftime(_CREATED_FORMAT),
            "objects": [o.to_json() for o in self.objects],
        }

    @classmethod
    def from_json(cls, obj: Any) -> Manifest:
        """Parse strictly (every member required, unknown ones refused); ``ValueError``."""
        if type(obj) is not dict:
            raise ValueError("a manifest must be a JSON object")
        exact_members(obj, _MANIFEST_MEMBERS, "manifest member")
        if obj["type"] != MANIFEST_TYPE:
            raise ValueError(f"type must be {MANIFEST_TYPE!r}")
        created = obj["created"]
        if not isinstance(created, str) or not _CREATED.fullmatch(created):
            raise ValueError("created must be an RFC 3339 UTC time in whole seconds")
        objects = obj["objects"]
        if type(objects) is not list:
            raise ValueError("objects must be a list")
        return cls(
            holding=obj["holding"],
            version=obj["version"],
            owner=obj["owner"],
            created=datetime.strptime(created, _CREATED_FORMAT).replace(tzinfo=UTC),
            objects=tuple(ManifestObject.from_json(o) for o in objects),
        )

    def canonical_bytes(self) -> bytes:
        """The JWS payload: sorted-key compact JSON, ASCII-only."""
        return canonical_json(self.to_json())

    def sha256(self) -> str:
        """The manifest hash (lower-case hex) that grants carry."""
        return hashlib.sha256(self.canonical_bytes()).hexdigest()


# --- the envelope ---------------------------------------------------------------------------------


def _fail(code: str, message: str) -> ManifestError:
    return ManifestError(code, message)


def sign_manifest(manifest: Manifest, key: SigningKey) -> str:
    """The compact JWS (ES256, ``kid``, ``typ: clearance-manifest+jws``) of ``manifest``.

    ``key`` must be a key of ``manifest.owner``; verifiers refuse any other.
    """
    return sign_compact(manifest.canonical_bytes(), MANIFEST_TYP_HEADER, key)


def _parse_payload(raw: bytes) -> Manifest:
    try:
        manifest = Manifest.from_json(json_object(raw))
    except (ValueError, TypeError, UnicodeDecodeError, RecursionError) as exc:
        detail = str(exc)[:200] if isinstance(exc, ValueError) else "not a JSON object"
        raise _fail("manifest-malformed", f"manifest payload is invalid: {detail}") from None
    if manifest.canonical_bytes() != raw:
        raise _fail("manifest-malformed", "manifest payload is not in canonical form")
    return manifest


def verify_manifest(
    jws: str,
    *,
    keys: Mapping[str, TrustedKey],
    expected_owner: str,
    expected_holding: str | None = None,
    expected_version: int | None = None,
    expected_sha256: str | None = None,
) -> Manifest:
    """Verify ``jws`` as a manifest signed by ``expected_owner``; return the trusted ``Manifest``.

    Raises :class:`ManifestError` with a distinct ``code`` (see the module docstring).
    ``expected_holding``/``expected_version`` (from the grant) must name this holding version,
    ``expected_sha256`` is the manifest hash the grant carries; a client that holds a grant
    passes all of them.
    """
    if not isinstance(expected_owner, str) or not _ADMIN.fullmatch(expected_owner):
        raise ValueError("expected_owner must be an ISO 3166-1 alpha-3 code")
    if expected_sha256 is not None:
        _sha256_hex(expected_sha256, "expected_sha256")
    try:
        key, payload = verify_compact(
            jws, typ=MANIFEST_TYP_HEADER, keys=keys, max_chars=MAX_MANIFEST_CHARS, what="manifest"
        )
    except JwsError as exc:
        raise _fail(f"manifest-{exc.kind}", str(exc)) from None
    manifest = _parse_payload(payload)
    if manifest.owner != key.admin:
        raise _fail("manifest-wrong-owner", "manifest owner does not match its signing key")
    if manifest.owner != expected_owner:
        raise _fail("manifest-wrong-owner", "manifest is not owned by the expected administration")
    if expected_holding is not None and manifest.holding != expected_holding:
        raise _fail("manifest-wrong-holding", "manifest describes another holding")
    if expected_version is not None and manifest.version != expected_version:
        raise _fail("manifest-wrong-holding", "manifest describes another holding version")
    if expected_sha256 is not None and manifest.sha256() != expected_sha256:
        raise _fail("manifest-hash-mismatch", "manifest hash differs from the one in the grant")
    return manifest
