"""X25519 key handling and the Crypt4GH header shared-key derivation.

Keys may be given as raw 32-byte strings or as ``cryptography`` X25519 objects.
The shared key of a header packet is the first 32 bytes of
``BLAKE2b-512(X25519(sk, peer_pk) || reader_pk || writer_pk)``, which is what
libsodium's ``crypto_kx`` computes on both sides (writer = server, reader = client).
"""

from __future__ import annotations

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey

from .constants import KEY_SIZE
from .errors import Crypt4GHError

__all__ = [
    "PrivateKeyLike",
    "PublicKeyLike",
    "generate_private_key",
    "private_key",
    "public_key_bytes",
    "reader_shared_key",
    "writer_shared_key",
]

PrivateKeyLike = X25519PrivateKey | bytes
PublicKeyLike = X25519PublicKey | bytes


def generate_private_key() -> X25519PrivateKey:
    """Return a fresh random X25519 private key."""
    return X25519PrivateKey.generate()


def private_key(key: PrivateKeyLike) -> X25519PrivateKey:
    """Normalise raw bytes or an X25519 object into an ``X25519PrivateKey``."""
    if isinstance(key, X25519PrivateKey):
        return key
    if not isinstance(key, bytes | bytearray | memoryview) or len(key) != KEY_SIZE:
        raise Crypt4GHError(f"an X25519 private key must be {KEY_SIZE} raw bytes")
    return X25519PrivateKey.from_private_bytes(bytes(key))


def public_key_bytes(key: PublicKeyLike | X25519PrivateKey) -> bytes:
    """Raw 32-byte public key of a public key, or of a private key object."""
    if isinstance(key, X25519PrivateKey):
        return key.public_key().public_bytes_raw()
    if isinstance(key, X25519PublicKey):
        return key.public_bytes_raw()
    if not isinstance(key, bytes | bytearray | memoryview) or len(key) != KEY_SIZE:
        raise Crypt4GHError(f"an X25519 public key must be {KEY_SIZE} raw bytes")
    return bytes(key)


def _derive(sk: X25519PrivateKey, peer_pk: bytes, reader_pk: bytes, writer_pk: bytes) -> bytes:
    try:
        dh = sk.exchange(X25519PublicKey.from_public_bytes(peer_pk))
    except ValueError as exc:  # low-order point: all-zero shared secret
        raise Crypt4GHError("X25519 key agreement failed (invalid peer public key)") from exc
    digest = hashes.Hash(hashes.BLAKE2b(64))
    digest.update(dh + reader_pk + writer_pk)
    return digest.finalize()[:KEY_SIZE]


def writer_shared_key(writer_sk: X25519PrivateKey, writer_pk: bytes, reader_pk: bytes) -> bytes:
    """Shared key computed by the writer for a recipient (libsodium kx server ``tx``)."""
    return _derive(writer_sk, reader_pk, reader_pk, writer_pk)


def reader_shared_key(reader_sk: X25519PrivateKey, reader_pk: bytes, writer_pk: bytes) -> bytes:
    """Shared key computed by the reader from a packet's writer key (kx client ``rx``)."""
    return _derive(reader_sk, writer_pk, reader_pk, writer_pk)
