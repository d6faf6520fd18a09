"""The local blob store: atomic writes, keys that cannot escape the store."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from transfer.blobstore import BlobNotFound, ChecksumMismatch, LocalBlobStore, check_key


def test_round_trip_and_listing(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path / "blobs")
    store.put_bytes("objects/ab/abc", b"hello")
    source = tmp_path / "src.bin"
    source.write_bytes(b"x" * 3_000_000)
    store.put_file("objects/cd/cde", source)
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


def test_failed_write_leaves_no_blob_and_no_temp_file(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path / "blobs")
    missing = tmp_path / "does-not-exist"
    with pytest.raises(FileNotFoundError):
        store.put_file("objects/aa/a", missing)
    assert not store.exists("objects/aa/a")
    assert [p for p in (tmp_path / "blobs").rglob("*") if p.is_file()] == []


def test_put_file_refuses_bytes_that_do_not_match_the_expected_hash(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path / "blobs")
    source = tmp_path / "src.bin"
    source.write_bytes(b"changed after hashing")
    with pytest.raises(ChecksumMismatch):
        store.put_file("objects/aa/a", source, sha256=hashlib.sha256(b"original").hexdigest())
    assert not store.exists("objects/aa/a")
    store.put_file("objects/aa/a", source, sha256=hashlib.sha256(source.read_bytes()).hexdigest())
    assert store.exists("objects/aa/a")
