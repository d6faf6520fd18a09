"""Resumable uploads: a publisher sends a holding archive in parts at explicit offsets, each
with its own SHA-256, and resumes after any interruption from the offset the node reports.

A session belongs to the user who created it (and so to that user's administration); anyone
else gets the same ``UploadNotFound`` as for a missing or expired session. The database row is
the authority on the offset (``received``): a part is stored first, then its row commits with a
conditional update that advances the offset only if it still is the part's start, so of two
concurrent parts for one offset exactly one counts and a crash between the two steps leaves an
unreferenced blob, never a gap or a double count.

Parts live in the blob store (not the data folder) because API replicas share the blob store
and not their disks, so a client may be routed to a different replica for every part. They are
stored as Crypt4GH files addressed to the node's storage key, like every asset at rest: the
archive holds holding data in the clear. Keys: ``uploads/<id>/<start>-<sha256 prefix>``; the
key is a function of the part's position and content, so a retried part overwrites its own
orphan instead of leaking another.

Completion (driven by ``clearance``): :meth:`UploadStore.claim` moves an upload whose bytes are
all there to ``completing`` for a lease, :meth:`UploadStore.open_archive` streams the plaintext
back, decrypting part by part and checking every part's and the whole archive's SHA-256, then
:meth:`UploadStore.finish` records the result (kept until expiry, so a repeated completion with
the same options gets the same answer) and deletes the parts, or :meth:`UploadStore.release`
reopens the session with the error for a fix, a retry or a delete. Sessions expire ``ttl`` after
their last change; expired ones are purged whenever a new one is created.
"""

from __future__ import annotations

import hashlib
import io
import re
import secrets
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO, cast

from sqlalchemy import delete, or_, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session, sessionmaker

from access import AuditLog, Clock, Principal
from transfer.blobstore import BlobStore, ChecksumMismatch
from transfer.crypt4gh import decrypt, generate_data_key, make_header
from transfer.errors import (
    ArchiveDigestMismatch,
    InvalidUpload,
    OffsetMismatch,
    PartDigestMismatch,
    UploadBusy,
    UploadError,
    UploadNotFound,
    UploadTooLarge,
)
from transfer.objects import EncryptingReader
from transfer.storage import StorageKey
from transfer.tables import UploadPartRow, UploadRow

__all__ = ["ArchiveReader", "Upload", "UploadLimits", "UploadStore", "part_key"]

_ID = re.compile(r"^[0-9a-f]{32}$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_PURGE_BATCH = 100
_MAX_ERROR = 2000


@dataclass(frozen=True)
class UploadLimits:
    """Node limits; ``max_size`` is the largest archive, ``max_part`` the largest part."""

    max_size: int = 64 << 30
    max_part: int = 64 << 20
    ttl: timedelta = timedelta(hours=24)
    lease: timedelta = timedelta(hours=1)  # how long one completion may hold the session
    max_members: int = 1_000_000


@dataclass(frozen=True)
class Upload:
    id: str
    owner: str
    creator: str
    size: int
    sha256: str
    received: int
    parts: int
    state: str
    created_at: datetime
    expires_at: datetime
    last_error: str | None
    result: dict[str, Any] | None

    @classmethod
    def of(cls, row: UploadRow) -> Upload:
        return cls(
            row.id, row.owner, row.creator, row.size, row.sha256, row.received, row.parts,
            row.state, row.created_at, row.expires_at, row.last_error, row.result,
        )  # fmt: skip

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "owner": self.owner,
            "size": self.size,
            "sha256": self.sha256,
            "offset": self.received,
            "parts": self.parts,
            "state": self.state,
            "created_at": self.created_at.isoformat(),
            "expires_at": self.expires_at.isoformat(),
            "last_error": self.last_error,
            "result": self.result,
        }


def part_key(upload_id: str, start: int, sha256: str) -> str:
    return f"uploads/{upload_id}/{start:020d}-{sha256[:16]}"


class _Concat(io.RawIOBase):
    """Reads ``first`` (bytes), then ``rest``: a Crypt4GH header followed by its body."""

    def __init__(self, first: bytes, rest: io.RawIOBase) -> None:
        super().__init__()
        self._first = memoryview(first)
        self._rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        if self._first:
            n = min(len(view), len(self._first))
            view[:n] = self._first[:n]
            self._first = self._first[n:]
            return n
        return self._rest.readinto(view) or 0


class UploadStore:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        blobs: BlobStore,
        storage: StorageKey,
        audit: AuditLog,
        clock: Clock,
        work_dir: Path,
        limits: UploadLimits | None = None,
    ) -> None:
        self._sessions = sessions
        self.blobs = blobs
        self._storage = storage
        self._audit = audit
        self._clock = clock
        self.work_dir = work_dir
        self.limits = limits or UploadLimits()

    # sessions ----------------------------------------------------------------------------------
    def create(self, who: Principal, size: int, sha256: str) -> Upload:
        """A new session for an archive of ``size`` bytes with this SHA-256 (hex)."""
        self._check_declared(size, sha256)
        self.purge_expired()
        now = self._clock.now()
        row = UploadRow(
            id=secrets.token_hex(16), owner=who.admin, creator=who.user, size=size,
            sha256=sha256.lower(), received=0, parts=0, state="open", created_at=now,
            expires_at=now + self.limits.ttl,
        )  # fmt: skip
        with self._sessions.begin() as session:
            session.add(row)
            session.flush()
            self._log(session, who, "upload.create", row.id, {"size": size, "sha256": row.sha256})
        return Upload.of(row)

    def _check_declared(self, size: int, sha256: str) -> None:
        if isinstance(size, bool) or not isinstance(size, int) or size < 1:
            raise InvalidUpload("size must be a positive whole number of bytes")
        if size > self.limits.max_size:
            raise UploadTooLarge(
                f"size {size} is over this node's limit of {self.limits.max_size} bytes"
            )
        if not isinstance(sha256, str) or not _SHA256.fullmatch(sha256.lower()):
            raise InvalidUpload("sha256 must be 64 hex digits (the whole archive's SHA-256)")

    def _expired(self, row: UploadRow, now: datetime) -> bool:
        held = row.state == "completing" and (row.claimed_until or now) > now
        return row.expires_at <= now and not held

    def _row(self, session: Session, who: Principal, upload_id: str, now: datetime) -> UploadRow:
        row = session.get(UploadRow, upload_id) if _ID.fullmatch(upload_id) else None
        if (
            row is None
            or (row.owner, row.creator) != (who.admin, who.user)
            or self._expired(row, now)
        ):
            raise UploadNotFound(f"no upload session {upload_id[:40]!r} (or it expired)")
        return row

    def get(self, who: Principal, upload_id: str) -> Upload:
        with self._sessions() as session:
            return Upload.of(self._row(session, who, upload_id, self._clock.now()))

    def mine(self, who: Principal) -> list[Upload]:
        """The caller's sessions that have not expired, oldest first."""
        now = self._clock.now()
        with self._sessions() as session:
            rows = session.scalars(
                select(UploadRow)
                .where(UploadRow.owner == who.admin, UploadRow.creator == who.user)
                .order_by(UploadRow.created_at, UploadRow.id)
            )
            return [Upload.of(r) for r in rows if not self._expired(r, now)]

    def delete(self, who: Principal, upload_id: str) -> None:
        now = self._clock.now()
        with self._sessions.begin() as session:
            row = self._row(session, who, upload_id, now)
            if row.state == "completing":
                raise UploadBusy("the upload is being completed; delete it afterwards")
            size, state = row.size, row.state
            session.execute(delete(UploadPartRow).where(UploadPartRow.upload_id == upload_id))
            session.delete(row)
            self._log(session, who, "upload.delete", upload_id, {"size": size, "state": state})
        self._delete_blobs(upload_id)

    def purge_expired(self) -> int:
        """Delete up to a batch of expired sessions with their parts; how many."""
        now = self._clock.now()
        expired = UploadRow.expires_at <= now
        free = or_(UploadRow.state != "completing", UploadRow.claimed_until <= now)
        with self._sessions.begin() as session:
            batch = select(UploadRow.id).where(expired, free).limit(_PURGE_BATCH)
            # Only the rows this statement deleted lose their blobs (parts go by cascade): a
            # session that came back to life in between keeps both.
            ids = list(
                session.scalars(
                    delete(UploadRow)
                    .where(UploadRow.id.in_(batch.scalar_subquery()), expired, free)
                    .returning(UploadRow.id)
                )
            )
        for upload_id in ids:
            self._delete_blobs(upload_id)
        return len(ids)

    def _delete_blobs(self, upload_id: str) -> None:
        for key in list(self.blobs.keys(f"uploads/{upload_id}/")):
            self.blobs.delete(key)

    def _log(
        self, session: Session, who: Principal, action: str, upload_id: str, details: Any
    ) -> None:
        self._audit.append(
            session, actor=who.user, admin=who.admin, action=action,
            resource=f"upload:{upload_id}", decision="allow", reason="", details=details,
        )  # fmt: skip

    # parts -------------------------------------------------------------------------------------
    def room(self, who: Principal, upload_id: str, offset: int) -> int:
        """Check that a part may start at ``offset`` now; the most bytes it may carry."""
        with self._sessions() as session:
            row = self._row(session, who, upload_id, self._clock.now())
            self._check_start(row, offset)
            return min(self.limits.max_part, row.size - row.received)

    def _check_start(self, row: UploadRow, offset: int) -> None:
        if row.state != "open":
            raise UploadBusy(f"the upload is {row.state}; it takes no more parts")
        if offset != row.received:
            raise OffsetMismatch(
                f"the part starts at {offset} but the upload is at offset {row.received}",
                offset=row.received,
            )

    def append(
        self, who: Principal, upload_id: str, offset: int, part: BinaryIO, size: int, sha256: str
    ) -> Upload:
        """Add ``size`` bytes read from ``part`` (SHA-256 ``sha256``) at ``offset``."""
        with self._sessions() as session:
            row = self._row(session, who, upload_id, self._clock.now())
            self._check_start(row, offset)
            self._check_part(row, offset, size)
        key = part_key(upload_id, offset, sha256)
        self._store_part(key, part, size, sha256)
        try:
            return self._commit_part(upload_id, offset, size, sha256, key)
        except BaseException:
            self._drop_unreferenced(upload_id, key)
            raise

    def _check_part(self, row: UploadRow, offset: int, size: int) -> None:
        if size < 1:
            raise InvalidUpload("a part must carry at least one byte")
        if size > self.limits.max_part:
            raise UploadTooLarge(f"a part may carry at most {self.limits.max_part} bytes")
        if offset + size > row.size:
            raise UploadTooLarge(
                f"the part ends at byte {offset + size}, past the declared size {row.size}"
            )

    def _store_part(self, key: str, part: BinaryIO, size: int, sha256: str) -> None:
        """Encrypt the part to the storage key while storing it; nothing kept on a mismatch."""
        data_key = generate_data_key()
        header = make_header(data_key, self._storage.private_key(), [self._storage.public_key])
        body = EncryptingReader(part, data_key, expected_sha256=sha256, expected_size=size)
        try:
            self.blobs.put_stream(key, _Concat(header, body))  # type: ignore[arg-type]
        except ChecksumMismatch:
            raise PartDigestMismatch(
                "the part's bytes do not match its Content-Digest; nothing was appended"
            ) from None

    def _commit_part(self, upload_id: str, offset: int, size: int, sha256: str, key: str) -> Upload:
        now = self._clock.now()
        with self._sessions.begin() as session:
            moved: CursorResult[Any] = session.execute(  # type: ignore[assignment]
                update(UploadRow)
                .where(
                    UploadRow.id == upload_id,
                    UploadRow.received == offset,
                    UploadRow.state == "open",
                )
                .values(
                    received=offset + size,
                    parts=UploadRow.parts + 1,
                    expires_at=now + self.limits.ttl,
                    last_error=None,
                )
                .execution_options(synchronize_session=False)
            )
            if moved.rowcount == 1:
                session.add(UploadPartRow(
                    upload_id=upload_id, start=offset, size=size, sha256=sha256, blob=key
                ))  # fmt: skip
                session.flush()
                row = session.get(UploadRow, upload_id, populate_existing=True)
                assert row is not None
                return Upload.of(row)
            current = session.scalar(select(UploadRow.received).where(UploadRow.id == upload_id))
        # Another request moved the offset (or the session went away) since the check above.
        if current is None:
            raise UploadNotFound(f"no upload session {upload_id!r} (or it expired)")
        raise OffsetMismatch(
            f"the part starts at {offset} but the upload is at offset {current}", offset=current
        )

    def _drop_unreferenced(self, upload_id: str, key: str) -> None:
        """Delete the blob ``key`` unless an accepted part names it (same start, same bytes)."""
        with self._sessions() as session:
            used = session.scalar(
                select(UploadPartRow.start).where(
                    UploadPartRow.upload_id == upload_id, UploadPartRow.blob == key
                )
            )
        if used is None:
            self.blobs.delete(key)

    # completion --------------------------------------------------------------------------------
    def claim(self, who: Principal, upload_id: str, options_sha256: str) -> Upload:
        """Hold a complete upload for one completion (state ``completing``, for the lease).

        An upload completed already with the same options is returned as it is (its ``result``
        answers again); with other options it is ``UploadBusy``.
        """
        now = self._clock.now()
        with self._sessions.begin() as session:
            row = self._row(session, who, upload_id, now)
            if row.state == "completed":
                if row.completed_with != options_sha256:
                    raise UploadBusy("the upload was completed already, with other options")
                return Upload.of(row)
            if row.received != row.size:
                raise UploadBusy(
                    f"the upload has {row.received} of {row.size} bytes; send the rest first"
                )
            taken: CursorResult[Any] = session.execute(  # type: ignore[assignment]
                update(UploadRow)
                .where(
                    UploadRow.id == upload_id,
                    or_(
                        UploadRow.state == "open",
                        (UploadRow.state == "completing") & (UploadRow.claimed_until <= now),
                    ),
                )
                .values(state="completing", claimed_until=now + self.limits.lease)
                .execution_options(synchronize_session=False)
            )
            if taken.rowcount != 1:
                raise UploadBusy("the upload is being completed by another request")
            claimed = session.get(UploadRow, upload_id, populate_existing=True)
            assert claimed is not None
            return Upload.of(claimed)

    def parts(self, upload_id: str) -> list[tuple[int, int, str, str]]:
        """``(start, size, sha256, blob key)`` of every accepted part, in order."""
        with self._sessions() as session:
            rows = session.execute(
                select(UploadPartRow.start, UploadPartRow.size)
                .add_columns(UploadPartRow.sha256, UploadPartRow.blob)
                .where(UploadPartRow.upload_id == upload_id)
                .order_by(UploadPartRow.start)
            )
            return [(r[0], r[1], r[2], r[3]) for r in rows]

    def open_archive(self, upload: Upload) -> ArchiveReader:
        """The archive's plaintext as a stream; see :class:`ArchiveReader`."""
        return ArchiveReader(self, upload, self.parts(upload.id))

    def decrypt_part(self, key: str, out: BinaryIO) -> None:
        with self.blobs.open(key) as source:
            sk = self._storage.private_key()
            decrypt(source, out, reader_sk=sk, sender_pk=self._storage.public_key)

    def finish(
        self, who: Principal, upload: Upload, options_sha256: str, result: dict[str, Any]
    ) -> None:
        """Record a successful completion and drop the parts (the result stays until expiry)."""
        now = self._clock.now()
        with self._sessions.begin() as session:
            session.execute(
                update(UploadRow)
                .where(UploadRow.id == upload.id)
                .values(
                    state="completed",
                    claimed_until=None,
                    last_error=None,
                    result=result,
                    completed_with=options_sha256,
                    expires_at=now + self.limits.ttl,
                )
                .execution_options(synchronize_session=False)
            )
            session.execute(delete(UploadPartRow).where(UploadPartRow.upload_id == upload.id))
            details = {"size": upload.size, "sha256": upload.sha256, **result}
            self._log(session, who, "upload.complete", upload.id, details)
        self._delete_blobs(upload.id)

    def release(
        self, who: Principal, upload: Upload, code: str, message: str, holding: str = ""
    ) -> None:
        """A completion (publishing ``holding``) failed: reopen the session, keep the error,
        log it."""
        now = self._clock.now()
        with self._sessions.begin() as session:
            session.execute(
                update(UploadRow)
                .where(UploadRow.id == upload.id, UploadRow.state == "completing")
                .values(
                    state="open",
                    claimed_until=None,
                    last_error=message[:_MAX_ERROR],
                    expires_at=now + self.limits.ttl,
                )
                .execution_options(synchronize_session=False)
            )
            self._audit.append(
                session, actor=who.user, admin=who.admin, action="upload.fail",
                resource=f"upload:{upload.id}", decision="info", reason=code,
                details={
                    "holding": holding, "size": upload.size, "sha256": upload.sha256, "error": code
                },
            )  # fmt: skip


class ArchiveReader(io.RawIOBase):
    """The plaintext of an upload, read part by part in order.

    Each part is decrypted into a spooled temporary file in the work folder (so memory stays
    bounded by the spool size whatever the part size), and its size and SHA-256 are checked
    against what was accepted before its last byte is handed on. :meth:`verify` reads what is
    left and checks the whole archive's size and SHA-256 (``ArchiveDigestMismatch``).
    """

    _SPOOL = 8 << 20

    def __init__(
        self, store: UploadStore, upload: Upload, parts: Sequence[tuple[int, int, str, str]]
    ) -> None:
        super().__init__()
        self._store = store
        self._upload = upload
        self._parts = list(parts)
        self._next = 0
        self._current: Any = None  # the open spool of the part being read
        self._part_digest = hashlib.sha256()
        self._part_size = 0
        self._digest = hashlib.sha256()
        self._size = 0

    def readable(self) -> bool:
        return True

    def _open_next(self) -> bool:
        if self._next == len(self._parts):
            return False
        start, _, _, key = self._parts[self._next]
        if start != self._size:  # accepted parts always tile the archive: the store is damaged
            raise UploadError(f"upload {self._upload.id}: stored parts leave a gap at {start}")
        # Not a with-block: the spool stays open while the part is read (closed by _close_part).
        spool = tempfile.SpooledTemporaryFile(  # noqa: SIM115
            max_size=self._SPOOL, dir=str(self._store.work_dir)
        )
        try:
            self._store.decrypt_part(key, cast(BinaryIO, spool))
            spool.seek(0)
        except BaseException:
            spool.close()
            raise
        self._current = spool
        self._part_digest, self._part_size = hashlib.sha256(), 0
        return True

    def _close_part(self) -> None:
        start, size, sha256, _ = self._parts[self._next]
        self._current.close()
        self._current = None
        self._next += 1
        if (self._part_size, self._part_digest.hexdigest()) != (size, sha256):
            raise UploadError(f"upload {self._upload.id}: stored part at {start} is damaged")

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        while True:
            if self._current is None and not self._open_next():
                return 0
            n = int(self._current.readinto(view))
            if n:
                chunk = view[:n]
                self._part_digest.update(chunk)
                self._digest.update(chunk)
                self._part_size += n
                self._size += n
                return n
            self._close_part()

    def verify(self) -> None:
        """Read the rest and check the whole archive against the declared size and SHA-256."""
        buffer = bytearray(1 << 20)
        while self.readinto(buffer):
            pass
        if (self._size, self._digest.hexdigest()) != (self._upload.size, self._upload.sha256):
            raise ArchiveDigestMismatch(
                f"the archive's SHA-256 is {self._digest.hexdigest()}, not the declared "
                f"{self._upload.sha256}; delete this upload and send the archive again"
            )

    def close(self) -> None:
        if self._current is not None:
            self._current.close()
            self._current = None
        super().close()
