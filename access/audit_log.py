"""The audit log service: appends inside the caller's transaction, checkpoints, verify, export.

Every publish, request, decision, grant, revocation, download and evaluation gets one entry,
written in the same transaction as the change it records, so both commit or neither does.
Appends lock the single head row (``SELECT … FOR UPDATE`` on PostgreSQL; on SQLite an
up-front write on the head row takes the database write lock), which serialises the chain:
concurrent appends from any number of processes give a gap-free sequence.

The node's audit key (ES256) is a 0600 file ``<keys_dir>/_node/audit/<kid>.pem``, created on
first use, with its public JWK beside it in ``<kid>.jwk.json``. The head is re-signed on every
append; every ``checkpoint_every`` entries, and on demand, a signed checkpoint is stored.

Appends fail closed: if the head row's signature does not verify, or the entry it names is not
there, the append raises ``AuditError`` rather than extend (and so launder) a tampered chain.

What verification cannot see from the node alone: someone able to write the database *and* to
replace the key file, or who replays a head and checkpoint set recorded earlier (rollback), or
who empties all three tables. Export the signed checkpoints off the node (``clearance audit
export --checkpoints``) and pin the public key (``verify --public-key``) to cover those.

Entries must not carry secrets (tokens, passwords, key material): they are readable by every
auditor and exported verbatim. That is the callers' responsibility; ``details`` is checked only
for shape and size.
"""

from __future__ import annotations

import fcntl
import json
import os
import threading
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, Literal, NamedTuple, TextIO, cast

from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import Select, Table, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from access.audit_chain import (
    CHECKPOINT_TYP,
    GENESIS_HASH,
    HEAD_TYP,
    AuditEntry,
    Checkpoint,
    EntryFields,
    Head,
    VerifyReport,
    canonical_json,
    entry_hash,
    format_time,
    sign_point,
    verify_chain,
    verify_point,
)
from access.clock import Clock
from access.errors import AccessError
from access.keys import (
    SigningKey,
    generate_signing_key,
    load_signing_key,
    public_key_from_jwk,
    save_signing_key,
)
from access.tables import AuditCheckpointRow, AuditEntryRow, AuditHeadRow

# The tables themselves: an append runs on every audited request (one per object body a pull
# fetches), so its statements are plain SQL through the session's connection, not the ORM's
# unit of work (about 0.3 ms less CPU per append on the node; docs/architecture.md).
_ENTRIES = cast(Table, AuditEntryRow.__table__)
_HEADS = cast(Table, AuditHeadRow.__table__)

__all__ = [
    "AuditError",
    "AuditLog",
    "Decision",
    "audit_key_dir",
    "entry_of",
    "entry_select",
    "read_public_jwk",
]

Decision = Literal["allow", "deny", "info"]

_HEAD_ID = 1
_STREAM_BATCH = 1000


class AuditError(AccessError):
    """The audit log cannot be written or read as it is; detail in the message, never secrets."""

    code = "audit-error"


def entry_select() -> Select[tuple[Any, ...]]:
    """The columns of an entry, in the order :func:`entry_of` reads them."""
    e = AuditEntryRow
    return select(
        e.seq, e.at, e.actor, e.admin, e.action, e.resource, e.decision, e.reason, e.details,
        e.prev_hash, e.hash,
    )  # fmt: skip


def entry_of(row: Sequence[Any]) -> AuditEntry:
    """An entry from one row of :func:`entry_select`."""
    seq, at, actor, admin, action, resource, decision, reason, details, prev, digest = row
    fields = EntryFields(at, actor, admin, action, resource, decision, reason, details)
    return AuditEntry(seq, fields, prev, digest)


def audit_key_dir(keys_dir: Path) -> Path:
    return keys_dir / "_node" / "audit"


def read_public_jwk(path: Path) -> ec.EllipticCurvePublicKey:
    """A pinned audit public key from a JWK file (for ``verify(public_key=...)``)."""
    try:
        jwk = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(jwk, dict):
            raise ValueError("not a JSON object")
        return public_key_from_jwk(jwk)
    except (OSError, ValueError, KeyError) as exc:
        raise AuditError(f"cannot read an EC P-256 public JWK from {path}: {exc}") from None


class _Head(NamedTuple):
    """The audit chain's head as read (locked) at the start of an append or checkpoint."""

    seq: int
    hash: str
    signature: str


class AuditLog:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        keys_dir: Path,
        clock: Clock,
        checkpoint_every: int = 100,
    ) -> None:
        if checkpoint_every < 1:
            raise ValueError("checkpoint_every must be at least 1")
        self._sessions = sessions
        self._key_dir = audit_key_dir(keys_dir)
        self._clock = clock
        self._every = checkpoint_every
        self._key: SigningKey | None = None
        self._key_lock = threading.Lock()
        # (seq, hash, signature) of the head this process signed last. A head row equal to it
        # carries a signature this process made with its key over that seq and hash, so
        # verifying it again cannot fail: _check_head skips that one ES256 verification (the
        # largest part of an append after the SQL). Set before the commit, so after a rollback
        # it names a head no row holds, and no row can match it.
        self._signed_head: tuple[int, str, str] | None = None

    # keys --------------------------------------------------------------------------------------
    def _existing_key_files(self) -> list[Path]:
        if not self._key_dir.is_dir():
            return []
        found = sorted(self._key_dir.glob("*.pem"))
        if len(found) > 1:
            raise AuditError(f"several audit keys in {self._key_dir}; exactly one must be there")
        return found

    def signing_key(self) -> SigningKey:
        """The node's audit key; created (0600, under an exclusive file lock) on first use."""
        with self._key_lock:
            if self._key is not None:
                return self._key
            self._key_dir.parent.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            for directory in (self._key_dir.parent, self._key_dir):
                directory.mkdir(exist_ok=True, mode=0o700)  # every level private, not just the last
            fd = os.open(self._key_dir / ".lock", os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)  # another process may be creating it right now
                found = self._existing_key_files()
                if found:
                    key = load_signing_key(found[0])
                else:
                    key = generate_signing_key()
                    save_signing_key(key, self._key_dir)
                    jwk_path = self._key_dir / f"{key.kid}.jwk.json"
                    jwk_path.write_text(json.dumps(key.public_jwk(), indent=2) + "\n")
                    jwk_path.chmod(0o644)
            finally:
                os.close(fd)  # releases the lock
            self._key = key
            return key

    def public_jwk(self) -> dict[str, Any]:
        return self.signing_key().public_jwk()

    def _public_key_if_any(self) -> ec.EllipticCurvePublicKey | None:
        """The local audit public key without creating one (None when there is none yet)."""
        found = self._existing_key_files()
        if found:
            return load_signing_key(found[0]).private_key.public_key()
        jwks = sorted(self._key_dir.glob("*.jwk.json")) if self._key_dir.is_dir() else []
        if len(jwks) == 1:
            return read_public_jwk(jwks[0])
        return None

    # writing -----------------------------------------------------------------------------------
    def _lock_head(self, session: Session, key: SigningKey) -> _Head:
        if session.get_bind().dialect.name == "sqlite":
            # SQLite ignores FOR UPDATE; a write takes the database write lock, and the read
            # that follows sees the newest committed head.
            session.execute(update(_HEADS).where(_HEADS.c.id == _HEAD_ID).values(seq=_HEADS.c.seq))
        query = (
            select(_HEADS.c.seq, _HEADS.c.hash, _HEADS.c.signature)
            .where(_HEADS.c.id == _HEAD_ID)
            .with_for_update()
        )
        row = session.execute(query).first()
        if row is None:
            # Two first appends race here: one insert wins, the other re-reads the winner's
            # committed head (each statement sees the newest commit under READ COMMITTED).
            try:
                with session.begin_nested():
                    signature = sign_point(
                        key, typ=HEAD_TYP, seq=0, hash=GENESIS_HASH, now=self._clock.now()
                    )
                    session.execute(
                        insert(_HEADS).values(
                            id=_HEAD_ID, seq=0, hash=GENESIS_HASH, signature=signature
                        )
                    )
            except IntegrityError:
                pass
            row = session.execute(query).one()
        head = _Head(row.seq, row.hash, row.signature)
        if head.seq == 0 and session.scalar(select(_ENTRIES.c.seq).limit(1)) is not None:
            raise AuditError("audit head row is missing while entries exist; run `audit verify`")
        return head

    def _check_head(self, session: Session, key: SigningKey, head: _Head) -> None:
        if self._signed_head != (head.seq, head.hash, head.signature):
            signed = verify_point(head.signature, typ=HEAD_TYP, key=key.private_key.public_key())
            if isinstance(signed, str):
                raise AuditError(f"audit head signature is invalid ({signed}); run `audit verify`")
            if (signed.seq, signed.hash) != (head.seq, head.hash):
                raise AuditError("audit head row does not match its signature; run `audit verify`")
        if head.seq == 0:
            if head.hash != GENESIS_HASH:
                raise AuditError("audit head at seq 0 must carry the genesis hash")
            return
        stored = session.scalar(select(_ENTRIES.c.hash).where(_ENTRIES.c.seq == head.seq))
        if stored != head.hash:
            raise AuditError(
                f"audit entry {head.seq} named by the head is missing or altered; "
                "run `audit verify`"
            )

    def _sign(self, key: SigningKey, typ: str, seq: int, digest: str, now: datetime) -> str:
        return sign_point(key, typ=typ, seq=seq, hash=digest, now=now)

    def append(
        self,
        session: Session,
        *,
        actor: str,
        admin: str,
        action: str,
        resource: str,
        decision: Decision,
        reason: str,
        details: Mapping[str, Any] | None = None,
    ) -> int:
        """Add one entry inside the caller's transaction; returns its seq.

        The caller commits (or rolls back) the entry together with the change it records.
        Raises ``InvalidInput`` for fields that may not enter the log, ``AuditError`` when the
        chain's head does not check out.
        """
        now = self._clock.now()
        fields = EntryFields.create(
            at=now,
            actor=actor,
            admin=admin,
            action=action,
            resource=resource,
            decision=decision,
            reason=reason,
            details=details,
        )
        key = self.signing_key()
        head = self._lock_head(session, key)
        self._check_head(session, key, head)
        seq = head.seq + 1
        digest = entry_hash(head.hash, fields)
        session.execute(
            insert(_ENTRIES).values(
                seq=seq,
                at=fields.at,
                actor=fields.actor,
                admin=fields.admin,
                action=fields.action,
                resource=fields.resource,
                decision=fields.decision,
                reason=fields.reason,
                details=dict(fields.details),
                prev_hash=head.hash,
                hash=digest,
            )
        )
        signature = self._sign(key, HEAD_TYP, seq, digest, now)
        session.execute(
            update(_HEADS)
            .where(_HEADS.c.id == _HEAD_ID)
            .values(seq=seq, hash=digest, signature=signature)
        )
        self._signed_head = (seq, digest, signature)
        if seq % self._every == 0:
            session.add(
                AuditCheckpointRow(
                    seq=seq,
                    hash=digest,
                    signed_at=now,
                    signature=self._sign(key, CHECKPOINT_TYP, seq, digest, now),
                )
            )
        session.flush()
        return seq

    def checkpoint(self, session: Session) -> int:
        """Sign a checkpoint at the current head (inside the caller's transaction); its seq.

        Idempotent: a checkpoint that exists already at the head is kept as it is.
        """
        key = self.signing_key()
        head = self._lock_head(session, key)
        self._check_head(session, key, head)
        if session.get(AuditCheckpointRow, head.seq) is None:
            now = self._clock.now()
            session.add(
                AuditCheckpointRow(
                    seq=head.seq,
                    hash=head.hash,
                    signed_at=now,
                    signature=self._sign(key, CHECKPOINT_TYP, head.seq, head.hash, now),
                )
            )
            session.flush()
        return head.seq

    # reading -----------------------------------------------------------------------------------
    @staticmethod
    def _snapshot(session: Session) -> None:
        """One consistent view for the whole read, while appends may go on."""
        dialect = session.get_bind().dialect.name
        if dialect == "postgresql":
            session.connection(
                execution_options={
                    "isolation_level": "REPEATABLE READ",
                    "postgresql_readonly": True,
                }
            )
        elif dialect == "sqlite":
            connection = session.connection()
            raw: Any = connection.connection.driver_connection
            if not raw.in_transaction:  # pysqlite opens transactions only before writes
                connection.exec_driver_sql("BEGIN")

    @staticmethod
    def _entries(session: Session) -> Iterator[AuditEntry]:
        query = entry_select().order_by(AuditEntryRow.seq)
        for row in session.execute(query.execution_options(yield_per=_STREAM_BATCH)):
            yield entry_of(row)

    @staticmethod
    def _checkpoints(session: Session) -> list[AuditCheckpointRow]:
        return list(session.scalars(select(AuditCheckpointRow).order_by(AuditCheckpointRow.seq)))

    def verify(self, public_key: ec.EllipticCurvePublicKey | None = None) -> VerifyReport:
        """Check the whole log; never raises for what it finds (see the report's problems).

        ``public_key`` pins the audit key to check signatures with; by default the node's own
        key file is used (and a log with entries but no key reports bad signatures).
        """
        key = public_key if public_key is not None else self._public_key_if_any()
        with self._sessions() as session:
            self._snapshot(session)
            head_row = session.get(AuditHeadRow, _HEAD_ID)
            head = (
                None if head_row is None else Head(head_row.seq, head_row.hash, head_row.signature)
            )
            checkpoints = [
                Checkpoint(c.seq, c.hash, c.signature) for c in self._checkpoints(session)
            ]
            return verify_chain(self._entries(session), checkpoints, head, key)

    def export(self, out: TextIO) -> int:
        """Write every entry as one canonical JSON line (fields, seq, prev_hash, hash)."""
        count = 0
        with self._sessions() as session:
            self._snapshot(session)
            for entry in self._entries(session):
                out.write(canonical_json(entry.document()).decode("utf-8") + "\n")
                count += 1
        return count

    def export_checkpoints(self, out: TextIO) -> int:
        """Write every signed checkpoint as one JSON line: seq, hash, signed_at, signature."""
        count = 0
        with self._sessions() as session:
            self._snapshot(session)
            for row in self._checkpoints(session):
                line = {
                    "seq": row.seq,
                    "hash": row.hash,
                    "signed_at": format_time(row.signed_at),
                    "signature": row.signature,
                }
                out.write(canonical_json(line).decode("utf-8") + "\n")
                count += 1
        return count
