"""Crypt4GH key files (PEM-like), compatible with the reference ``crypt4gh-keygen``.

Public key: ``-----BEGIN CRYPT4GH PUBLIC KEY-----``, base64 of the 32 raw bytes.
Private key: ``-----BEGIN CRYPT4GH PRIVATE KEY-----`` (the label of the spec and
of the reference writer; ``CRYPT4GH ENCRYPTED PRIVATE KEY`` and ``ENCRYPTED
PRIVATE KEY`` are accepted when reading), base64 of::

    "c4gh-v1" || string kdfname || [string rounds_u32be||salt] || string ciphername
             || string blob || [string comment]

where a string is a u16be length and bytes, and for ``chacha20_poly1305`` the
blob is ``nonce[12] || ChaCha20-Poly1305(kdf(passphrase), key)``.
Private key files are created with O_EXCL and mode 0600.
"""

from __future__ import annotations

import base64
import binascii
import os
from collections.abc import Callable
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

from .constants import KEY_SIZE, NONCE_SIZE
from .errors import Crypt4GHError, KeyFileError, UnsupportedError
from .kdf import SCRYPT_SALT_SIZE, derive_key
from .keys import PrivateKeyLike, PublicKeyLike, private_key, public_key_bytes

__all__ = [
    "Passphrase",
    "decode_private_key",
    "decode_public_key",
    "encode_private_key",
    "encode_public_key",
    "generate_keypair",
    "load_private_key",
    "load_public_key",
    "write_private_key",
    "write_public_key",
]

Passphrase = str | bytes | Callable[[], str | bytes] | None

MAGIC_WORD = b"c4gh-v1"
PUBLIC_LABEL = "CRYPT4GH PUBLIC KEY"
PRIVATE_LABEL = "CRYPT4GH PRIVATE KEY"
_PRIVATE_LABELS = (PRIVATE_LABEL, "CRYPT4GH ENCRYPTED PRIVATE KEY", "ENCRYPTED PRIVATE KEY")
_CIPHER = b"chacha20_poly1305"


def _pem(label: str, payload: bytes) -> bytes:
    b64 = base64.b64encode(payload)
    return b"-----BEGIN %s-----\n%s\n-----END %s-----\n" % (label.encode(), b64, label.encode())


def _unpem(data: bytes | str, labels: tuple[str, ...]) -> bytes:
    raw = data.encode() if isinstance(data, str) else data
    lines = [line.strip() for line in raw.splitlines() if line.strip()]
    if lines and lines[0].startswith(b"ssh-"):
        raise UnsupportedError("OpenSSH keys are not supported; use Crypt4GH key files")
    begins = {b"-----BEGIN %s-----" % label.encode() for label in labels}
    ends = {b"-----END %s-----" % label.encode() for label in labels}
    if len(lines) < 3 or lines[0] not in begins or lines[-1] not in ends:
        raise KeyFileError(f"not a Crypt4GH key file (expected {labels[0]})")
    try:
        return base64.b64decode(b"".join(lines[1:-1]), validate=True)
    except binascii.Error as exc:
        raise KeyFileError("key file holds invalid base64") from exc


def encode_public_key(pk: PublicKeyLike | X25519PrivateKey) -> bytes:
    """Public key file content for ``pk``."""
    return _pem(PUBLIC_LABEL, public_key_bytes(pk))


def decode_public_key(data: bytes | str) -> bytes:
    """Raw 32-byte public key from public key file content."""
    key = _unpem(data, (PUBLIC_LABEL,))
    if len(key) != KEY_SIZE:
        raise KeyFileError(f"a public key must be {KEY_SIZE} bytes")
    return key


def _string(value: bytes) -> bytes:
    if len(value) > 0xFFFF:
        raise KeyFileError("key file field too long")
    return len(value).to_bytes(2, "big") + value


class _Fields:
    """Reads the length-prefixed strings of a private key blob."""

    def __init__(self, data: bytes) -> None:
        self.data, self.pos = data, 0

    def next(self) -> bytes:
        if self.pos + 2 > len(self.data):
            raise KeyFileError("private key file is truncated")
        size = int.from_bytes(self.data[self.pos : self.pos + 2], "big")
        start, self.pos = self.pos + 2, self.pos + 2 + size
        if self.pos > len(self.data):
            raise KeyFileError("private key file is truncated")
        return self.data[start : self.pos]


def _passphrase_bytes(passphrase: Passphrase) -> bytes:
    value = passphrase() if callable(passphrase) else passphrase
    if value is None:
        raise KeyFileError("the private key is encrypted: a passphrase is required")
    return value.encode("utf-8") if isinstance(value, str) else bytes(value)


def encode_private_key(
    sk: PrivateKeyLike, passphrase: str | bytes | None, *, comment: str | None = None
) -> bytes:
    """Private key file content; ``passphrase=None`` writes the key unencrypted."""
    raw = private_key(sk).private_bytes_raw()
    tail = _string(comment.encode("utf-8")) if comment is not None else b""
    if passphrase is None:
        body = _string(b"none") + _string(b"none") + _string(raw)
        return _pem(PRIVATE_LABEL, MAGIC_WORD + body + tail)
    secret = _passphrase_bytes(passphrase)
    if not secret:
        raise KeyFileError("empty passphrase: pass None to write an unencrypted key")
    salt, nonce = os.urandom(SCRYPT_SALT_SIZE), os.urandom(NONCE_SIZE)
    sealed = ChaCha20Poly1305(derive_key(b"scrypt", secret, salt, 0)).encrypt(nonce, raw, None)
    body = (
        _string(b"scrypt")
        + _string((0).to_bytes(4, "big") + salt)
        + _string(_CIPHER)
        + _string(nonce + sealed)
    )
    return _pem(PRIVATE_LABEL, MAGIC_WORD + body + tail)


def _unseal(kdfname: bytes, options: bytes, blob: bytes, passphrase: Passphrase) -> bytes:
    if len(options) < 4 or len(blob) < NONCE_SIZE:
        raise KeyFileError("private key file has malformed KDF options or key blob")
    rounds, salt = int.from_bytes(options[:4], "big"), options[4:]
    key = derive_key(kdfname, _passphrase_bytes(passphrase), salt, rounds)
    try:
        return ChaCha20Poly1305(key).decrypt(blob[:NONCE_SIZE], blob[NONCE_SIZE:], None)
    except InvalidTag:
        raise KeyFileError("wrong passphrase or corrupted private key file") from None


def decode_private_key(data: bytes | str, passphrase: Passphrase) -> X25519PrivateKey:
    """Private key from private key file content (``passphrase`` may be a callback)."""
    payload = _unpem(data, _PRIVATE_LABELS)
    if not payload.startswith(MAGIC_WORD):
        raise UnsupportedError("not a Crypt4GH private key (unknown key format)")
    fields = _Fields(payload[len(MAGIC_WORD) :])
    kdfname = fields.next()
    options = fields.next() if kdfname != b"none" else b""
    cipher, blob = fields.next(), fields.next()
    if kdfname == b"none" and cipher == b"none":
        raw = blob
    elif cipher == _CIPHER and kdfname != b"none":
        raw = _unseal(kdfname, options, blob, passphrase)
    else:
        raise UnsupportedError("unsupported KDF/cipher combination in private key file")
    if len(raw) != KEY_SIZE:
        raise KeyFileError(f"a private key must be {KEY_SIZE} bytes")
    return private_key(raw)


def _read(path: str | Path) -> bytes:
    try:
        with open(path, "rb") as f:
            return f.read(1 << 16)
    except OSError as exc:
        raise KeyFileError(f"cannot read key file {os.fspath(path)!r}: {exc.strerror}") from exc


def load_public_key(path: str | Path) -> bytes:
    """Raw public key from a Crypt4GH public key file."""
    return decode_public_key(_read(path))


def load_private_key(path: str | Path, passphrase: Passphrase) -> X25519PrivateKey:
    """Private key from a Crypt4GH private key file (scrypt, pbkdf2 or unencrypted)."""
    try:
        return decode_private_key(_read(path), passphrase)
    except Crypt4GHError as exc:
        raise type(exc)(f"{os.fspath(path)}: {exc}") from None


def _create(path: str | Path, content: bytes, mode: int) -> None:
    flags = os.O_CREAT | os.O_EXCL | os.O_WRONLY | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(path, flags, mode)
    try:
        os.fchmod(fd, mode)  # exact mode whatever the umask
        with os.fdopen(fd, "wb") as f:
            fd = -1
            f.write(content)
    finally:
        if fd >= 0:
            os.close(fd)


def write_public_key(path: str | Path, pk: PublicKeyLike | X25519PrivateKey) -> None:
    """Create a public key file (fails if it exists)."""
    _create(path, encode_public_key(pk), 0o644)


def write_private_key(
    path: str | Path,
    sk: PrivateKeyLike,
    passphrase: str | bytes | None,
    *,
    comment: str | None = None,
) -> None:
    """Create a private key file with mode 0600 (fails if it exists)."""
    _create(path, encode_private_key(sk, passphrase, comment=comment), 0o600)


def generate_keypair(
    sk_path: str | Path,
    pk_path: str | Path,
    passphrase: str | bytes | None,
    *,
    comment: str | None = None,
) -> X25519PrivateKey:
    """Generate a key pair and create its two key files."""
    sk = X25519PrivateKey.generate()
    write_private_key(sk_path, sk, passphrase, comment=comment)
    write_public_key(pk_path, sk)
    return sk
