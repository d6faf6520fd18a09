"""The node's storage key: the X25519 key every asset at rest is encrypted to.

A Crypt4GH private key file ``<keys_dir>/_node/storage/c4gh.sec`` (mode 0600, every directory
0700) with its public key ``c4gh.pub`` beside it, created on first use under an exclusive file
lock (several processes may start at once). With ``CLEARANCE_STORAGE_PASSPHRASE`` set the file is
scrypt-locked with it (the reference tool's format); without, it is written unencrypted and is
protected only by the file mode and the data folder — the trade-off is in docs/architecture.md.

The node is both writer and recipient of the headers it stores, and re-encrypts them for
grantees (:meth:`StorageKey.reencryptor`); the manifest names this key's public half as the
``writer_public_key`` every grantee's header must come from.
"""

from __future__ import annotations

import fcntl
import os
import threading
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from transfer.crypt4gh import (
    HeaderReencryptor,
    KeyFileError,
    generate_private_key,
    load_private_key,
    public_key_bytes,
    write_private_key,
    write_public_key,
)

__all__ = ["StorageKey", "storage_key_dir"]

_PRIVATE_KEY_FILE = "c4gh.sec"
_PUBLIC_KEY_FILE = "c4gh.pub"


def storage_key_dir(keys_dir: Path) -> Path:
    return keys_dir / "_node" / "storage"


class StorageKey:
    """Loads (or creates) the node's storage key once; thread-safe."""

    def __init__(self, keys_dir: Path, passphrase: str | None = None) -> None:
        self._dir = storage_key_dir(keys_dir)
        self._passphrase = passphrase or None
        self._lock = threading.Lock()
        self._key: X25519PrivateKey | None = None
        self._public: bytes = b""
        self._reencryptor: HeaderReencryptor | None = None

    def __repr__(self) -> str:  # never show key material
        return f"StorageKey({str(self._dir)!r})"

    @property
    def path(self) -> Path:
        return self._dir / _PRIVATE_KEY_FILE

    def private_key(self) -> X25519PrivateKey:
        with self._lock:
            if self._key is None:
                self._key = self._load_or_create()
                self._public = public_key_bytes(self._key)
                self._reencryptor = HeaderReencryptor(self._key)
            return self._key

    @property
    def public_key(self) -> bytes:
        """The raw 32-byte X25519 public key (the manifest's ``writer_public_key``)."""
        self.private_key()
        return self._public

    def reencryptor(self) -> HeaderReencryptor:
        """Re-encrypts stored headers for grantees (new packets written by this key)."""
        self.private_key()
        assert self._reencryptor is not None
        return self._reencryptor

    def _load_or_create(self) -> X25519PrivateKey:
        self._dir.parent.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        for directory in (self._dir.parent, self._dir):
            directory.mkdir(exist_ok=True, mode=0o700)
        fd = os.open(self._dir / ".lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)  # another process may be creating it right now
            secret = self._dir / _PRIVATE_KEY_FILE
            if secret.exists():
                mode = secret.stat().st_mode & 0o777
                if mode & 0o077:  # as for signing keys: refuse, never silently tighten
                    raise PermissionError(
                        f"key file {secret} is readable by others (mode {mode:o}); expected 0600"
                    )
                try:
                    return load_private_key(secret, self._passphrase)
                except KeyFileError as exc:
                    raise KeyFileError(
                        f"cannot unlock the node storage key {secret}: {exc} "
                        "(is CLEARANCE_STORAGE_PASSPHRASE set as when the key was created?)"
                    ) from None
            key = generate_private_key()
            write_private_key(secret, key, self._passphrase, comment="clearance node storage")
            public = self._dir / _PUBLIC_KEY_FILE
            public.unlink(missing_ok=True)
            write_public_key(public, key)
            return key
        finally:
            os.close(fd)  # releases the lock
