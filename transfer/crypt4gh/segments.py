"""Segment-level body encryption: one 64 KiB plaintext segment at a time.

An encrypted segment is ``nonce[12] || ChaCha20-Poly1305(data key, segment) ||
tag[16]`` (65 564 bytes for a full segment). Segments are independent, so a
server can verify or serve any segment range and a client can resume at a
segment boundary. One AEAD object per data key is kept for the whole body.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterable

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

from .constants import CIPHER_DIFF, CIPHER_SEGMENT_SIZE, KEY_SIZE, NONCE_SIZE, SEGMENT_SIZE
from .errors import Crypt4GHError, SegmentAuthError

__all__ = [
    "SegmentDecryptor",
    "SegmentEncryptor",
    "body_size",
    "decrypt_segment",
    "encrypt_segment",
    "generate_data_key",
    "plaintext_size",
    "segment_count",
]

Buffer = bytes | bytearray | memoryview


def generate_data_key() -> bytes:
    """A fresh random 32-byte data (session) key."""
    return secrets.token_bytes(KEY_SIZE)


def segment_count(plaintext_bytes: int) -> int:
    """Number of segments holding ``plaintext_bytes`` bytes."""
    return -(-plaintext_bytes // SEGMENT_SIZE)


def body_size(plaintext_bytes: int) -> int:
    """Size of the encrypted body for ``plaintext_bytes`` bytes of plaintext."""
    return plaintext_bytes + CIPHER_DIFF * segment_count(plaintext_bytes)


def plaintext_size(body_bytes: int) -> int:
    """Plaintext size of a well-formed encrypted body of ``body_bytes`` bytes."""
    full, rest = divmod(body_bytes, CIPHER_SEGMENT_SIZE)
    if 0 < rest <= CIPHER_DIFF:
        raise Crypt4GHError(f"a body of {body_bytes} bytes cannot be valid Crypt4GH")
    return full * SEGMENT_SIZE + max(rest - CIPHER_DIFF, 0)


def _aead(key: Buffer) -> ChaCha20Poly1305:
    if len(key) != KEY_SIZE:
        raise Crypt4GHError(f"a data key must be {KEY_SIZE} bytes")
    return ChaCha20Poly1305(bytes(key))


class SegmentEncryptor:
    """Encrypts plaintext segments with one data key."""

    def __init__(self, data_key: Buffer) -> None:
        self._aead = _aead(data_key)

    def encrypt_into(self, segment: Buffer, out: memoryview, nonce: Buffer | None = None) -> int:
        """Write ``nonce || ciphertext || tag`` at the start of ``out``; return its size."""
        size = len(segment)
        if not 0 < size <= SEGMENT_SIZE:
            raise Crypt4GHError(f"a segment holds 1 to {SEGMENT_SIZE} bytes, not {size}")
        out[:NONCE_SIZE] = os.urandom(NONCE_SIZE) if nonce is None else nonce
        end = size + CIPHER_DIFF
        self._aead.encrypt_into(out[:NONCE_SIZE], segment, None, out[NONCE_SIZE:end])
        return end

    def encrypt(self, segment: Buffer) -> bytes:
        """One encrypted segment for ``segment`` (1 to 65 536 bytes)."""
        out = bytearray(len(segment) + CIPHER_DIFF)
        self.encrypt_into(segment, memoryview(out))
        return bytes(out)


class SegmentDecryptor:
    """Decrypts segments, trying each data key (the last one that worked first)."""

    def __init__(self, data_keys: Iterable[Buffer]) -> None:
        self._aeads = [_aead(key) for key in data_keys]
        if not self._aeads:
            raise Crypt4GHError("at least one data key is required")

    def decrypt_into(self, segment: Buffer, out: memoryview, index: int | None = None) -> int:
        """Decrypt one encrypted ``segment`` into the start of ``out``; return its size.

        ``index`` only serves error messages. Raises SegmentAuthError on failure.
        """
        size = len(segment) - CIPHER_DIFF
        where = "" if index is None else f" {index}"
        if not 0 < size <= SEGMENT_SIZE:
            raise SegmentAuthError(f"segment{where} has an invalid size", index)
        nonce, data, target = segment[:NONCE_SIZE], segment[NONCE_SIZE:], out[:size]
        for position, aead in enumerate(self._aeads):
            try:
                aead.decrypt_into(nonce, data, None, target)
            except InvalidTag:
                continue
            if position:  # move the working key to the front
                self._aeads.insert(0, self._aeads.pop(position))
            return size
        raise SegmentAuthError(f"segment{where} failed authentication", index)

    def decrypt(self, segment: Buffer, index: int | None = None) -> bytes:
        """Plaintext of one encrypted segment (raises SegmentAuthError)."""
        out = bytearray(max(len(segment) - CIPHER_DIFF, 0))
        size = self.decrypt_into(segment, memoryview(out), index)
        return bytes(out[:size])


def encrypt_segment(data_key: Buffer, segment: Buffer) -> bytes:
    """Encrypt one plaintext segment with ``data_key`` (convenience wrapper)."""
    return SegmentEncryptor(data_key).encrypt(segment)


def decrypt_segment(data_keys: Buffer | Iterable[Buffer], segment: Buffer) -> bytes:
    """Decrypt and authenticate one encrypted segment (convenience wrapper)."""
    keys = [data_keys] if isinstance(data_keys, bytes | bytearray | memoryview) else data_keys
    return SegmentDecryptor(keys).decrypt(segment)
