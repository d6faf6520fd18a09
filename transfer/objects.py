"""Encrypted objects at rest: a Crypt4GH header and body stored apart in a blob store.

An object is one asset file of a holding version. Its header lives under ``headers/<id>`` and its
ciphertext body under ``bodies/<id>``; the header has exactly one packet, written by the node's
storage key and addressed to it, giving the object's random data key (no edit list). Serving a
grantee re-encrypts only that header; the body bytes are the same for every recipient.

Object ids are ``<plaintext sha256>-<12 random hex digits>``: unique per encryption, so two
publishes of the same file never overwrite each other's header or body (a header only opens the
body it was written with), and still recognisable for re-use (see ``catalog.publish``).

:meth:`EncryptedObjects.put` encrypts while it uploads, in constant memory: the blob store pulls
ciphertext from an :class:`EncryptingReader`, which pulls plaintext from the source, and the
manifest entry's sizes and SHA-256 digests are computed on the way (``PlaintextDigest``,
``BodyDigest``). When the plaintext is not what the caller expected (the file changed since it
was validated) the reader raises at its end, so the store keeps nothing.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import secrets
from typing import Any, BinaryIO

from transfer.blobstore import BlobStore, ChecksumMismatch
from transfer.crypt4gh import (
    CIPHER_SEGMENT_SIZE,
    NONCE_SIZE,
    SEGMENT_SIZE,
    Crypt4GHError,
    SegmentEncryptor,
    decrypt_body,
    generate_data_key,
    make_header,
    parse_header,
    read_full,
)
from transfer.manifest import BodyDigest, ManifestObject, PlaintextDigest
from transfer.storage import StorageKey

__all__ = [
    "EncryptedObjects",
    "EncryptingReader",
    "body_key",
    "header_key",
    "new_object_id",
    "object_href",
]

CHUNK_SEGMENTS = 16  # 1 MiB of plaintext per encryption step
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def header_key(object_id: str) -> str:
    return f"headers/{object_id}"


def body_key(object_id: str) -> str:
    return f"bodies/{object_id}"


def object_href(holding_id: str, object_id: str) -> str:
    """The transfer route of an object: a whole Crypt4GH file for the grantee's key."""
    return f"/transfer/holdings/{holding_id}/objects/{object_id}"


def new_object_id(plaintext_sha256: str) -> str:
    if not _SHA256.fullmatch(plaintext_sha256):
        raise ValueError("plaintext_sha256 must be 64 lower-case hex digits")
    return f"{plaintext_sha256}-{secrets.token_hex(6)}"


class EncryptingReader(io.RawIOBase):
    """Reads as the Crypt4GH body of ``source`` under ``data_key``; digests both sides.

    ``expected_sha256``/``expected_size`` (of the plaintext), when given, are checked when the
    source ends: a difference raises ``ChecksumMismatch`` from ``read`` instead of the end of
    the stream, so a blob store writing from this reader keeps nothing.
    """

    def __init__(
        self,
        source: BinaryIO,
        data_key: bytes,
        *,
        expected_sha256: str | None = None,
        expected_size: int | None = None,
        chunk_segments: int = CHUNK_SEGMENTS,
    ) -> None:
        super().__init__()
        self._source = source
        self._encryptor = SegmentEncryptor(data_key)
        self._expected = (expected_sha256, expected_size)
        self._in = memoryview(bytearray(chunk_segments * SEGMENT_SIZE))
        self._out = memoryview(bytearray(chunk_segments * CIPHER_SEGMENT_SIZE))
        self._pos = self._end = 0
        self._eof = False
        self.plaintext = PlaintextDigest()
        self.body = BodyDigest()

    def readable(self) -> bool:
        return True

    def _fill(self) -> None:
        got = read_full(self._source, self._in)
        if got < len(self._in):
            self._eof = True
        plain = self._in[:got]
        self.plaintext.update(plain)
        count = -(-got // SEGMENT_SIZE)
        nonces = os.urandom(NONCE_SIZE * count)
        pos = 0
        for i in range(count):
            segment = plain[i * SEGMENT_SIZE : (i + 1) * SEGMENT_SIZE]
            pos += self._encryptor.encrypt_into(
                segment, self._out[pos:], nonces[i * NONCE_SIZE : (i + 1) * NONCE_SIZE]
            )
        self.body.update(self._out[:pos])
        self._pos, self._end = 0, pos
        if self._eof:
            self._check()

    def _check(self) -> None:
        sha256, size = self._expected
        if (sha256 is not None and self.plaintext.hexdigest() != sha256) or (
            size is not None and self.plaintext.size != size
        ):
            raise ChecksumMismatch("the source changed while it was being encrypted")

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        if self._pos == self._end:
            if self._eof:
                return 0
            self._fill()
        n = min(len(view), self._end - self._pos)
        view[:n] = self._out[self._pos : self._pos + n]
        self._pos += n
        return n


class EncryptedObjects:
    """Writes and reads the encrypted objects of a node (its blob store and storage key)."""

    def __init__(self, blobs: BlobStore, storage: StorageKey) -> None:
        self.blobs = blobs
        self.storage = storage

    def put(
        self,
        object_id: str,
        source: BinaryIO,
        *,
        item: str,
        asset: str,
        media_type: str,
        expected_sha256: str | None = None,
        expected_size: int | None = None,
    ) -> ManifestObject:
        """Encrypt ``source`` (read to its end) as object ``object_id``; its manifest entry.

        The body is stored first, then the header, so an object whose header exists is
        complete. ``ChecksumMismatch`` when the plaintext is not the expected one (nothing kept).
        """
        sk = self.storage.private_key()
        data_key = generate_data_key()
        reader = EncryptingReader(
            source, data_key, expected_sha256=expected_sha256, expected_size=expected_size
        )
        self.blobs.put_stream(body_key(object_id), reader)  # type: ignore[arg-type]
        self.blobs.put_bytes(
            header_key(object_id), make_header(data_key, sk, [self.storage.public_key])
        )
        return ManifestObject.from_digests(
            id=object_id,
            item=item,
            asset=asset,
            media_type=media_type,
            plaintext=reader.plaintext,
            body=reader.body,
            writer_public_key=self.storage.public_key,
        )

    def put_bytes(
        self, object_id: str, data: bytes, *, item: str, asset: str, media_type: str
    ) -> ManifestObject:
        return self.put(object_id, io.BytesIO(data), item=item, asset=asset, media_type=media_type)

    def complete(self, object_id: str, body_size: int) -> bool:
        """True when both parts of the object are stored and the body has ``body_size`` bytes."""
        key = body_key(object_id)
        return self.blobs.exists(header_key(object_id)) and (
            self.blobs.exists(key) and self.blobs.size(key) == body_size
        )

    def read_verified(self, entry: ManifestObject) -> bytes:
        """The plaintext of ``entry``, decrypted in memory and checked against its manifest entry.

        For the node's own readers (the evaluation enclave), which never write plaintext to disk.
        ``ChecksumMismatch`` when the header is not the node's one-key header written by the
        manifest's writer, a segment fails authentication, or the size or SHA-256 differs.
        """
        try:
            content = parse_header(
                self.header(entry.id),
                self.storage.private_key(),
                sender_pk=entry.writer_public_key,
            )
            if len(content.data_keys) != 1 or content.edit_list is not None:
                raise ChecksumMismatch(f"object {entry.id}: header is not a one-key header")
            out = io.BytesIO()
            with self.blobs.open(body_key(entry.id)) as body:
                stats = decrypt_body(body, out, content.data_keys, background_write=False)
        except Crypt4GHError:
            raise ChecksumMismatch(f"object {entry.id}: does not decrypt") from None
        data = out.getvalue()
        if (
            stats.body_bytes != entry.body_size
            or len(data) != entry.plaintext_size
            or hashlib.sha256(data).hexdigest() != entry.plaintext_sha256
        ):
            raise ChecksumMismatch(f"object {entry.id}: not the bytes its manifest names")
        return data

    def header(self, object_id: str) -> bytes:
        """The stored header (addressed to the node's storage key); ``BlobNotFound``."""
        with self.blobs.open(header_key(object_id)) as handle:
            return handle.read()
