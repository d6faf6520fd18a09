"""The upload store on SQLite and PostgreSQL: offsets, part digests, ownership, encryption at
rest, concurrency, completion states, expiry, and the 0003 migration."""

from __future__ import annotations

import hashlib
import io
import os
import secrets
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import select

from access import AuditEntryRow, Base, FixedClock, Level, Principal, Role
from clearance.node import Node
from tests.transfer.test_s3store import make_store
from transfer.blobstore import BlobStore
from transfer.errors import (
    ArchiveDigestMismatch,
    InvalidUpload,
    OffsetMismatch,
    PartDigestMismatch,
    UploadBusy,
    UploadNotFound,
    UploadTooLarge,
)
from transfer.s3store import S3BlobStore
from transfer.tables import UploadPartRow
from transfer.uploads.store import Upload, UploadLimits, UploadStore

DATA = bytes(range(256)) * 1000  # 256,000 bytes
SHA = hashlib.sha256(DATA).hexdigest()
PART = 100_000
OLAF = Principal("olaf", "NLD", frozenset({Role.OPERATOR}), Level.R3)
OTTO = Principal("otto", "NLD", frozenset({Role.OPERATOR}), Level.R3)  # same administration
GINA = Principal("gina", "GBR", frozenset({Role.OPERATOR}), Level.R3)


def _store(
    node: Node, clock: FixedClock | None = None, blobs: BlobStore | None = None
) -> UploadStore:
    """A store on the node's database and blobs, with small limits and a clock of its own."""
    node.directory.add_administration("NLD", "Douane")
    node.directory.add_administration("GBR", "Border Force")
    for who in (OLAF, OTTO, GINA):
        node.directory.add_user(who.user, admin=who.admin, roles=[Role.OPERATOR],
                                clearance=Level.R3)  # fmt: skip
    return UploadStore(
        node.sessions, blobs or node.blobs, node.storage, node.audit, clock or FixedClock(),
        node.settings.work_dir, UploadLimits(max_size=1 << 20, max_part=PART),
    )  # fmt: skip


def _send(
    store: UploadStore, upload: Upload, start: int, end: int, who: Principal = OLAF
) -> Upload:
    part = DATA[start:end]
    return store.append(who, upload.id, start, io.BytesIO(part), len(part), _sha(part))


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _upload_all(store: UploadStore, sha: str = SHA) -> Upload:
    upload = store.create(OLAF, len(DATA), sha)
    for start in range(0, len(DATA), PART):
        upload = _send(store, upload, start, min(start + PART, len(DATA)))
    return upload


def _part_keys(node: Node, upload: Upload) -> list[str]:
    return list(node.blobs.keys(f"uploads/{upload.id}/"))


def test_parts_append_in_order_and_are_encrypted_at_rest(node: Node) -> None:
    store = _store(node)
    upload = _upload_all(store)
    assert (upload.received, upload.parts, upload.state) == (len(DATA), 3, "open")
    keys = _part_keys(node, upload)
    assert len(keys) == 3
    for key in keys:
        stored = node.blobs.open(key).read()
        assert stored.startswith(b"crypt4gh") and DATA[1000:1064] not in stored
    with store.open_archive(store.claim(OLAF, upload.id, "o")) as archive:
        assert archive.read() == DATA
        archive.verify()


def test_wrong_offset_is_refused_with_the_current_offset(node: Node) -> None:
    store = _store(node)
    upload = store.create(OLAF, len(DATA), SHA)
    _send(store, upload, 0, PART)
    for start in (0, PART + 1):
        with pytest.raises(OffsetMismatch) as caught:
            _send(store, upload, start, start + 10)
        assert caught.value.offset == PART
    assert store.get(OLAF, upload.id).parts == 1
    assert len(_part_keys(node, upload)) == 1


def test_a_bad_digest_appends_nothing(node: Node) -> None:
    store = _store(node)
    upload = store.create(OLAF, len(DATA), SHA)
    part = DATA[:PART]
    with pytest.raises(PartDigestMismatch, match="nothing was appended"):
        store.append(OLAF, upload.id, 0, io.BytesIO(part), len(part), _sha(b"other"))
    with pytest.raises(PartDigestMismatch):  # a short body cannot pass either
        store.append(OLAF, upload.id, 0, io.BytesIO(part[:-1]), len(part), _sha(part))
    assert store.get(OLAF, upload.id).received == 0
    assert _part_keys(node, upload) == []


def test_sizes_are_bounded(node: Node) -> None:
    store = _store(node)
    with pytest.raises(UploadTooLarge, match="over this node's limit"):
        store.create(OLAF, (1 << 20) + 1, SHA)
    for size, sha in ((0, SHA), (True, SHA), (10, "abc")):
        with pytest.raises(InvalidUpload):
            store.create(OLAF, size, sha)  # type: ignore[arg-type]
    upload = store.create(OLAF, 1000, SHA)
    with pytest.raises(UploadTooLarge, match="past the declared size 1000"):
        _send(store, upload, 0, 1001)
    with pytest.raises(InvalidUpload, match="at least one byte"):
        _send(store, upload, 0, 0)
    assert store.room(OLAF, upload.id, 0) == 1000


def test_sessions_are_their_creators_alone(node: Node) -> None:
    store = _store(node)
    upload = store.create(OLAF, len(DATA), SHA)
    for other in (OTTO, GINA):
        with pytest.raises(UploadNotFound) as caught:
            store.get(other, upload.id)
        with pytest.raises(UploadNotFound) as missing:
            store.get(other, "0" * 32)
        assert str(caught.value).replace(upload.id, "X") == str(missing.value).replace(
            "0" * 32, "X"
        )
        with pytest.raises(UploadNotFound):
            _send(store, upload, 0, PART, who=other)
        with pytest.raises(UploadNotFound):
            store.delete(other, upload.id)
        with pytest.raises(UploadNotFound):
            store.claim(other, upload.id, "o")
        assert store.mine(other) == []
    assert [u.id for u in store.mine(OLAF)] == [upload.id]


def test_concurrent_parts_for_one_offset_count_once(node: Node, monkeypatch: Any) -> None:
    store = _store(node)
    upload = store.create(OLAF, len(DATA), SHA)
    barrier = threading.Barrier(2)
    original = store._store_part

    def store_part(*args: Any) -> None:
        original(*args)
        barrier.wait(timeout=10)  # both parts are stored before either commits

    monkeypatch.setattr(store, "_store_part", store_part)
    outcomes: list[object] = []

    def send(data: bytes) -> None:
        try:
            outcomes.append(
                store.append(OLAF, upload.id, 0, io.BytesIO(data), len(data), _sha(data))
            )
        except OffsetMismatch as exc:
            outcomes.append(exc)

    other = bytes(reversed(DATA[:PART]))
    threads = [threading.Thread(target=send, args=(d,)) for d in (DATA[:PART], other)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(type(o).__name__ for o in outcomes) == ["OffsetMismatch", "Upload"]
    assert store.get(OLAF, upload.id).parts == 1
    assert len(_part_keys(node, upload)) == 1  # the loser's blob is gone


def test_completion_states(node: Node) -> None:
    store = _store(node)
    upload = store.create(OLAF, len(DATA), SHA)
    _send(store, upload, 0, PART)
    with pytest.raises(UploadBusy, match=f"has {PART} of {len(DATA)} bytes"):
        store.claim(OLAF, upload.id, "o")
    for start in range(PART, len(DATA), PART):
        _send(store, upload, start, min(start + PART, len(DATA)))
    claimed = store.claim(OLAF, upload.id, "o")
    assert claimed.state == "completing"
    with pytest.raises(UploadBusy, match="being completed"):
        store.claim(OLAF, upload.id, "o")
    with pytest.raises(UploadBusy):
        store.delete(OLAF, upload.id)
    store.release(OLAF, claimed, "publish-failed", "annotations.json: bad")
    reopened = store.get(OLAF, upload.id)
    assert (reopened.state, reopened.last_error) == ("open", "annotations.json: bad")
    claimed = store.claim(OLAF, upload.id, "o")
    store.finish(OLAF, claimed, "o", {"holding_id": "H1", "version": 1})
    done = store.claim(OLAF, upload.id, "o")  # a repeated completion gets the same answer
    assert (done.state, done.result) == ("completed", {"holding_id": "H1", "version": 1})
    with pytest.raises(UploadBusy, match="other options"):
        store.claim(OLAF, upload.id, "other")
    assert _part_keys(node, upload) == []
    with node.sessions() as session:
        actions = list(session.scalars(select(AuditEntryRow.action).order_by(AuditEntryRow.seq)))
    assert actions == ["upload.create", "upload.fail", "upload.complete"]


def test_archive_digest_is_checked_at_the_end(node: Node) -> None:
    store = _store(node)
    upload = _upload_all(store, sha="0" * 64)
    archive = store.open_archive(store.claim(OLAF, upload.id, "o"))
    with archive, pytest.raises(ArchiveDigestMismatch, match="not the declared"):
        archive.verify()


def test_sessions_expire_and_are_purged_and_deleted(node: Node) -> None:
    clock = FixedClock()
    store = _store(node, clock)
    old = store.create(OLAF, len(DATA), SHA)
    _send(store, old, 0, PART)
    clock.advance(timedelta(hours=23))
    _send(store, old, PART, 2 * PART)  # activity extends the session
    clock.advance(timedelta(hours=23))
    assert store.get(OLAF, old.id).received == 2 * PART
    clock.advance(timedelta(hours=2))
    with pytest.raises(UploadNotFound, match="or it expired"):
        store.get(OLAF, old.id)
    fresh = store.create(OLAF, len(DATA), SHA)  # creating purges the expired one
    assert _part_keys(node, old) == []
    with node.sessions() as session:
        assert session.scalars(select(UploadPartRow.start)).all() == []  # gone by cascade
    _send(store, fresh, 0, PART)
    store.delete(OLAF, fresh.id)
    assert _part_keys(node, fresh) == [] and store.mine(OLAF) == []
    assert list(Path(node.settings.work_dir).iterdir()) == []


def test_migration_0003_matches_the_tables(node: Node) -> None:
    with node.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert [d for d in diff if "upload" in repr(d)] == []


@pytest.fixture
def s3_blobs() -> Iterator[S3BlobStore]:
    names = ("ENDPOINT", "REGION", "ACCESS_KEY", "SECRET_KEY", "BUCKET")
    env = {name: os.environ.get(f"CLEARANCE_TEST_S3_{name}", "") for name in names}
    if not all(env.values()):
        if os.environ.get("CLEARANCE_REQUIRE_SERVICES") == "1":
            pytest.fail("no S3 server but services are required")
        pytest.skip("no S3 server: run `make test`")
    store = make_store(env, f"test-uploads/{secrets.token_hex(8)}")
    yield store
    for key in list(store.keys()):
        store.delete(key)


@pytest.mark.s3
def test_parts_live_in_an_s3_store_too(node: Node, s3_blobs: S3BlobStore) -> None:
    store = _store(node, blobs=s3_blobs)
    upload = _upload_all(store)
    assert len(list(s3_blobs.keys(f"uploads/{upload.id}/"))) == 3
    archive = store.open_archive(store.claim(OLAF, upload.id, "o"))
    with archive:
        assert archive.read() == DATA
        archive.verify()
    store.release(OLAF, store.get(OLAF, upload.id), "test", "released")
    store.delete(OLAF, upload.id)
    assert list(s3_blobs.keys()) == []
