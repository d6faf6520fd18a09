"""Header encryption: build, decrypt and re-encrypt Crypt4GH headers.

Each encrypted packet is ``method u32le (0 = X25519_chacha20_ietf_poly1305) ||
writer_pk[32] || nonce[12] || ChaCha20-Poly1305(shared key, packet) || tag[16]``.
Re-encryption works on header bytes only, so a grantee can be served without
touching the body.
"""

from __future__ import annotations

import os
import struct
import threading
from collections.abc import Iterable, Sequence
from typing import TypeVar

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

from .constants import CIPHER_DIFF, HEADER_METHOD_X25519_CHACHA20_POLY1305, KEY_SIZE, NONCE_SIZE
from .envelope import parse_packets, serialize_packets
from .errors import Crypt4GHError, HeaderError, NoMatchingKeyError
from .keys import (
    PrivateKeyLike,
    PublicKeyLike,
    private_key,
    public_key_bytes,
    reader_shared_key,
    writer_shared_key,
)
from .packets import HeaderContent, make_data_packet, make_edit_list_packet, partition_packets

__all__ = ["HeaderReencryptor", "make_header", "parse_header", "reencrypt_header"]

_METHOD = struct.pack("<I", HEADER_METHOD_X25519_CHACHA20_POLY1305)
_MIN_PACKET = 4 + KEY_SIZE + CIPHER_DIFF
_V = TypeVar("_V")


def _remember(cache: dict[bytes, _V], key: bytes, value: _V, limit: int) -> _V:
    """Store ``value`` in a bounded insertion-ordered cache (oldest entry evicted)."""
    if len(cache) >= limit:
        del cache[next(iter(cache))]
    cache[key] = value
    return value


class _Writer:
    """Encrypts plaintext packets for recipients, caching one shared key per recipient."""

    def __init__(self, writer_sk: PrivateKeyLike | None, cache_size: int = 1) -> None:
        self.sk = private_key(writer_sk) if writer_sk is not None else X25519PrivateKey.generate()
        self.pk = public_key_bytes(self.sk)
        self.cache_size = cache_size
        self.aeads: dict[bytes, ChaCha20Poly1305] = {}

    def _aead(self, recipient_pk: bytes) -> ChaCha20Poly1305:
        aead = self.aeads.get(recipient_pk)
        if aead is None:
            aead = ChaCha20Poly1305(writer_shared_key(self.sk, self.pk, recipient_pk))
            _remember(self.aeads, recipient_pk, aead, self.cache_size)
        return aead

    def encrypt_for(self, recipient_pk: bytes, plain_packets: Iterable[bytes]) -> list[bytes]:
        aead = self._aead(recipient_pk)
        out = []
        for plain in plain_packets:
            nonce = os.urandom(NONCE_SIZE)
            out.append(_METHOD + self.pk + nonce + aead.encrypt(nonce, plain, None))
        return out


class _Reader:
    """Decrypts packets addressed to one private key, caching shared keys per writer."""

    def __init__(
        self, reader_sk: PrivateKeyLike, sender_pk: PublicKeyLike | None, cache_size: int = 64
    ) -> None:
        self.sk = private_key(reader_sk)
        self.pk = public_key_bytes(self.sk)
        self.sender = public_key_bytes(sender_pk) if sender_pk is not None else None
        self.cache_size = cache_size
        self.aeads: dict[bytes, ChaCha20Poly1305 | None] = {}

    def _aead(self, writer_pk: bytes) -> ChaCha20Poly1305 | None:
        if writer_pk in self.aeads:
            return self.aeads[writer_pk]
        try:
            aead: ChaCha20Poly1305 | None = ChaCha20Poly1305(
                reader_shared_key(self.sk, self.pk, writer_pk)
            )
        except Crypt4GHError:
            aead = None
        return _remember(self.aeads, writer_pk, aead, self.cache_size)

    def decrypt(self, packet: bytes) -> bytes | None:
        """Plaintext of ``packet``, or None when it is not addressed to this key."""
        if len(packet) < _MIN_PACKET or packet[:4] != _METHOD:
            return None
        writer_pk = packet[4 : 4 + KEY_SIZE]
        if self.sender is not None and writer_pk != self.sender:
            return None
        aead = self._aead(writer_pk)
        if aead is None:
            return None
        nonce_at = 4 + KEY_SIZE
        body_at = nonce_at + NONCE_SIZE
        try:
            return aead.decrypt(packet[nonce_at:body_at], packet[body_at:], None)
        except InvalidTag:
            return None


def _recipients(recipient_pks: Iterable[PublicKeyLike]) -> list[bytes]:
    unique = list(dict.fromkeys(public_key_bytes(pk) for pk in recipient_pks))
    if not unique:
        raise HeaderError("at least one recipient public key is required")
    return unique


def make_header(
    data_key: bytes,
    writer_sk: PrivateKeyLike | None,
    recipient_pks: Iterable[PublicKeyLike],
    *,
    edit_list: Sequence[int] | None = None,
) -> bytes:
    """Header bytes giving ``data_key`` (and an edit list) to every recipient.

    ``writer_sk=None`` uses an ephemeral writer key.
    """
    plain = [make_data_packet(data_key)]
    if edit_list is not None:
        plain.append(make_edit_list_packet(edit_list))
    writer = _Writer(writer_sk)
    packets = [p for pk in _recipients(recipient_pks) for p in writer.encrypt_for(pk, plain)]
    return serialize_packets(packets)


def _decrypt_all(
    packets: Sequence[bytes], reader: _Reader
) -> tuple[list[bytes], list[bytes], list[bytes]]:
    """Return ``(plaintexts, writer keys of those, packets that were not ours)``."""
    plain, writers, others = [], [], []
    for packet in packets:
        opened = reader.decrypt(packet)
        if opened is None:
            others.append(packet)
        else:
            plain.append(opened)
            writers.append(packet[4 : 4 + KEY_SIZE])
    if not plain:
        raise NoMatchingKeyError("no header packet could be decrypted with this private key")
    return plain, writers, others


def parse_header(
    header: bytes | memoryview,
    reader_sk: PrivateKeyLike,
    *,
    sender_pk: PublicKeyLike | None = None,
) -> HeaderContent:
    """Decrypt the packets addressed to ``reader_sk``: data keys and edit list.

    With ``sender_pk`` only packets written by that key are accepted.
    """
    plain, writers, _ = _decrypt_all(parse_packets(header), _Reader(reader_sk, sender_pk))
    keys, edit_list = partition_packets(plain)
    if not keys:
        raise NoMatchingKeyError("no data encryption packet is addressed to this private key")
    return HeaderContent(tuple(keys), edit_list, tuple(dict.fromkeys(writers)))


class HeaderReencryptor:
    """Re-encrypts headers with one node key for many recipients.

    Shared keys are cached per writer and per recipient (bounded by
    ``cache_size``), so re-serving a known grantee costs no X25519 operation.
    The new packets are written by ``writer_sk`` (default: ``reader_sk``, so a
    recipient can check the sender). Safe to share between threads.
    """

    def __init__(
        self,
        reader_sk: PrivateKeyLike,
        *,
        writer_sk: PrivateKeyLike | None = None,
        cache_size: int = 1024,
    ) -> None:
        self._reader = _Reader(reader_sk, None, cache_size)
        writer = writer_sk if writer_sk is not None else self._reader.sk
        self._writer = _Writer(writer, cache_size)
        self._lock = threading.Lock()

    def reencrypt(
        self,
        header: bytes | memoryview,
        recipients_pks: Iterable[PublicKeyLike],
        *,
        trim: bool = True,
    ) -> bytes:
        """New header giving the packets this key can open to each recipient.

        With ``trim=False`` packets addressed to other keys are kept unchanged,
        as the reference does by default.
        """
        packets_in, recipients = parse_packets(header), _recipients(recipients_pks)
        with self._lock:
            plain, _, others = _decrypt_all(packets_in, self._reader)
            partition_packets(plain)  # validate before re-issuing
            packets = [p for pk in recipients for p in self._writer.encrypt_for(pk, plain)]
        return serialize_packets(packets if trim else packets + others)


def reencrypt_header(
    header: bytes | memoryview,
    reader_sk: PrivateKeyLike,
    recipients_pks: Iterable[PublicKeyLike],
    *,
    writer_sk: PrivateKeyLike | None = None,
    trim: bool = True,
) -> bytes:
    """Re-encrypt the packets ``reader_sk`` can open for each new recipient.

    Stateless form of :class:`HeaderReencryptor` (two X25519 operations for one
    recipient, about 0.1 ms); the body is not needed.
    """
    reencryptor = HeaderReencryptor(reader_sk, writer_sk=writer_sk, cache_size=64)
    return reencryptor.reencrypt(header, recipients_pks, trim=trim)
