"""The audit log's trust logic: canonical entries, the hash chain, signed heads and checkpoints.

Pure: no database, no files, no wall clock. Keys and times are arguments. The service in
``access.audit_log`` reads rows and hands them here; everything that decides whether the log is
intact lives in this module, so it can be tested (and reimplemented by an outside verifier)
without a node.

Chain
    ``hash = sha256(prev_hash_hex_ascii + b"\\n" + canonical_json(fields)).hexdigest()`` where
    ``fields`` are ``action, actor, admin, at, decision, details, reason, resource`` (``seq``,
    ``prev_hash`` and ``hash`` are not hashed: the position is bound by the link to the
    predecessor, by the head and by checkpoints). The first entry (seq 1) links to 64 zeros.

Canonical JSON
    ``json.dumps(sort_keys=True, separators=(",", ":"), ensure_ascii=False)`` encoded as UTF-8;
    keys sorted by code point; times as UTC ``YYYY-MM-DDTHH:MM:SS.ffffffZ``; numbers are integers
    only (no floats: they do not survive every JSON store unchanged), within ±(2**53 - 1).

Signatures
    The head (newest seq and hash) and each checkpoint are compact JWS (ES256) over
    ``{"seq": n, "hash": h, "iat": t}`` by the node's audit key, with a ``typ`` header that
    tells a head from a checkpoint (so one cannot be passed off as the other) and the key's
    RFC 7638 thumbprint as ``kid``. Verification uses an algorithm allow-list.

Verification never raises on bad data: it returns a ``VerifyReport`` whose problems say what
is wrong and where. The one exception type for callers is ``access.errors.InvalidInput`` for
fields that may not enter the log.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec

from access.encoding import utc_text
from access.errors import AccessError, InvalidInput
from access.es256 import JWS
from access.keys import SIGNING_ALG, SigningKey, jwk_thumbprint

__all__ = [
    "ALLOWED_ALGORITHMS",
    "CHECKPOINT_TYP",
    "DECISIONS",
    "GENESIS_HASH",
    "HEAD_TYP",
    "AuditEntry",
    "Checkpoint",
    "EntryFields",
    "Head",
    "Problem",
    "ProblemKind",
    "SignedPoint",
    "VerifyReport",
    "canonical_json",
    "entry_hash",
    "format_time",
    "sign_point",
    "verify_chain",
    "verify_point",
]

GENESIS_HASH = "0" * 64
ALLOWED_ALGORITHMS = (SIGNING_ALG,)
HEAD_TYP = "clearance-audit-head+jws"
CHECKPOINT_TYP = "clearance-audit-checkpoint+jws"
DECISIONS = frozenset({"allow", "deny", "info"})

MAX_ACTOR = 64
MAX_ACTION = 64
MAX_RESOURCE = 300
MAX_REASON = 4000
MAX_DETAILS_BYTES = 16_384
MAX_DEPTH = 16
MAX_SAFE_INT = 2**53 - 1

_HASH = re.compile(r"^[0-9a-f]{64}$")
_ADMIN = re.compile(r"^(?:[A-Z]{3})?$")


class ProblemKind(StrEnum):
    """What ``verify_chain`` can find wrong; each value is also the word shown to operators."""

    MODIFIED = "modified"  # an entry's content does not match its hash, or it was replaced
    DELETED = "deleted"  # seq jumps: entries missing in the middle
    INSERTED = "inserted"  # duplicate or out-of-range seq, entries beyond the head, a fork
    REORDERED = "reordered"  # entries are chained, but not in the order of their seq
    TRUNCATED = "truncated"  # the signed head or a checkpoint is beyond the last entry
    CHECKPOINT_BAD_SIGNATURE = "checkpoint-bad-signature"
    CHECKPOINT_MISMATCH = "checkpoint-mismatch"  # signed hash != the entry's hash at that seq
    CHECKPOINT_MISSING_ENTRY = "checkpoint-missing-entry"
    HEAD_BAD_SIGNATURE = "head-bad-signature"
    HEAD_MISMATCH = "head-mismatch"  # signed head hash != the entry's hash at that seq
    HEAD_MISSING = "head-missing"  # entries exist but no head row


@dataclass(frozen=True, slots=True)
class Problem:
    kind: ProblemKind
    seq: int | None
    detail: str

    def __str__(self) -> str:
        where = "" if self.seq is None else f" at seq {self.seq}"
        return f"{self.kind.value}{where}: {self.detail}"


@dataclass(frozen=True)
class VerifyReport:
    problems: list[Problem] = field(default_factory=list)
    entries: int = 0
    checkpoints: int = 0
    head_seq: int = 0  # as the head row says; 0 when there is none

    @property
    def ok(self) -> bool:
        return not self.problems

    def kinds(self) -> set[ProblemKind]:
        return {p.kind for p in self.problems}

    def as_json(self) -> dict[str, Any]:
        """The report as ``GET /audit/verify`` and ``clearance audit verify --json`` give it."""
        return {
            "ok": self.ok,
            "entries": self.entries,
            "checkpoints": self.checkpoints,
            "head_seq": self.head_seq,
            "problems": [
                {"kind": p.kind.value, "seq": p.seq, "detail": p.detail} for p in self.problems
            ],
        }


# ---------------------------------------------------------------------------------- encoding


def format_time(at: datetime) -> str:
    """UTC, microseconds, 'Z': the one text form of a time in the chain."""
    if at.tzinfo is not UTC:
        if at.tzinfo is None or at.utcoffset() is None:
            raise InvalidInput("audit times must be timezone-aware")
        at = at.astimezone(UTC)
    return utc_text(at, timespec="microseconds")


_ENCODER = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
)


def canonical_json(value: Any) -> bytes:
    return _ENCODER.encode(value).encode("utf-8")


def _check_text(name: str, value: object, *, limit: int, allow_empty: bool = True) -> str:
    if not isinstance(value, str):
        raise InvalidInput(f"audit field {name} must be a string")
    if not allow_empty and not value:
        raise InvalidInput(f"audit field {name} must not be empty")
    if len(value) > limit:
        raise InvalidInput(f"audit field {name} is longer than {limit} characters")
    _check_string(name, value)
    return value


def _check_string(name: str, value: str) -> None:
    if "\x00" in value:
        raise InvalidInput(f"audit field {name} contains a NUL character")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidInput(f"audit field {name} is not valid Unicode text") from None


def _check_json(value: object, depth: int = 0) -> None:
    if depth > MAX_DEPTH:
        raise InvalidInput(f"audit details are nested deeper than {MAX_DEPTH} levels")
    if value is None or isinstance(value, bool):
        return
    if isinstance(value, int):
        if not -MAX_SAFE_INT <= value <= MAX_SAFE_INT:
            raise InvalidInput("audit details hold an integer outside ±(2**53 - 1)")
        return
    if isinstance(value, str):
        _check_string("details", value)
        return
    if isinstance(value, list | tuple):
        for item in value:
            _check_json(item, depth + 1)
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise InvalidInput("audit details keys must be strings")
            _check_string("details", key)
            _check_json(item, depth + 1)
        return
    raise InvalidInput(
        f"audit details may hold only strings, integers, booleans, null, lists and objects, "
        f"not {type(value).__name__}"
    )


@dataclass(frozen=True, slots=True)
class EntryFields:
    """The hashed part of an entry. Build new ones with ``create`` (validates and normalises)."""

    at: datetime
    actor: str
    admin: str
    action: str
    resource: str
    decision: str
    reason: str
    details: Mapping[str, Any]

    @classmethod
    def create(
        cls,
        *,
        at: datetime,
        actor: str,
        admin: str,
        action: str,
        resource: str,
        decision: str,
        reason: str,
        details: Mapping[str, Any] | None = None,
    ) -> EntryFields:
        format_time(at)
        _check_text("actor", actor, limit=MAX_ACTOR, allow_empty=False)
        if not isinstance(admin, str) or not _ADMIN.fullmatch(admin):
            raise InvalidInput("audit field admin must be an ISO alpha-3 code or empty")
        _check_text("action", action, limit=MAX_ACTION, allow_empty=False)
        _check_text("resource", resource, limit=MAX_RESOURCE)
        if decision not in DECISIONS:
            raise InvalidInput(f"audit decision must be one of {sorted(DECISIONS)}")
        _check_text("reason", reason, limit=MAX_REASON)
        details = {} if details is None else details
        if not isinstance(details, Mapping):
            raise InvalidInput("audit details must be a JSON object")
        _check_json(dict(details))
        encoded = canonical_json(dict(details))
        if len(encoded) > MAX_DETAILS_BYTES:
            raise InvalidInput(f"audit details are larger than {MAX_DETAILS_BYTES} bytes")
        # A fresh, JSON-shaped copy: exactly what the database will give back (tuples → lists).
        normalised: dict[str, Any] = json.loads(encoded)
        return cls(
            at=at.astimezone(UTC),
            actor=actor,
            admin=admin,
            action=action,
            resource=resource,
            decision=decision,
            reason=reason,
            details=normalised,
        )

    def document(self) -> dict[str, Any]:
        """The fields as the JSON object that is hashed (and exported)."""
        return {
            "action": self.action,
            "actor": self.actor,
            "admin": self.admin,
            "at": format_time(self.at),
            "decision": self.decision,
            "details": self.details,
            "reason": self.reason,
            "resource": self.resource,
        }


def entry_hash(prev_hash: str, fields: EntryFields) -> str:
    digest = hashlib.sha256(prev_hash.encode("ascii"))
    digest.update(b"\n")
    digest.update(canonical_json(fields.document()))
    return digest.hexdigest()


@dataclass(frozen=True, slots=True)
class AuditEntry:
    seq: int
    fields: EntryFields
    prev_hash: str
    hash: str

    def document(self) -> dict[str, Any]:
        """The export form: the hashed fields plus seq, prev_hash and hash."""
        return {
            **self.fields.document(),
            "seq": self.seq,
            "prev_hash": self.prev_hash,
            "hash": self.hash,
        }


@dataclass(frozen=True, slots=True)
class Head:
    seq: int
    hash: str
    signature: str


@dataclass(frozen=True, slots=True)
class Checkpoint:
    seq: int
    hash: str
    signature: str


# -------------------------------------------------------------------------------- signatures


@dataclass(frozen=True, slots=True)
class SignedPoint:
    """What a head or checkpoint signature vouches for: the chain had ``hash`` at ``seq``."""

    seq: int
    hash: str
    issued_at: int


class _BadSignature(AccessError):
    pass


def sign_point(key: SigningKey, *, typ: str, seq: int, hash: str, now: datetime) -> str:
    if typ not in (HEAD_TYP, CHECKPOINT_TYP):
        raise ValueError(f"unknown audit signature type {typ!r}")
    payload = {"seq": seq, "hash": hash, "iat": int(now.timestamp())}
    return JWS.encode(
        json.dumps(payload, separators=(",", ":")).encode("ascii"),
        key.private_key,
        algorithm=key.alg,
        headers={"kid": key.kid, "typ": typ},
    )


def _verify_point(
    token: str, *, typ: str, key: ec.EllipticCurvePublicKey | None, kid: str | None
) -> SignedPoint:
    if key is None or kid is None:
        raise _BadSignature("no audit public key to verify it with")
    if not isinstance(token, str) or not token or len(token) > 4096:
        raise _BadSignature("not a well-formed JWS")
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        raise _BadSignature("not a well-formed JWS") from None
    alg = header.get("alg")
    if alg not in ALLOWED_ALGORITHMS:
        raise _BadSignature(f"algorithm {alg!r} is not allowed")
    if header.get("typ") != typ:
        raise _BadSignature(f"signed as {header.get('typ')!r}, not as {typ!r}")
    if header.get("kid") != kid:
        raise _BadSignature("signed by a key other than this node's audit key")
    try:
        raw = JWS.decode_complete(token, key, algorithms=list(ALLOWED_ALGORITHMS))
        payload = json.loads(raw["payload"])
    except jwt.InvalidSignatureError:
        raise _BadSignature("signature does not verify") from None
    except (jwt.PyJWTError, ValueError):
        raise _BadSignature("not a well-formed JWS") from None
    if not isinstance(payload, dict):
        raise _BadSignature("payload is not a JSON object")
    seq, digest, iat = payload.get("seq"), payload.get("hash"), payload.get("iat")
    if not isinstance(seq, int) or isinstance(seq, bool) or seq < 0:
        raise _BadSignature("payload seq is not a non-negative integer")
    if not isinstance(digest, str) or not _HASH.fullmatch(digest):
        raise _BadSignature("payload hash is not a SHA-256 hex digest")
    if not isinstance(iat, int) or isinstance(iat, bool):
        raise _BadSignature("payload iat is not an integer")
    return SignedPoint(seq, digest, iat)


def verify_point(token: str, *, typ: str, key: ec.EllipticCurvePublicKey) -> SignedPoint | str:
    """The signed (seq, hash) of a head or checkpoint, or why it does not verify."""
    try:
        return _verify_point(token, typ=typ, key=key, kid=jwk_thumbprint(key))
    except _BadSignature as exc:
        return str(exc)


# ------------------------------------------------------------------------------ verification


def _range(first: int, last: int) -> str:
    return f"entry {first}" if first == last else f"entries {first}–{last}"


@dataclass
class _Walk:
    """State of one streaming pass over the entries, in seq order."""

    problems: list[Problem] = field(default_factory=list)
    count: int = 0
    last_seq: int = 0
    last_hash: str = GENESIS_HASH
    first_seq: int | None = None
    hash_at: dict[str, int] = field(default_factory=dict)  # hash → seq, to classify breaks
    breaks: list[tuple[int, str]] = field(default_factory=list)  # (seq, its prev_hash)
    unlinked: set[int] = field(default_factory=set)  # seqs whose link was not intact
    gaps: list[tuple[int, int]] = field(default_factory=list)
    seen_checkpoints: set[int] = field(default_factory=set)
    head_entry_hash: str | None = None

    def add(self, kind: ProblemKind, seq: int | None, detail: str) -> None:
        self.problems.append(Problem(kind, seq, detail))

    def present(self, seq: int) -> bool:
        if self.first_seq is None or not self.first_seq <= seq <= self.last_seq:
            return False
        return not any(a <= seq <= b for a, b in self.gaps)


def _recomputed(entry: AuditEntry) -> str | None:
    try:
        return entry_hash(entry.prev_hash, entry.fields)
    except (ValueError, TypeError, UnicodeError, InvalidInput):
        return None


def _walk_entries(
    walk: _Walk, entries: Iterable[AuditEntry], checkpoints: Mapping[int, str], head_seq: int
) -> None:
    for entry in entries:
        walk.count += 1
        seq = entry.seq
        if seq < 1:
            walk.add(ProblemKind.INSERTED, seq, "seq is below 1: the chain starts at seq 1")
            continue
        if walk.first_seq is not None and seq <= walk.last_seq:
            if seq == walk.last_seq:
                walk.add(ProblemKind.INSERTED, seq, "a second entry with the same seq")
            else:
                walk.add(ProblemKind.REORDERED, seq, "entries are not in seq order")
            continue
        if _recomputed(entry) != entry.hash:
            walk.add(ProblemKind.MODIFIED, seq, "the entry does not match its hash")
        expected = walk.last_seq + 1
        if seq > expected:
            walk.add(ProblemKind.DELETED, expected, f"{_range(expected, seq - 1)} missing")
            walk.gaps.append((expected, seq - 1))
            walk.unlinked.add(seq)  # the broken link is explained by the gap
        elif entry.prev_hash != walk.last_hash:
            walk.breaks.append((seq, entry.prev_hash))
            walk.unlinked.add(seq)
        walk.hash_at.setdefault(entry.hash, seq)
        signed = checkpoints.get(seq)
        if signed is not None:
            walk.seen_checkpoints.add(seq)
            if signed != entry.hash:
                walk.add(
                    ProblemKind.CHECKPOINT_MISMATCH,
                    seq,
                    "the signed checkpoint hash differs from the entry's hash",
                )
        if seq == head_seq:
            walk.head_entry_hash = entry.hash
        if walk.first_seq is None:
            walk.first_seq = seq
        walk.last_seq, walk.last_hash = seq, entry.hash


def _classify_breaks(walk: _Walk) -> None:
    """Say what each broken link (prev_hash != the hash of the entry before it) means."""
    for seq, prev_hash in walk.breaks:
        target = 0 if prev_hash == GENESIS_HASH else walk.hash_at.get(prev_hash)
        if target is None:
            if seq == 1:
                walk.add(ProblemKind.MODIFIED, 1, "entry 1 is not chained to the genesis hash")
            else:
                walk.add(
                    ProblemKind.MODIFIED,
                    seq - 1,
                    f"entry {seq} was chained to a different entry {seq - 1}: entry {seq - 1} "
                    "was replaced (content and hash rewritten)",
                )
        elif target >= seq:
            walk.add(
                ProblemKind.REORDERED, seq, f"entry {seq} is chained to entry {target}, after it"
            )
        elif walk.present(target + 1) and target + 1 not in walk.unlinked:
            # Two entries chained to the same predecessor: the run in between is foreign.
            walk.add(
                ProblemKind.INSERTED,
                target + 1,
                f"{_range(target + 1, seq - 1)} inserted: entry {seq} is chained to "
                f"{'the genesis hash' if target == 0 else f'entry {target}'}",
            )
        else:
            walk.add(
                ProblemKind.REORDERED,
                seq,
                f"entry {seq} is chained to entry {target}, not to entry {seq - 1}",
            )


def _check_checkpoints(
    checkpoints: Iterable[Checkpoint],
    key: ec.EllipticCurvePublicKey | None,
    kid: str | None,
    problems: list[Problem],
) -> tuple[dict[int, str], int]:
    authentic: dict[int, str] = {}
    count = 0
    for cp in checkpoints:
        count += 1
        try:
            signed = _verify_point(cp.signature, typ=CHECKPOINT_TYP, key=key, kid=kid)
        except _BadSignature as exc:
            problems.append(Problem(ProblemKind.CHECKPOINT_BAD_SIGNATURE, cp.seq, str(exc)))
            continue
        if (signed.seq, signed.hash) != (cp.seq, cp.hash):
            problems.append(
                Problem(
                    ProblemKind.CHECKPOINT_BAD_SIGNATURE,
                    cp.seq,
                    f"the checkpoint row does not match its signature (signed seq {signed.seq})",
                )
            )
            continue
        authentic[signed.seq] = signed.hash
    return authentic, count


def _check_head(
    head: Head | None,
    key: ec.EllipticCurvePublicKey | None,
    kid: str | None,
    problems: list[Problem],
) -> SignedPoint | None:
    if head is None:
        return None
    try:
        signed = _verify_point(head.signature, typ=HEAD_TYP, key=key, kid=kid)
    except _BadSignature as exc:
        problems.append(Problem(ProblemKind.HEAD_BAD_SIGNATURE, head.seq, str(exc)))
        return None
    if (signed.seq, signed.hash) != (head.seq, head.hash):
        problems.append(
            Problem(
                ProblemKind.HEAD_BAD_SIGNATURE,
                head.seq,
                f"the head row does not match its signature (signed seq {signed.seq})",
            )
        )
    return signed  # authentic, even if the row's columns were edited afterwards


def verify_chain(
    entries: Iterable[AuditEntry],
    checkpoints: Iterable[Checkpoint],
    head: Head | None,
    audit_public_key: ec.EllipticCurvePublicKey | None,
) -> VerifyReport:
    """Check the whole log in one pass over ``entries`` (which must come in seq order).

    Memory grows with the number of entries by one dict slot (hash → seq) each, used only to
    tell a reordering from an insertion or a replacement.
    """
    problems: list[Problem] = []
    kid = jwk_thumbprint(audit_public_key) if audit_public_key is not None else None
    signed_checkpoints, checkpoint_count = _check_checkpoints(
        checkpoints, audit_public_key, kid, problems
    )
    signed_head = _check_head(head, audit_public_key, kid, problems)

    walk = _Walk(problems=problems)
    head_seq = signed_head.seq if signed_head is not None else -1
    _walk_entries(walk, entries, signed_checkpoints, head_seq)
    _classify_breaks(walk)

    for seq in sorted(set(signed_checkpoints) - walk.seen_checkpoints):
        if seq == 0:
            if signed_checkpoints[0] != GENESIS_HASH:
                walk.add(ProblemKind.CHECKPOINT_MISMATCH, 0, "seq 0 must carry the genesis hash")
        elif seq > walk.last_seq:
            walk.add(
                ProblemKind.TRUNCATED,
                walk.last_seq + 1,
                f"a signed checkpoint is at seq {seq} but the log ends at seq {walk.last_seq}",
            )
        else:
            walk.add(ProblemKind.CHECKPOINT_MISSING_ENTRY, seq, "no entry at this checkpoint's seq")

    if head is None:
        if walk.count:
            walk.add(ProblemKind.HEAD_MISSING, None, "the log has entries but no head row")
    elif signed_head is not None:
        _compare_head(walk, signed_head)

    walk.problems.sort(key=lambda p: -1 if p.seq is None else p.seq)
    return VerifyReport(
        problems=walk.problems,
        entries=walk.count,
        checkpoints=checkpoint_count,
        head_seq=head.seq if head is not None else 0,
    )


def _compare_head(walk: _Walk, signed: SignedPoint) -> None:
    if signed.seq > walk.last_seq:
        walk.add(
            ProblemKind.TRUNCATED,
            walk.last_seq + 1,
            f"the signed head is at seq {signed.seq} but the log ends at seq {walk.last_seq}",
        )
    elif signed.seq < walk.last_seq:
        walk.add(
            ProblemKind.INSERTED,
            signed.seq + 1,
            f"{_range(signed.seq + 1, walk.last_seq)} beyond the signed head (seq {signed.seq})",
        )
    if signed.seq == 0:
        if signed.hash != GENESIS_HASH:
            walk.add(ProblemKind.HEAD_MISMATCH, 0, "a head at seq 0 must carry the genesis hash")
    elif walk.head_entry_hash is not None and walk.head_entry_hash != signed.hash:
        walk.add(
            ProblemKind.HEAD_MISMATCH,
            signed.seq,
            "the signed head hash differs from the entry's hash at that seq",
        )
