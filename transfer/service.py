"""The transfer service: what a grantee may fetch of a holding version, and fetching it.

Every request carries the grant itself as its bearer credential. :meth:`TransferService.authorize`
verifies it with :func:`access.grants.verify_grant` for the transfer service of the grant's owner
(audience ``urn:clearance:transfer:<owner>``, the owner's keys only), the holding named in the
path and the ``download`` operation; the revocation lookup runs on every request, so a revocation
takes effect on the next one. A grant for holding X asking anything of holding Y gets the same
``GrantDenied`` (``grant-wrong-holding``) whether Y exists or not.

Then, per request (:meth:`TransferService.granted`):

* the holding must still be at the grant's version (a republish ends the grant: ``StaleGrant``,
  ``holding-version-changed``), its manifest must exist, be signed by the grant's issuer and,
  when the grant pins one, have the grant's manifest hash;
* the grant's item set is the one fixed at approval (:meth:`GrantRecords.granted_items`),
  checked against the grant's ``items_sha256``; only objects of those items are served — any
  other object id, of this holding or not, is the same ``ObjectNotFound``.

Served: the manifest (with the covered object ids and the STAC documents of the granted items),
an object's header re-encrypted to the grant's recipient key (whatever the client sends; one
packet, trimmed) or the headers of up to :data:`MAX_HEADERS` objects at once, its body with one
byte range or as a presigned ranged URL when the blob store makes them, or the whole Crypt4GH
file. The service speaks in these terms (a :data:`BodyPlan` for a body: whole, one range, or a
presigned URL); ``transfer.routes`` alone turns them into status codes and headers. Every answer
is audited in its own transaction (``transfer.manifest``, ``transfer.header``,
``transfer.headers`` with the object ids, ``transfer.body``, ``transfer.file``, with the grant's
jti); a refused genuine grant (revoked, out of scope, expired or not yet valid) is audited as
``transfer.denied``. Every request of a genuine grant counts against its bound
(``transfer.throttle``): past it, ``TooManyRequests`` and nothing is audited.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Generic, Protocol, TypeVar

from sqlalchemy.orm import Session, sessionmaker

from access import (
    AuditLog,
    Clock,
    Directory,
    Grant,
    GrantDenied,
    GrantError,
    NotFound,
    UNSAFE_decode_without_verification,
    audience_owner,
    item_set_hash,
    transfer_audience,
    verify_grant,
)
from access import Decision as AuditDecision
from transfer.blobstore import BlobChunks
from transfer.errors import InvalidObjectList, ObjectNotFound, StaleGrant, TransferError
from transfer.manifest import ManifestObject
from transfer.manifest_store import ManifestStore, StoredManifest
from transfer.objects import EncryptedObjects, body_key
from transfer.ranges import parse_range
from transfer.throttle import GrantThrottle

__all__ = [
    "MAX_HEADERS",
    "BodyPlan",
    "ByteRange",
    "FullBody",
    "GrantRecords",
    "Granted",
    "HoldingDocuments",
    "PartialBody",
    "PresignedBody",
    "TransferService",
    "WholeFile",
    "object_id_list",
]

PRESIGN_EXPIRES_S = 600
GRANT_CACHE_S = 15.0
"""How long (node clock) a grant verified from its exact bytes is taken as authentic without
checking its signature again. Revocation is not cached: it is looked up on every request."""
GRANT_CACHE_SIZE = 1024
# Object ids per batch header request: the ids are audited in one entry, whose details must stay
# under access.audit_chain.MAX_DETAILS_BYTES (16 KiB) even with 255-character ids.
MAX_HEADERS = 60
# Grant errors verify_grant raises only after the signature, issuer and audience held: a genuine
# grant used outside its lifetime, audited like a denial.
_AFTER_SIGNATURE = frozenset({"grant-expired", "grant-not-yet-valid", "grant-lifetime-invalid"})
_K = TypeVar("_K")
_V = TypeVar("_V")


class GrantRecords(Protocol):
    """What the transfer service needs of the grants this node issued (``access.grant_service``
    implements it; injected at the root)."""

    def is_revoked(self, jti: str) -> bool: ...
    def granted_items(self, jti: str) -> list[str] | None: ...


class HoldingDocuments(Protocol):
    """What the transfer service needs from the catalogue (a higher layer, injected)."""

    def version(self, holding_id: str) -> int: ...
    def documents(
        self, holding_id: str, item_ids: Sequence[str]
    ) -> tuple[dict[str, Any], list[dict[str, Any]]] | None: ...


class _Lru(Generic[_K, _V]):
    def __init__(self, size: int) -> None:
        self._data: OrderedDict[_K, _V] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def get(self, key: _K) -> _V | None:
        with self._lock:
            value = self._data.get(key)
            if value is not None:
                self._data.move_to_end(key)
            return value

    def put(self, key: _K, value: _V) -> _V:
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            if len(self._data) > self._size:
                self._data.popitem(last=False)
        return value


@dataclass(frozen=True)
class Granted:
    """A verified grant with the manifest of its holding version and what it covers."""

    grant: Grant
    stored: StoredManifest
    items: frozenset[str]
    objects: tuple[ManifestObject, ...]
    _index: dict[str, ManifestObject] = field(repr=False, compare=False, default_factory=dict)

    def entry(self, object_id: str) -> ManifestObject:
        found = self._index.get(object_id)
        if found is None:
            raise ObjectNotFound("no such object under this grant")
        return found


@dataclass(frozen=True)
class ByteRange:
    """The inclusive bytes ``first``..``last`` of a ``size``-byte body."""

    first: int
    last: int
    size: int

    def __post_init__(self) -> None:
        if not 0 <= self.first <= self.last < self.size:
            raise ValueError(f"bytes {self.first}-{self.last} are not within {self.size} bytes")

    @property
    def length(self) -> int:
        return self.last - self.first + 1


@dataclass(frozen=True)
class FullBody:
    """The whole body, streamed from this node."""

    chunks: BlobChunks
    size: int


@dataclass(frozen=True)
class PartialBody:
    """One byte range of the body, streamed from this node."""

    chunks: BlobChunks
    range: ByteRange


@dataclass(frozen=True)
class PresignedBody:
    """The body (or the asked ``range`` of it) is fetched from the blob store at ``url``."""

    url: str
    range: ByteRange | None


#: How a body request is answered; the routes turn it into HTTP.
BodyPlan = FullBody | PartialBody | PresignedBody


@dataclass(frozen=True)
class WholeFile:
    """A whole Crypt4GH file for the grantee: the re-encrypted header, then the body."""

    header: bytes
    chunks: BlobChunks
    size: int


@dataclass(frozen=True)
class _Verified:
    """A grant whose signature, issuer, audience and times held at ``at`` (node clock)."""

    grant: Grant
    at: datetime


@dataclass(frozen=True)
class _Subject:
    items: frozenset[str]
    admin: str
    items_sha256: str


class TransferService:
    def __init__(
        self,
        *,
        sessions: sessionmaker[Session],
        objects: EncryptedObjects,
        manifests: ManifestStore,
        directory: Directory,
        grants: GrantRecords,
        documents: HoldingDocuments,
        audit: AuditLog,
        clock: Clock,
        presign_expires_s: int = PRESIGN_EXPIRES_S,
        throttle: GrantThrottle | None = None,
        grant_cache_s: float = GRANT_CACHE_S,
    ) -> None:
        self._sessions = sessions
        self._objects = objects
        self._manifests = manifests
        self._directory = directory
        self._grants = grants
        self._documents = documents
        self._audit = audit
        self._clock = clock
        self._presign_expires_s = presign_expires_s
        self._throttle = throttle or GrantThrottle()
        self._headers: _Lru[str, bytes] = _Lru(4096)
        self._subjects: _Lru[tuple[str, str], _Subject] = _Lru(1024)
        self._verified: _Lru[str, _Verified] = _Lru(GRANT_CACHE_SIZE)
        self._grant_cache = timedelta(seconds=grant_cache_s)

    # -- the grant -------------------------------------------------------------------------------

    def authorize(self, token: str, holding: str) -> Grant:
        """The verified grant ``token`` if it allows downloading ``holding`` now.

        ``GrantError`` (not a valid grant) or ``GrantDenied`` (not for this); denials of a
        genuine grant are audited. Every request of a genuine grant, allowed or denied, counts
        against its bound (``transfer.throttle``): past it, ``TooManyRequests`` and nothing is
        audited.

        The signature check is cached by the token's exact bytes for :data:`GRANT_CACHE_S`
        (node clock), and only while the grant's own times certainly still hold: from the
        moment it verified until the earlier of that plus the cache time and its ``exp``. Outside
        that window (or for any other bytes) the full verification runs and refuses with its
        own code. What can change from one request to the next is checked on every request,
        cached or not: revocation (a database lookup, so a revocation on any replica takes
        effect on the next request), the holding and the operation.
        """
        now = self._clock.now()
        cached = self._verified.get(token)
        if cached is not None and cached.at <= now < min(
            cached.at + self._grant_cache, cached.grant.expires_at
        ):
            try:
                grant = _still_allowed(cached.grant, self._grants.is_revoked, holding)
            except GrantDenied as denied:
                self._audit_denial(token, cached.grant.audience, holding, denied)
                raise
            self._throttle.charge(grant.jti)
            return grant
        audience = _claimed_transfer_audience(token)
        try:
            grant = verify_grant(
                token,
                keys=self._directory.trusted_keys(),
                audience=audience,
                now=now,
                is_revoked=self._grants.is_revoked,
                holding=holding,
                operation="download",
            )
        except GrantDenied as denied:
            self._audit_denial(token, audience, holding, denied)
            raise
        except GrantError as error:
            if error.code in _AFTER_SIGNATURE:
                self._audit_denial(token, audience, holding, error)
            raise
        self._verified.put(token, _Verified(grant, now))
        self._throttle.charge(grant.jti)
        return grant

    def _audit_denial(
        self, token: str, audience: str, holding: str, denied: GrantDenied | GrantError
    ) -> None:
        # Only called once the signature, issuer and audience held: the claims are the issuer's,
        # so they may name the actor in the log. Forgeries are not logged as anyone's.
        claims = UNSAFE_decode_without_verification(token)["claims"]
        jti = str(claims.get("jti", ""))[:64]
        self._throttle.charge(jti)  # a revoked grant may not flood the log with denials either
        owner = audience_owner(audience) or ""
        subject = str(claims.get("sub", "?"))[:128] or "?"
        self._log(
            subject,
            self._subject_admin(subject, owner),
            "transfer.denied",
            f"holding:{holding[:128]}",
            decision="deny",
            reason=denied.code,
            jti=jti,
        )

    def granted(self, grant: Grant) -> Granted:
        """The manifest and the covered objects of a verified grant (see the module)."""
        current = self._documents.version(grant.holding)
        if current != grant.holding_version:
            raise StaleGrant(
                f"holding {grant.holding} is at version {current}, the grant is for version "
                f"{grant.holding_version}: ask the owner for a new grant"
            )
        stored = self._manifests.get(grant.holding, grant.holding_version)
        if stored is None or stored.manifest.owner != grant.issuer_admin:
            raise ObjectNotFound(
                f"holding {grant.holding} version {grant.holding_version} has no manifest"
            )
        if grant.manifest_sha256 is not None and grant.manifest_sha256 != stored.sha256:
            raise StaleGrant(
                "the holding's manifest is not the one the grant pins", code="manifest-mismatch"
            )
        items = self._subject(grant).items
        objects = tuple(o for o in stored.manifest.objects if o.item in items)
        return Granted(grant, stored, items, objects, {o.id: o for o in objects})

    def _subject(self, grant: Grant) -> _Subject:
        """The approved item set of ``grant.jti``, checked against this grant's claim.

        Only what the database says is cached (the approved items and their hash); the grant's
        own ``items_sha256`` is compared on every request, so a second token under a cached jti
        never inherits the first one's check.
        """
        key = (grant.jti, grant.subject)  # the admin below is the subject's
        subject = self._subjects.get(key)
        if subject is None:
            items = self._grants.granted_items(grant.jti)
            if not items:
                raise GrantDenied(
                    "the grant's item set does not match the approved request", code="grant-items"
                )
            admin = self._subject_admin(grant.subject, grant.issuer_admin)
            subject = _Subject(frozenset(items), admin, item_set_hash(items))
            self._subjects.put(key, subject)
        if subject.items_sha256 != grant.items_sha256:
            raise GrantDenied(
                "the grant's item set does not match the approved request", code="grant-items"
            )
        return subject

    def _subject_admin(self, subject: str, fallback: str) -> str:
        try:
            return self._directory.user(subject).admin
        except NotFound:
            return fallback

    # -- what is served --------------------------------------------------------------------------

    def manifest(self, grant: Grant) -> dict[str, Any]:
        granted = self.granted(grant)
        documents = self._documents.documents(grant.holding, sorted(granted.items))
        collection, items = documents if documents is not None else ({}, [])
        self._served(granted, "transfer.manifest", objects=len(granted.objects))
        return {
            "holding": grant.holding,
            "version": grant.holding_version,
            "owner": grant.issuer_admin,
            "manifest": granted.stored.jws,
            "manifest_sha256": granted.stored.sha256,
            "objects": [o.id for o in granted.objects],
            "collection": collection,
            "items": items,
        }

    def _stored_header(self, object_id: str) -> bytes:
        header = self._headers.get(object_id)
        if header is None:
            header = self._headers.put(object_id, self._objects.header(object_id))
        return header

    def _reencrypted(self, grant: Grant, object_id: str) -> bytes:
        # A download grant always carries its key (``Grant`` checks); never re-encrypt to none.
        if grant.recipient_key is None:
            raise TransferError("the grant is bound to no recipient key", code="grant-no-key")
        return self._objects.storage.reencryptor().reencrypt(
            self._stored_header(object_id), [grant.recipient_key], trim=True
        )

    def header(self, grant: Grant, object_id: str) -> bytes:
        """The object's header re-encrypted to the grant's recipient key (one packet)."""
        granted = self.granted(grant)
        granted.entry(object_id)
        header = self._reencrypted(grant, object_id)
        self._served(granted, "transfer.header", object=object_id)
        return header

    def headers(self, grant: Grant, object_ids: Sequence[str]) -> dict[str, bytes]:
        """The headers of several objects, each re-encrypted to the grant's recipient key; one
        audit entry for them all. One object the grant does not cover and nothing is served."""
        ids = object_id_list(list(object_ids))
        granted = self.granted(grant)
        for object_id in ids:
            granted.entry(object_id)
        headers = {object_id: self._reencrypted(grant, object_id) for object_id in ids}
        self._served(granted, "transfer.headers", objects=ids, count=len(ids))
        return headers

    def body(self, grant: Grant, object_id: str, range_spec: str | None) -> BodyPlan:
        """The body, the byte range ``range_spec`` asks of it (``bytes=first-last``, RFC 9110
        §14; :func:`transfer.ranges.parse_range`), or a presigned URL for either."""
        granted = self.granted(grant)
        entry = granted.entry(object_id)
        size = entry.body_size
        asked = parse_range(range_spec, size)
        first, last = asked if asked is not None else (0, size - 1)
        byte_range = None if asked is None else ByteRange(first, last, size)
        key = body_key(object_id)
        url = self._objects.blobs.presign(key, expires_s=self._presign_expires_s, byte_range=asked)
        # Who (actor, jti), what (object, range), how much (bytes), when (the entry's time): one
        # entry per body request, which clearance pull makes once per object (a resume: again).
        details: dict[str, Any] = {
            "object": object_id,
            "first": first,
            "last": last,
            "bytes": last - first + 1,
        }
        if url is not None:
            self._served(granted, "transfer.body", presigned=True, **details)
            return PresignedBody(url, byte_range)
        chunks = self._objects.blobs.read_range(key, first, last - first + 1)
        try:
            self._served(granted, "transfer.body", **details)
        except BaseException:
            chunks.close()
            raise
        if byte_range is None:
            return FullBody(chunks, size)
        return PartialBody(chunks, byte_range)

    def whole_file(self, grant: Grant, object_id: str) -> WholeFile:
        """Header and body as one Crypt4GH file that the grantee's key (alone) decrypts."""
        granted = self.granted(grant)
        entry = granted.entry(object_id)
        header = self._reencrypted(grant, object_id)
        chunks = self._objects.blobs.read_range(body_key(object_id), 0, entry.body_size)
        try:
            self._served(granted, "transfer.file", object=object_id, bytes=entry.body_size)
        except BaseException:
            chunks.close()
            raise
        return WholeFile(header, chunks, len(header) + entry.body_size)

    # -- audit -----------------------------------------------------------------------------------

    def _served(self, granted: Granted, action: str, **details: Any) -> None:
        grant = granted.grant
        self._log(
            grant.subject,
            self._subject(grant).admin,
            action,
            f"holding:{grant.holding}",
            jti=grant.jti,
            version=grant.holding_version,
            manifest_sha256=granted.stored.sha256,
            **details,
        )

    def _log(
        self,
        actor: str,
        admin: str,
        action: str,
        resource: str,
        *,
        decision: AuditDecision = "allow",
        reason: str = "",
        **details: Any,
    ) -> None:
        with self._sessions.begin() as session:
            self._audit.append(
                session,
                actor=actor,
                admin=admin,
                action=action,
                resource=resource,
                decision=decision,
                reason=reason,
                details=details,
            )


def _still_allowed(grant: Grant, is_revoked: Callable[[str], bool], holding: str) -> Grant:
    """The checks of ``verify_grant`` after its authenticity steps, in its order and with its
    codes, for a grant whose authenticity is cached: not revoked (fails closed), this holding,
    ``download``."""
    if is_revoked(grant.jti) is not False:
        raise GrantDenied("grant has been revoked", code="grant-revoked")
    if grant.holding != holding:
        raise GrantDenied("grant does not cover this holding", code="grant-wrong-holding")
    if "download" not in grant.operations:
        raise GrantDenied("grant does not allow 'download'", code="grant-operation-not-allowed")
    return grant


def _claimed_transfer_audience(token: str) -> str:
    """The transfer audience the token names, to verify it against (and nothing else).

    This node runs the transfer service of every administration it hosts, so a grant is checked
    for the audience it claims — provided that is a transfer audience: ``verify_grant`` then
    requires the signing key to be that administration's own. No decision rests on the
    unverified value.
    """
    claims = UNSAFE_decode_without_verification(token)["claims"]
    owner = audience_owner(claims.get("aud", ""))
    if owner is None or claims.get("aud") != transfer_audience(owner):
        raise GrantError(
            "grant is not addressed to a transfer service", code="grant-wrong-audience"
        )
    return transfer_audience(owner)


def object_id_list(value: object) -> list[str]:
    """``value`` as the object ids of a batch request: a list of 1 to :data:`MAX_HEADERS`
    distinct non-empty strings, else :class:`~transfer.errors.InvalidObjectList`."""
    if not isinstance(value, list):
        raise InvalidObjectList("'objects' must be a list of object ids")
    if not value:
        raise InvalidObjectList("'objects' is empty: ask for at least one object")
    if len(value) > MAX_HEADERS:
        raise InvalidObjectList(
            f"'objects' names {len(value)} objects, at most {MAX_HEADERS} per request"
        )
    if not all(isinstance(i, str) and i for i in value):
        raise InvalidObjectList("every object id in 'objects' must be a non-empty string")
    if len(set(value)) != len(value):
        raise InvalidObjectList("'objects' names an object more than once")
    return list(value)


def iterate(chunks: BlobChunks) -> Iterator[bytes]:
    """Yield ``chunks`` and close them however the iteration ends (a client going away too)."""
    try:
        yield from chunks
    finally:
        chunks.close()
