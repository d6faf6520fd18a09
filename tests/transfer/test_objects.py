"""EncryptedObjects.read_verified: the node's own in-memory read of an object, checked against
its manifest entry (the enclave's only way to plaintext)."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import pytest

from transfer import ChecksumMismatch, EncryptedObjects, LocalBlobStore, StorageKey, body_key

DATA = os.urandom(200_000)  # four segments, the last one partial


@pytest.fixture
def objects(tmp_path: Path) -> EncryptedObjects:
    return EncryptedObjects(LocalBlobStore(tmp_path / "blobs"), StorageKey(tmp_path / "keys"))


def test_reads_back_the_plaintext(objects: EncryptedObjects) -> None:
    entry = objects.put_bytes("obj-1", DATA, item="s1", asset="high", media_type="image/tiff")
    assert objects.read_verified(entry) == DATA


def test_a_changed_body_byte_is_refused(objects: EncryptedObjects, tmp_path: Path) -> None:
    entry = objects.put_bytes("obj-1", DATA, item="s1", asset="high", media_type="image/tiff")
    path = tmp_path / "blobs" / body_key("obj-1")
    body = bytearray(path.read_bytes())
    body[100] ^= 1
    path.write_bytes(bytes(body))
    with pytest.raises(ChecksumMismatch, match="does not decrypt"):
        objects.read_verified(entry)


def test_an_entry_naming_other_bytes_is_refused(objects: EncryptedObjects) -> None:
    entry = objects.put_bytes("obj-1", DATA, item="s1", asset="high", media_type="image/tiff")
    wrong = dataclasses.replace(entry, plaintext_sha256="0" * 64)
    with pytest.raises(ChecksumMismatch, match="not the bytes"):
        objects.read_verified(wrong)


def test_a_header_from_another_writer_is_refused(objects: EncryptedObjects) -> None:
    entry = objects.put_bytes("obj-1", DATA, item="s1", asset="high", media_type="image/tiff")
    other = dataclasses.replace(entry, writer_public_key=bytes(32))
    with pytest.raises(ChecksumMismatch):
        objects.read_verified(other)
