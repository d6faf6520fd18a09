"""The local blob store: atomic writes, keys that cannot escape the store."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path
from typing import Any

import pytest

from transfer.blobstore import BlobNotFound, ChecksumMismatch, LocalBlobStore, check_key


def test_round_trip_and_listing(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path / "blobs")
    store.put_bytes("objects/ab/abc", b"hello")
    source = tmp_path / "src.bin"
    source.write_bytes(b"x" * 3_000_000)
    with source.open("rb") as stream:
        assert store.put_stream("objects/cd/cde", stream) == 3_000_000
    assert store.exists("objects/ab/abc") and store.size("objects/cd/cde") == 3_000_000
    with store.open("objects/ab/abc") as handle:
        assert handle.read() == b"hello"
    assert list(store.keys("objects/")) == ["objects/ab/abc", "objects/cd/cde"]
    store.delete("objects/ab/abc")
    assert not store.exists("objects/ab/abc")
    with pytest.raises(BlobNotFound):
        store.open("objects/ab/abc")


@pytest.mark.parametrize(
    "key", ["../x", "/etc/passwd", "a/../../b", "a//b", "", ".hidden", "a/./b"]
)
def test_keys_cannot_escape(tmp_path: Path, key: str) -> None:
    store = LocalBlobStore(tmp_path)
    with pytest.raises(ValueError, match="invalid blob key"):
        store.put_bytes(key, b"x")
    with pytest.raises(ValueError, match="invalid blob key"):
        check_key(key)


class _Broken(io.RawIOBase):
    """A source that fails after its first read, like a disk error mid-copy."""

    def __init__(self) -> None:
        self.reads = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        self.reads += 1
        if self.reads > 1:
            raise OSError("read error")
        buffer[:4] = b"abcd"
        return 4


def test_failed_write_leaves_no_blob_and_no_temp_file(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path / "blobs")
    with pytest.raises(OSError, match="read error"):
        store.put_stream("objects/aa/a", io.BufferedReader(_Broken()))
    assert not store.exists("objects/aa/a")
    assert [p for p in (tmp_path / "blobs").rglob("*") if p.is_file()] == []


def test_put_stream_refuses_bytes_that_do_not_match_the_expected_hash(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path / "blobs")
    data = b"changed after hashing"
    with pytest.raises(ChecksumMismatch):
        store.put_stream("objects/aa/a", io.BytesIO(data), sha256=hashlib.sha256(b"x").hexdigest())
    assert not store.exists("objects/aa/a")
    assert [p for p in (tmp_path / "blobs").rglob("*") if p.is_file()] == []
    store.put_stream("objects/aa/a", io.BytesIO(data), sha256=hashlib.sha256(data).hexdigest())
    assert store.exists("objects/aa/a")
