"""The audit log: canonical encoding, the hash chain, signed heads and checkpoints, tampering.

Pure tests build chains in memory; database tests (SQLite and PostgreSQL via the ``node``
fixture) tamper with rows by plain SQL UPDATE / DELETE / INSERT, as someone with database
access but without the audit key would, and check that ``verify`` names the right problem.
Expected hashes are recomputed here with hashlib and json, independently of the code under test.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import json
import stat
import threading
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import jwt
import pytest
from click.testing import CliRunner, Result
from cryptography.hazmat.primitives import serialization
from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from access.audit_chain import (
    CHECKPOINT_TYP,
    GENESIS_HASH,
    HEAD_TYP,
    AuditEntry,
    Checkpoint,
    EntryFields,
    Head,
    ProblemKind,
    VerifyReport,
    canonical_json,
    entry_hash,
    sign_point,
    verify_chain,
)
from access.audit_log import AuditError, AuditLog, audit_key_dir
from access.clock import FixedClock
from access.errors import InvalidInput
from access.keys import SigningKey, generate_signing_key
from access.tables import AdministrationRow, AuditCheckpointRow, AuditEntryRow, AuditHeadRow
from clearance.cli.node import cli
from clearance.node import Node, open_node
from clearance.settings import Settings

T0 = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
KEY = generate_signing_key()
OTHER_KEY = generate_signing_key()
ENTRIES = AuditEntryRow.__table__
HEADS = AuditHeadRow.__table__
CHECKPOINTS = AuditCheckpointRow.__table__


# ------------------------------------------------------------------------ independent helpers


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def rehash(line: dict[str, Any]) -> str:
    """The chain hash of one exported entry, from the documented rule, with the stdlib only."""
    body = {k: v for k, v in line.items() if k not in ("seq", "prev_hash", "hash")}
    canon = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(line["prev_hash"].encode("ascii") + b"\n" + canon.encode()).hexdigest()


def fields(i: int, **change: Any) -> EntryFields:
    values: dict[str, Any] = {
        "at": T0 + timedelta(seconds=i),
        "actor": f"user{i % 3}",
        "admin": "NLD",
        "action": "request.create",
        "resource": f"request/{i}",
        "decision": "allow",
        "reason": "approved",
        "details": {"n": i, "mode": "download", "items": ["a", "b"]},
    }
    values.update(change)
    return EntryFields.create(**values)


def kinds(report: VerifyReport) -> set[str]:
    return {str(p.kind) for p in report.problems}


def at_seq(report: VerifyReport, kind: str) -> list[int | None]:
    return [p.seq for p in report.problems if p.kind == kind]


# ------------------------------------------------------------------------------- encoding


def test_canonical_json_and_hash_match_an_independent_computation() -> None:
    f = EntryFields.create(
        at=datetime(2026, 3, 1, 14, 0, 0, 5, tzinfo=timezone(timedelta(hours=1))),
        actor="alice",
        admin="NLD",
        action="grant.issue",
        resource="holding/NLD-cargo",
        decision="allow",
        reason="two stewards approved",
        details={"é": None, "b": ["x", 2], "a": {"z": True, "y": -(2**53 - 1)}},
    )
    want = (
        '{"action":"grant.issue","actor":"alice","admin":"NLD","at":"2026-03-01T13:00:00.000005Z",'
        '"decision":"allow","details":{"a":{"y":-9007199254740991,"z":true},"b":["x",2],'
        '"é":null},"reason":"two stewards approved","resource":"holding/NLD-cargo"}'
    )
    assert canonical_json(f.document()) == want.encode("utf-8")
    prev = "ab" * 32
    assert entry_hash(prev, f) == hashlib.sha256(prev.encode() + b"\n" + want.encode()).hexdigest()
    assert GENESIS_HASH == "0" * 64


def test_fields_are_normalised_to_what_the_database_gives_back() -> None:
    f = fields(1, details={"t": ("a", 1)})
    assert f.details == {"t": ["a", 1]}
    assert f.at.tzinfo is UTC


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"decision": "maybe"}, "decision"),
        ({"details": {"score": 0.5}}, "float"),
        ({"details": {"n": 2**53}}, "integer"),
        ({"details": {"s": "a\x00b"}}, "NUL"),
        ({"details": {1: "x"}}, "keys"),
        ({"details": {"s": "\udc80"}}, "Unicode"),
        ({"details": ["not", "an", "object"]}, "object"),
        ({"details": {"big": "x" * 20_000}}, "larger"),
        ({"actor": ""}, "empty"),
        ({"actor": "a" * 65}, "longer"),
        ({"admin": "nld"}, "alpha-3"),
        ({"reason": "r\x00"}, "NUL"),
        ({"at": datetime(2026, 3, 1)}, "timezone"),
    ],
)
def test_fields_that_may_not_enter_the_log(change: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        fields(1, **change)


def test_deeply_nested_details_refused() -> None:
    deep: Any = "x"
    for _ in range(20):
        deep = {"d": deep}
    with pytest.raises(InvalidInput, match="nested"):
        fields(1, details=deep)


# ------------------------------------------------------------------ pure chain verification


def chain(
    n: int, *, every: int = 10, key: SigningKey = KEY
) -> tuple[list[AuditEntry], list[Checkpoint], Head]:
    entries: list[AuditEntry] = []
    prev = GENESIS_HASH
    checkpoints = []
    for seq in range(1, n + 1):
        f = fields(seq)
        digest = entry_hash(prev, f)
        entries.append(AuditEntry(seq, f, prev, digest))
        if seq % every == 0:
            sig = sign_point(key, typ=CHECKPOINT_TYP, seq=seq, hash=digest, now=T0)
            checkpoints.append(Checkpoint(seq, digest, sig))
        prev = digest
    head = Head(n, prev, sign_point(key, typ=HEAD_TYP, seq=n, hash=prev, now=T0))
    return entries, checkpoints, head


def check(
    entries: list[AuditEntry], checkpoints: list[Checkpoint], head: Head | None
) -> VerifyReport:
    return verify_chain(iter(entries), checkpoints, head, KEY.private_key.public_key())


def test_clean_chain_verifies() -> None:
    entries, checkpoints, head = chain(25)
    report = check(entries, checkpoints, head)
    assert report.ok, report.problems
    assert (report.entries, report.checkpoints, report.head_seq) == (25, 2, 25)


def test_empty_log_verifies_with_and_without_a_head() -> None:
    assert check([], [], None).ok
    head = Head(0, GENESIS_HASH, sign_point(KEY, typ=HEAD_TYP, seq=0, hash=GENESIS_HASH, now=T0))
    genesis_cp = Checkpoint(
        0, GENESIS_HASH, sign_point(KEY, typ=CHECKPOINT_TYP, seq=0, hash=GENESIS_HASH, now=T0)
    )
    assert check([], [genesis_cp], head).ok


def test_pure_modified_any_field() -> None:
    entries, checkpoints, head = chain(25)
    for name, value in [("reason", "x"), ("details", {"n": 0}), ("at", T0), ("admin", "GBR")]:
        tampered = list(entries)
        tampered[6] = replace(entries[6], fields=replace(entries[6].fields, **{name: value}))
        report = check(tampered, checkpoints, head)
        assert kinds(report) == {"modified"}, (name, report.problems)
        assert at_seq(report, "modified") == [7]


def test_pure_replaced_entry_with_recomputed_hash() -> None:
    entries, checkpoints, head = chain(25)
    f = replace(entries[6].fields, decision="deny")
    entries[6] = AuditEntry(7, f, entries[6].prev_hash, entry_hash(entries[6].prev_hash, f))
    report = check(entries, checkpoints, head)
    assert kinds(report) == {"modified"} and at_seq(report, "modified") == [7]


def test_pure_deleted_middle_and_first() -> None:
    entries, checkpoints, head = chain(25)
    report = check(entries[:12] + entries[14:], checkpoints, head)
    assert kinds(report) == {"deleted"} and at_seq(report, "deleted") == [13]
    assert "entries 13–14 missing" in str(report.problems[0])
    report = check(entries[1:], checkpoints, head)
    assert kinds(report) == {"deleted"} and at_seq(report, "deleted") == [1]


def test_pure_deleted_last_is_truncation() -> None:
    entries, checkpoints, head = chain(25)
    report = check(entries[:-1], checkpoints, head)
    assert kinds(report) == {"truncated"} and at_seq(report, "truncated") == [25]


def test_pure_duplicate_and_out_of_range_seq_are_insertions() -> None:
    entries, checkpoints, head = chain(25)
    report = check([*entries[:5], entries[4], *entries[5:]], checkpoints, head)
    assert kinds(report) == {"inserted"} and at_seq(report, "inserted") == [5]
    zero = AuditEntry(0, fields(0), GENESIS_HASH, entry_hash(GENESIS_HASH, fields(0)))
    report = check([zero, *entries], checkpoints, head)
    assert kinds(report) == {"inserted"} and at_seq(report, "inserted") == [0]


def test_pure_out_of_seq_order_is_reordering() -> None:
    entries, checkpoints, head = chain(25)
    report = check([*entries[:5], entries[2], *entries[5:]], checkpoints, head)
    assert "reordered" in kinds(report)


def test_pure_swapped_entries_are_reordered() -> None:
    entries, checkpoints, head = chain(25)
    a, b = entries[12], entries[13]  # seq 13 and 14 swap places (contents, hashes and links)
    entries[12] = AuditEntry(13, b.fields, b.prev_hash, b.hash)
    entries[13] = AuditEntry(14, a.fields, a.prev_hash, a.hash)
    report = check(entries, checkpoints, head)
    assert kinds(report) == {"reordered"}
    assert at_seq(report, "reordered") == [13, 14, 15]


def test_pure_entry_shifted_in_is_an_insertion() -> None:
    entries, checkpoints, head = chain(25)
    forged_fields = fields(99, reason="forged")
    forged = AuditEntry(
        13, forged_fields, entries[11].hash, entry_hash(entries[11].hash, forged_fields)
    )
    shifted = [replace(e, seq=e.seq + 1) for e in entries[12:]]
    report = check([*entries[:12], forged, *shifted], checkpoints, head)
    assert at_seq(report, "inserted") == [13, 26]
    assert kinds(report) == {"inserted", "checkpoint-mismatch", "head-mismatch"}


def test_pure_first_entry_not_on_genesis() -> None:
    entries, checkpoints, head = chain(3)
    f = entries[0].fields
    entries[0] = AuditEntry(1, f, "f" * 64, entry_hash("f" * 64, f))
    report = check(entries, checkpoints, head)
    assert "modified" in kinds(report) and at_seq(report, "modified")[0] == 1


def test_pure_checkpoint_problems() -> None:
    entries, checkpoints, head = chain(25)
    bad = [replace(checkpoints[0], hash="1" * 64), replace(checkpoints[1], signature="x.y.z")]
    report = check(entries, bad, head)
    assert kinds(report) == {"checkpoint-bad-signature"}
    assert at_seq(report, "checkpoint-bad-signature") == [10, 20]

    report = check(entries[:9] + entries[10:], checkpoints, head)
    assert kinds(report) == {"deleted", "checkpoint-missing-entry"}

    extra = Checkpoint(
        30, "2" * 64, sign_point(KEY, typ=CHECKPOINT_TYP, seq=30, hash="2" * 64, now=T0)
    )
    report = check(entries, [*checkpoints, extra], head)
    assert kinds(report) == {"truncated"} and at_seq(report, "truncated") == [26]


def test_pure_head_problems() -> None:
    entries, checkpoints, head = chain(25)
    assert kinds(check(entries, checkpoints, None)) == {"head-missing"}
    assert kinds(check(entries, checkpoints, replace(head, signature=""))) == {"head-bad-signature"}
    # A head whose columns were edited keeps being judged by what was signed.
    assert kinds(check(entries, checkpoints, replace(head, seq=24))) == {"head-bad-signature"}
    # The whole tail rewritten consistently: only the signed head notices.
    tail = list(entries)
    for i in range(22, 25):
        prev = tail[i - 1].hash
        f = replace(tail[i].fields, reason="rewritten")
        tail[i] = AuditEntry(i + 1, f, prev, entry_hash(prev, f))
    report = check(tail, checkpoints, head)
    assert kinds(report) == {"head-mismatch"} and at_seq(report, "head-mismatch") == [25]


def forged_signatures(seq: int, digest: str) -> dict[str, str]:
    """Head signatures an attacker without the audit key can make."""
    payload = {"seq": seq, "hash": digest, "iat": 1}
    header_none = b64url(json.dumps({"alg": "none", "typ": HEAD_TYP, "kid": KEY.kid}).encode())
    body = b64url(json.dumps(payload).encode())
    public_pem = KEY.private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    header_hs = b64url(json.dumps({"alg": "HS256", "typ": HEAD_TYP, "kid": KEY.kid}).encode())
    mac = hmac.new(public_pem, f"{header_hs}.{body}".encode(), hashlib.sha256).digest()
    return {
        "empty": "",
        "garbage": "not-a-jws",
        "alg-none": f"{header_none}.{body}.",
        "hs256-with-public-key": f"{header_hs}.{body}.{b64url(mac)}",
        "other-key": sign_point(OTHER_KEY, typ=HEAD_TYP, seq=seq, hash=digest, now=T0),
        "other-key-claiming-kid": jwt.encode(
            payload,
            OTHER_KEY.private_key,
            algorithm="ES256",
            headers={"kid": KEY.kid, "typ": HEAD_TYP},
        ),
        "checkpoint-signature-as-head": sign_point(
            KEY, typ=CHECKPOINT_TYP, seq=seq, hash=digest, now=T0
        ),
    }


@pytest.mark.parametrize("forgery", list(forged_signatures(1, "0" * 64)))
def test_pure_truncation_with_a_forged_head_is_caught(forgery: str) -> None:
    entries, checkpoints, _ = chain(25)
    kept = entries[:22]  # newest three deleted, head rewritten to the new end
    head = Head(22, kept[-1].hash, forged_signatures(22, kept[-1].hash)[forgery])
    report = check(kept, checkpoints, head)
    assert kinds(report) == {"head-bad-signature"}, report.problems


def test_pure_no_key_means_no_signature_verifies() -> None:
    entries, checkpoints, head = chain(25)
    report = verify_chain(entries, checkpoints, head, None)
    assert kinds(report) == {"head-bad-signature", "checkpoint-bad-signature"}
    report = verify_chain(entries, checkpoints, head, OTHER_KEY.private_key.public_key())
    assert kinds(report) == {"head-bad-signature", "checkpoint-bad-signature"}


def test_problem_text() -> None:
    entries, checkpoints, head = chain(5)
    report = check(entries[:-1], checkpoints, head)
    assert str(report.problems[0]).startswith("truncated at seq 5: the signed head is at seq 5")
    assert ProblemKind.TRUNCATED == "truncated"


# ---------------------------------------------------------------------- the database service


def audit_log(node: Node, *, every: int = 10) -> tuple[AuditLog, FixedClock]:
    clock = FixedClock(T0)
    return AuditLog(node.sessions, node.settings.keys_dir, clock, checkpoint_every=every), clock


def fill(node: Node, log: AuditLog, clock: FixedClock, n: int, start: int = 1) -> None:
    with node.sessions.begin() as session:
        for i in range(start, start + n):
            clock.advance(timedelta(seconds=1))
            seq = log.append(
                session,
                actor=f"user{i % 3}",
                admin="NLD",
                action="request.create",
                resource=f"request/{i}",
                decision="deny" if i % 4 == 0 else "allow",
                reason="approved",
                details={"n": i, "purpose": "Detectie van pillen ✓", "items": ["a", "b"]},
            )
            assert seq == i


@pytest.fixture
def filled(node: Node) -> tuple[Node, AuditLog]:
    log, clock = audit_log(node)
    fill(node, log, clock, 25)
    return node, log


def row(session: Session, seq: int) -> Any:
    return session.execute(select(ENTRIES).where(ENTRIES.c.seq == seq)).one()


def row_fields(r: Any, **change: Any) -> EntryFields:
    values = {
        "at": r.at, "actor": r.actor, "admin": r.admin, "action": r.action,
        "resource": r.resource, "decision": r.decision, "reason": r.reason, "details": r.details,
    }  # fmt: skip
    values.update(change)
    return EntryFields.create(**values)


def insert_entry(session: Session, seq: int, prev: str, f: EntryFields) -> None:
    session.execute(
        insert(ENTRIES).values(
            seq=seq, at=f.at, actor=f.actor, admin=f.admin, action=f.action,
            resource=f.resource, decision=f.decision, reason=f.reason, details=dict(f.details),
            prev_hash=prev, hash=entry_hash(prev, f),
        )
    )  # fmt: skip


def test_clean_log_verifies_with_checkpoints_every_n(filled: tuple[Node, AuditLog]) -> None:
    node, log = filled
    report = log.verify()
    assert report.ok, report.problems
    assert (report.entries, report.checkpoints, report.head_seq) == (25, 2, 25)
    with node.sessions() as session:
        assert list(session.scalars(select(CHECKPOINTS.c.seq))) == [10, 20]
        head = session.execute(select(HEADS)).one()
        assert (head.id, head.seq) == (1, 25)
        stored = row(session, 25)
        assert head.hash == stored.hash
        # The stored details survive the database exactly (JSONB on PostgreSQL).
        assert stored.details == {"n": 25, "purpose": "Detectie van pillen ✓", "items": ["a", "b"]}


def test_empty_log_verifies(node: Node) -> None:
    log, _ = audit_log(node)
    report = log.verify()
    assert report.ok and (report.entries, report.checkpoints, report.head_seq) == (0, 0, 0)
    assert not audit_key_dir(node.settings.keys_dir).exists()  # verify never creates a key


def test_key_file_is_private_and_reused(node: Node) -> None:
    log, clock = audit_log(node)
    fill(node, log, clock, 1)
    directory = audit_key_dir(node.settings.keys_dir)
    pems = list(directory.glob("*.pem"))
    assert len(pems) == 1
    assert stat.S_IMODE(pems[0].stat().st_mode) == 0o600
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    assert stat.S_IMODE(directory.parent.stat().st_mode) == 0o700
    kid = pems[0].stem
    jwk = json.loads((directory / f"{kid}.jwk.json").read_text())
    assert jwk["kid"] == kid and "d" not in jwk
    assert log.public_jwk() == jwk
    again, _ = audit_log(node)
    assert again.signing_key().kid == kid
    assert len(list(directory.glob("*.pem"))) == 1


def test_append_commits_and_rolls_back_with_the_callers_change(node: Node) -> None:
    log, clock = audit_log(node)
    with node.sessions.begin() as session:
        session.add(AdministrationRow(id="NLD", name="Douane", created_at=T0))
        log.append(session, actor="op", admin="NLD", action="admin.add", resource="admin/NLD",
                   decision="info", reason="", details={})  # fmt: skip

    def failing_change() -> None:
        with node.sessions.begin() as session:
            session.add(AdministrationRow(id="GBR", name="Border Force", created_at=T0))
            log.append(session, actor="op", admin="GBR", action="admin.add",
                       resource="admin/GBR", decision="info", reason="", details={})  # fmt: skip
            raise RuntimeError("the audited change fails")

    with pytest.raises(RuntimeError):
        failing_change()
    with node.sessions() as session:
        assert session.get(AdministrationRow, "NLD") is not None
        assert session.get(AdministrationRow, "GBR") is None
        assert list(session.scalars(select(ENTRIES.c.seq))) == [1]
    # The next append continues the chain where the committed head is.
    fill(node, log, clock, 1, start=2)
    assert log.verify().ok


def test_checkpoint_on_demand(filled: tuple[Node, AuditLog], node: Node) -> None:
    _, log = filled
    with node.sessions.begin() as session:
        assert log.checkpoint(session) == 25
    with node.sessions.begin() as session:
        assert log.checkpoint(session) == 25  # idempotent
    report = log.verify()
    assert report.ok and report.checkpoints == 3


def test_checkpoint_of_an_empty_log(node: Node) -> None:
    log, _ = audit_log(node)
    with node.sessions.begin() as session:
        assert log.checkpoint(session) == 0
    report = log.verify()
    assert report.ok and (report.entries, report.checkpoints, report.head_seq) == (0, 1, 0)


Tamper = Callable[[Session], None]


def _update(seq: int, **values: Any) -> Tamper:
    return lambda s: s.execute(update(ENTRIES).where(ENTRIES.c.seq == seq).values(**values))


def _delete_entries(where: Any) -> Tamper:
    return lambda s: s.execute(delete(ENTRIES).where(where))


def _replace_rehashed(s: Session) -> None:
    r = row(s, 7)
    f = row_fields(r, decision="deny", reason="rewritten")
    s.execute(
        update(ENTRIES)
        .where(ENTRIES.c.seq == 7)
        .values(decision="deny", reason="rewritten", hash=entry_hash(r.prev_hash, f))
    )


def _insert_beyond_head(s: Session) -> None:
    last = row(s, 25)
    insert_entry(s, 26, last.hash, row_fields(last, reason="forged"))


def _insert_seq_zero(s: Session) -> None:
    insert_entry(s, 0, GENESIS_HASH, row_fields(row(s, 1), reason="forged"))


def _shift_and_insert(s: Session) -> None:
    s.execute(update(ENTRIES).where(ENTRIES.c.seq >= 13).values(seq=ENTRIES.c.seq + 1000))
    s.execute(update(ENTRIES).where(ENTRIES.c.seq >= 1000).values(seq=ENTRIES.c.seq - 999))
    insert_entry(s, 13, row(s, 12).hash, row_fields(row(s, 12), reason="forged"))


def _swap(s: Session) -> None:
    s.execute(update(ENTRIES).where(ENTRIES.c.seq == 13).values(seq=-1))
    s.execute(update(ENTRIES).where(ENTRIES.c.seq == 14).values(seq=13))
    s.execute(update(ENTRIES).where(ENTRIES.c.seq == -1).values(seq=14))


def _rewrite_tail(s: Session) -> None:
    prev = row(s, 22).hash
    for seq in (23, 24, 25):
        f = row_fields(row(s, seq), reason="rewritten")
        digest = entry_hash(prev, f)
        s.execute(
            update(ENTRIES)
            .where(ENTRIES.c.seq == seq)
            .values(reason="rewritten", prev_hash=prev, hash=digest)
        )
        prev = digest


def _truncate(keep: int, head_signature: str | None) -> Tamper:
    """Delete the entries after ``keep``; optionally rewrite the head to the new end."""

    def tamper(s: Session) -> None:
        s.execute(delete(ENTRIES).where(ENTRIES.c.seq > keep))
        if head_signature is not None:
            digest = row(s, keep).hash
            signature = head_signature
            if head_signature in forged_signatures(keep, digest):
                signature = forged_signatures(keep, digest)[head_signature]
            s.execute(update(HEADS).values(seq=keep, hash=digest, signature=signature))

    return tamper


def _copy_checkpoint_signature_into_head(s: Session) -> None:
    cp = s.execute(select(CHECKPOINTS).where(CHECKPOINTS.c.seq == 20)).one()
    s.execute(delete(ENTRIES).where(ENTRIES.c.seq > 20))
    s.execute(update(HEADS).values(seq=20, hash=cp.hash, signature=cp.signature))


TAMPERS: dict[str, tuple[Tamper, set[str], dict[str, list[int | None]]]] = {
    "modified-details": (_update(7, details={"n": 700}), {"modified"}, {"modified": [7]}),
    "modified-reason": (_update(7, reason="nothing to see"), {"modified"}, {"modified": [7]}),
    "modified-actor": (_update(7, actor="mallory"), {"modified"}, {"modified": [7]}),
    "modified-decision": (_update(8, decision="allow"), {"modified"}, {"modified": [8]}),
    "modified-time": (_update(7, at=T0), {"modified"}, {"modified": [7]}),
    "modified-prev-hash": (_update(7, prev_hash="e" * 64), {"modified"}, {}),
    "modified-and-rehashed": (_replace_rehashed, {"modified"}, {"modified": [7]}),
    "deleted-middle": (
        _delete_entries(ENTRIES.c.seq == 13), {"deleted"}, {"deleted": [13]}
    ),
    "deleted-range": (
        _delete_entries(ENTRIES.c.seq.between(3, 5)), {"deleted"}, {"deleted": [3]}
    ),
    "deleted-last": (_delete_entries(ENTRIES.c.seq == 25), {"truncated"}, {"truncated": [25]}),
    "deleted-checkpointed": (
        _delete_entries(ENTRIES.c.seq == 10),
        {"deleted", "checkpoint-missing-entry"},
        {"deleted": [10], "checkpoint-missing-entry": [10]},
    ),
    "inserted-beyond-head": (_insert_beyond_head, {"inserted"}, {"inserted": [26]}),
    "inserted-seq-zero": (_insert_seq_zero, {"inserted"}, {"inserted": [0]}),
    "inserted-in-the-middle": (
        _shift_and_insert,
        {"inserted", "checkpoint-mismatch", "head-mismatch"},
        {"inserted": [13, 26], "checkpoint-mismatch": [20]},
    ),
    "reordered": (_swap, {"reordered"}, {"reordered": [13, 14, 15]}),
    "checkpoint-hash-edited": (
        lambda s: s.execute(
            update(CHECKPOINTS).where(CHECKPOINTS.c.seq == 10).values(hash="1" * 64)
        ),
        {"checkpoint-bad-signature"},
        {"checkpoint-bad-signature": [10]},
    ),
    "checkpoint-signature-edited": (
        lambda s: s.execute(update(CHECKPOINTS).values(signature="e30.e30.AAAA")),
        {"checkpoint-bad-signature"},
        {"checkpoint-bad-signature": [10, 20]},
    ),
    "checkpointed-entry-rehashed": (
        _update(10, hash="9" * 64),
        {"modified", "checkpoint-mismatch"},
        {"checkpoint-mismatch": [10]},
    ),
    "tail-rewritten": (_rewrite_tail, {"head-mismatch"}, {"head-mismatch": [25]}),
    "head-deleted": (lambda s: s.execute(delete(HEADS)), {"head-missing"}, {}),
    "head-columns-edited": (
        lambda s: s.execute(update(HEADS).values(seq=20)),
        {"head-bad-signature"},
        {},
    ),
    "truncated-head-left": (_truncate(22, None), {"truncated"}, {"truncated": [23]}),
    "truncated-head-unsigned": (
        _truncate(22, ""), {"head-bad-signature"}, {"head-bad-signature": [22]}
    ),
    "truncated-head-wrong-signature": (
        _truncate(22, "garbage"), {"head-bad-signature"}, {}
    ),
    "truncated-head-other-key": (_truncate(22, "other-key"), {"head-bad-signature"}, {}),
    "truncated-head-alg-none": (_truncate(22, "alg-none"), {"head-bad-signature"}, {}),
    "truncated-head-hs256": (
        _truncate(22, "hs256-with-public-key"), {"head-bad-signature"}, {}
    ),
    "truncated-head-checkpoint-signature": (
        _copy_checkpoint_signature_into_head, {"head-bad-signature"}, {}
    ),
    "truncated-past-a-checkpoint": (
        _truncate(15, ""),
        {"head-bad-signature", "truncated"},
        {"truncated": [16]},
    ),
}  # fmt: skip


@pytest.mark.parametrize("name", list(TAMPERS))
def test_tampering_is_detected(filled: tuple[Node, AuditLog], name: str) -> None:
    node, log = filled
    tamper, want_kinds, want_seqs = TAMPERS[name]
    with node.sessions.begin() as session:
        tamper(session)
    report = log.verify()
    assert not report.ok
    assert kinds(report) == want_kinds, [str(p) for p in report.problems]
    for kind, seqs in want_seqs.items():
        assert at_seq(report, kind) == seqs, [str(p) for p in report.problems]


@pytest.mark.parametrize(
    "name",
    [
        "deleted-last",
        "truncated-head-unsigned",
        "head-columns-edited",
        "tail-rewritten",
        "head-deleted",
        "truncated-head-other-key",
        "truncated-head-checkpoint-signature",
    ],
)
def test_append_fails_closed_on_a_tampered_head(filled: tuple[Node, AuditLog], name: str) -> None:
    node, log = filled
    with node.sessions.begin() as session:
        TAMPERS[name][0](session)
    with pytest.raises(AuditError), node.sessions.begin() as session:
        log.append(session, actor="op", admin="NLD", action="x", resource="y", decision="info",
                   reason="", details={})  # fmt: skip
    with pytest.raises(AuditError), node.sessions.begin() as session:
        log.checkpoint(session)


def test_append_verifies_the_head_signature_only_when_this_log_did_not_sign_it(
    filled: tuple[Node, AuditLog], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The head this log signed last is not verified again (its exact row is what it wrote);
    any other head is: one another process wrote, or ours after another append."""
    node, log = filled
    import access.audit_log as module

    verified: list[str] = []
    real = module.verify_point

    def counting(token: str, **kw: Any) -> Any:
        verified.append(token)
        return real(token, **kw)

    monkeypatch.setattr(module, "verify_point", counting)

    def append(to: AuditLog) -> None:
        with node.sessions.begin() as session:
            to.append(session, actor="op", admin="NLD", action="x", resource="y",
                      decision="info", reason="", details={})  # fmt: skip

    append(log)
    append(log)
    assert verified == []  # filled() appended last with this very log
    other, _ = audit_log(node)  # another process: its own memory
    append(other)
    assert len(verified) == 1
    append(log)  # the head is now other's: verified again
    assert len(verified) == 2
    assert log.verify().ok


def test_verify_against_a_pinned_key(filled: tuple[Node, AuditLog]) -> None:
    _, log = filled
    assert log.verify(public_key=log.signing_key().private_key.public_key()).ok
    report = log.verify(public_key=OTHER_KEY.private_key.public_key())
    assert kinds(report) == {"head-bad-signature", "checkpoint-bad-signature"}


def test_verify_without_any_key_fails(filled: tuple[Node, AuditLog]) -> None:
    node, _ = filled
    for path in audit_key_dir(node.settings.keys_dir).iterdir():
        path.unlink()
    fresh, _ = audit_log(node)
    assert kinds(fresh.verify()) == {"head-bad-signature", "checkpoint-bad-signature"}


def test_export_round_trip(filled: tuple[Node, AuditLog]) -> None:
    _, log = filled
    out = io.StringIO()
    assert log.export(out) == 25
    lines = out.getvalue().splitlines()
    assert out.getvalue().endswith("\n") and len(lines) == 25
    prev = "0" * 64
    for seq, text in enumerate(lines, start=1):
        line = json.loads(text)
        assert text == json.dumps(line, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        assert set(line) == {
            "action", "actor", "admin", "at", "decision", "details", "reason", "resource",
            "seq", "prev_hash", "hash",
        }  # fmt: skip
        assert line["seq"] == seq and line["prev_hash"] == prev
        assert line["at"].endswith("Z") and isinstance(line["details"]["n"], int)
        assert rehash(line) == line["hash"]
        prev = line["hash"]

    out = io.StringIO()
    assert log.export_checkpoints(out) == 2
    checkpoints = [json.loads(t) for t in out.getvalue().splitlines()]
    assert [c["seq"] for c in checkpoints] == [10, 20]
    public = log.signing_key().private_key.public_key()
    for c in checkpoints:
        claims = jwt.decode(c["signature"], public, algorithms=["ES256"])
        assert claims["hash"] == json.loads(lines[c["seq"] - 1])["hash"]
        assert jwt.get_unverified_header(c["signature"])["typ"] == CHECKPOINT_TYP


def test_concurrent_appends_give_a_gap_free_chain(node: Node) -> None:
    # Runs on both backends: SQLite serialises the appends with its database write lock.
    # Two writers, each with its own AuditLog (as two processes would), racing from an empty
    # log: the first appends also race to create the head row and the key file.
    per_thread = 50
    barrier = threading.Barrier(2)
    seqs: list[int] = []
    errors: list[BaseException] = []

    def writer(name: str) -> None:
        log = AuditLog(node.sessions, node.settings.keys_dir, node.clock, checkpoint_every=10)
        try:
            barrier.wait()
            for i in range(per_thread):
                with node.sessions.begin() as session:
                    seqs.append(
                        log.append(session, actor=name, admin="NLD", action="t",
                                   resource=str(i), decision="info", reason="", details={"i": i})
                    )  # fmt: skip
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(f"w{n}",)) for n in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert sorted(seqs) == list(range(1, 2 * per_thread + 1))
    log, _ = audit_log(node)
    report = log.verify()
    assert report.ok, report.problems
    assert (report.entries, report.checkpoints) == (100, 10)
    assert len(list(audit_key_dir(node.settings.keys_dir).glob("*.pem"))) == 1


# ----------------------------------------------------------------------------------- the CLI


@pytest.fixture
def run(tmp_path: Path) -> Callable[..., Result]:
    runner = CliRunner()
    env = {"CLEARANCE_DATA": str(tmp_path / "data"), "CLEARANCE_DATABASE_URL": None}

    def invoke(*args: str) -> Result:
        return runner.invoke(cli, list(args), env=env, catch_exceptions=False)

    assert invoke("init").exit_code == 0
    return invoke


def cli_node(tmp_path: Path) -> Node:
    return open_node(Settings.from_env({"CLEARANCE_DATA": str(tmp_path / "data")}))


def test_cli_verify_export_checkpoint(run: Callable[..., Result], tmp_path: Path) -> None:
    result = run("audit", "verify")
    assert result.exit_code == 0
    assert result.output == "audit log OK: 0 entries, 0 checkpoints, head seq 0\n"

    node = cli_node(tmp_path)
    log = AuditLog(node.sessions, node.settings.keys_dir, node.clock)
    fill(node, log, FixedClock(T0), 12)
    result = run("audit", "verify")
    assert (result.exit_code, result.output) == (
        0, "audit log OK: 12 entries, 0 checkpoints, head seq 12\n"
    )  # fmt: skip

    result = run("audit", "checkpoint")
    assert (result.exit_code, result.output) == (0, "checkpoint signed at seq 12\n")
    assert "1 checkpoints" in run("audit", "verify").output

    exported = run("audit", "export")
    assert exported.exit_code == 0
    lines = [json.loads(t) for t in exported.output.splitlines()]
    assert [line["seq"] for line in lines] == list(range(1, 13))
    assert all(rehash(line) == line["hash"] for line in lines)

    target = tmp_path / "audit.jsonl"
    target.write_text("older export\n")
    target.chmod(0o644)
    result = run("audit", "export", "--out", str(target))
    assert result.exit_code == 0 and "12 entries" in result.output
    assert target.read_text() == exported.output
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    checkpoints = run("audit", "export", "--checkpoints").output.splitlines()
    assert [json.loads(t)["seq"] for t in checkpoints] == [12]

    jwk_file = tmp_path / "audit.jwk"
    jwk_file.write_text(run("audit", "public-key").output)
    assert run("audit", "verify", "--public-key", str(jwk_file)).exit_code == 0
    other = tmp_path / "other.jwk"
    other.write_text(json.dumps(OTHER_KEY.public_jwk()))
    result = run("audit", "verify", "--public-key", str(other))
    assert result.exit_code == 1 and "head-bad-signature" in result.output


def test_cli_verify_reports_each_problem_and_exits_1(
    run: Callable[..., Result], tmp_path: Path
) -> None:
    node = cli_node(tmp_path)
    log = AuditLog(node.sessions, node.settings.keys_dir, node.clock)
    fill(node, log, FixedClock(T0), 6)
    with node.sessions.begin() as session:
        session.execute(update(ENTRIES).where(ENTRIES.c.seq == 2).values(reason="edited"))
        session.execute(delete(ENTRIES).where(ENTRIES.c.seq == 4))
    result = run("audit", "verify")
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        "modified at seq 2: the entry does not match its hash",
        "deleted at seq 4: entry 4 missing",
    ]


def test_cli_errors_are_one_line_exit_1(run: Callable[..., Result], tmp_path: Path) -> None:
    node = cli_node(tmp_path)
    log = AuditLog(node.sessions, node.settings.keys_dir, node.clock)
    fill(node, log, FixedClock(T0), 2)
    with node.sessions.begin() as session:
        session.execute(delete(HEADS))
        session.execute(delete(ENTRIES))
        session.execute(insert(HEADS).values(id=1, seq=5, hash="1" * 64, signature="x"))
    result = run("audit", "checkpoint")
    assert result.exit_code == 1
    assert result.stderr.startswith("error: audit head signature is invalid")
