"""Ranged reads, streamed writes, presigning: the local store, and the contract every store keeps.

The contract tests run on the local store and on the S3 store over moto, so both behave alike.
"""

from __future__ import annotations

import functools
import hashlib
import io
import os
import random
from collections.abc import Iterator
from pathlib import Path

import pytest
from moto import mock_aws

from transfer.blobstore import (
    CHUNK_SIZE,
    BlobChunks,
    BlobNotFound,
    BlobRangeError,
    BlobStore,
    ChecksumMismatch,
    LocalBlobStore,
)
from transfer.s3store import S3BlobStore

MiB = 1 << 20
DATA = random.Random(7).randbytes(3 * MiB + 7)
SIZE = len(DATA)


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class FailingStream(io.BytesIO):
    def read(self, size: int | None = -1) -> bytes:
        if self.tell() >= MiB:
            raise OSError("source went away")
        return super().read(MiB if size is None or size < 0 else min(size, MiB))


@functools.cache
def moto_store() -> S3BlobStore:
    """Made once; moto intercepts its requests whenever a mock is active."""
    return S3BlobStore(
        "contract", endpoint_url=None, region="us-east-1", access_key="a", secret_key="s"
    )


@pytest.fixture(params=["local", "s3-moto"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[BlobStore]:
    if request.param == "local":
        yield LocalBlobStore(tmp_path / "blobs")
        return
    s3 = moto_store()
    with mock_aws():  # a fresh, empty S3 for every test
        s3._s3.create_bucket(Bucket="contract")
        yield s3


# ---------------------------------------------------------------- contract (every store)


def test_read_range_yields_exactly_the_bytes_in_chunks_of_at_most_1_mib(store: BlobStore) -> None:
    assert store.put_stream("objects/r", io.BytesIO(DATA)) == SIZE
    cases = [(0, 10), (MiB - 3, 6), (SIZE // 2, MiB + 1), (SIZE - 10, 10), (777, 1), (SIZE - 1, 1)]
    for start, length in [*cases, (0, SIZE), (SIZE, 0), (0, 0)]:
        with store.read_range("objects/r", start, length) as chunks:
            parts = list(chunks)
        assert all(0 < len(part) <= CHUNK_SIZE for part in parts)
        assert b"".join(parts) == DATA[start : start + length], (start, length)
    assert [len(c) for c in store.read_range("objects/r", 0, SIZE)] == [MiB, MiB, MiB, 7]


@pytest.mark.parametrize(
    ("start", "length"), [(SIZE, 1), (SIZE - 1, 2), (SIZE + 1, 0), (0, SIZE + 1)]
)
def test_a_range_outside_the_blob_is_refused_not_clipped(
    store: BlobStore, start: int, length: int
) -> None:
    store.put_bytes("objects/r", DATA)
    with pytest.raises(BlobRangeError):
        store.read_range("objects/r", start, length)


def test_bad_arguments_and_missing_blobs_fail_at_the_call(store: BlobStore) -> None:
    store.put_bytes("objects/r", b"abc")
    for start, length in [(-1, 1), (0, -1)]:
        with pytest.raises(ValueError, match="non-negative"):
            store.read_range("objects/r", start, length)
    with pytest.raises(ValueError, match="invalid blob key"):
        store.read_range("../r", 0, 1)
    with pytest.raises(BlobNotFound):
        store.read_range("objects/missing", 0, 1)  # not deferred to the first next()
    with pytest.raises(BlobNotFound):
        store.read_range("objects/missing", 0, 0)


def test_put_stream_returns_the_size_and_checks_the_hash(store: BlobStore) -> None:
    assert store.put_stream("objects/s", io.BytesIO(DATA), sha256=sha(DATA)) == SIZE
    assert store.put_stream("objects/e", io.BytesIO(b"")) == 0
    assert store.size("objects/s") == SIZE and store.size("objects/e") == 0
    with store.open("objects/s") as handle:
        assert handle.read() == DATA
    with pytest.raises(ChecksumMismatch):
        store.put_stream("objects/s", io.BytesIO(b"other bytes"), sha256=sha(b"expected"))
    with pytest.raises(ChecksumMismatch):
        store.put_stream("objects/new", io.BytesIO(b"other bytes"), sha256=sha(b"expected"))
    assert not store.exists("objects/new")
    assert store.read_range("objects/s", 0, 16).read_all() == DATA[:16]  # old blob unchanged


def test_put_stream_that_fails_keeps_nothing(store: BlobStore) -> None:
    store.put_bytes("objects/f", b"before")
    with pytest.raises(OSError, match="source went away"):
        store.put_stream("objects/f", FailingStream(DATA))
    with pytest.raises(OSError, match="source went away"):
        store.put_stream("objects/g", FailingStream(DATA))
    assert store.read_range("objects/f", 0, 6).read_all() == b"before"
    assert not store.exists("objects/g")
    assert list(store.keys()) == ["objects/f"]


def test_presign_checks_its_arguments(store: BlobStore) -> None:
    with pytest.raises(ValueError, match="invalid blob key"):
        store.presign("a/../b", expires_s=60)
    with pytest.raises(ValueError, match="expires_s"):
        store.presign("objects/a", expires_s=0)
    with pytest.raises(ValueError, match="byte range"):
        store.presign("objects/a", expires_s=60, byte_range=(10, 9))
    url = store.presign("objects/a", expires_s=60, byte_range=(0, 9))
    assert url is None if isinstance(store, LocalBlobStore) else isinstance(url, str)


# ---------------------------------------------------------------- local store


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc")
def test_local_read_range_releases_the_file(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path / "blobs")
    store.put_bytes("objects/r", DATA)
    before = open_fds()
    chunks = store.read_range("objects/r", 0, SIZE)
    assert open_fds() == before + 1
    assert next(chunks) == DATA[:MiB]
    chunks.close()
    assert open_fds() == before and chunks.closed and list(chunks) == []
    store.read_range("objects/r", 0, SIZE).close()  # never iterated
    assert open_fds() == before
    assert b"".join(store.read_range("objects/r", 5, 10)) == DATA[5:15]  # exhausted
    assert open_fds() == before
    with pytest.raises(BlobRangeError):
        store.read_range("objects/r", SIZE, 1)
    assert open_fds() == before


def test_local_read_range_is_not_disturbed_by_a_replacement(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path / "blobs")
    store.put_bytes("objects/r", DATA)
    with store.read_range("objects/r", 0, SIZE) as chunks:
        first = next(chunks)
        store.put_bytes("objects/r", b"new")  # atomic rename: the reader keeps the old file
        assert first + b"".join(chunks) == DATA
    assert store.read_range("objects/r", 0, 3).read_all() == b"new"


def test_local_put_stream_mismatch_leaves_no_temporary_file(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path / "blobs")
    with pytest.raises(ChecksumMismatch, match="objects/aa/a"):
        store.put_stream("objects/aa/a", io.BytesIO(DATA), sha256=sha(b"x"))
    assert [p for p in (tmp_path / "blobs").rglob("*") if p.is_file()] == []
    assert store.put_stream("objects/aa/a", io.BytesIO(DATA), sha256=sha(DATA).upper()) == SIZE


def test_local_store_cannot_presign(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path / "blobs")
    store.put_bytes("objects/a", b"x")
    assert store.presign("objects/a", expires_s=60) is None
    assert store.presign("objects/missing", expires_s=60, byte_range=(0, 0)) is None


def test_blob_chunks_close_once_and_on_error() -> None:
    released: list[str] = []

    def broken() -> Iterator[bytes]:
        yield b"a"
        raise OSError("read failed")

    chunks = BlobChunks((c for c in broken()), lambda: released.append("x"))
    assert next(chunks) == b"a"
    with pytest.raises(OSError, match="read failed"):
        next(chunks)
    chunks.close()
    assert released == ["x"] and chunks.closed
