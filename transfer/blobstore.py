"""Blob stores: where the bytes of assets live. The local directory store is the default.

Keys are relative POSIX paths of ``[A-Za-z0-9._-]`` segments; a key can never name a file outside
the store. Writes go to a temporary file in the store and are renamed into place, so a reader
never sees a partial blob and an interrupted write leaves only a temporary file, never a blob.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO, Protocol

__all__ = ["BlobNotFound", "BlobStore", "ChecksumMismatch", "LocalBlobStore", "check_key"]

_SEGMENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$")


class BlobNotFound(KeyError):
    pass


class ChecksumMismatch(ValueError):
    """The bytes written are not the bytes expected (the source changed under us)."""


def check_key(key: str) -> str:
    parts = key.split("/")
    if not parts or any(not _SEGMENT.fullmatch(p) or p in {".", ".."} for p in parts):
        raise ValueError(f"invalid blob key {key!r}")
    return key


class BlobStore(Protocol):
    def put_file(self, key: str, source: Path, *, sha256: str | None = None) -> None: ...
    def put_bytes(self, key: str, data: bytes) -> None: ...
    def exists(self, key: str) -> bool: ...
    def size(self, key: str) -> int: ...
    def open(self, key: str) -> BinaryIO: ...
    def delete(self, key: str) -> None: ...
    def keys(self, prefix: str = "") -> Iterator[str]: ...


class LocalBlobStore:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.root.mkdir(parents=True, exist_ok=True, mode=0o700)

    def _path(self, key: str) -> Path:
        return self.root / check_key(key)

    def _write(self, key: str, copy: object) -> None:
        target = self._path(key)
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as handle:
                assert callable(copy)
                copy(handle)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def put_file(self, key: str, source: Path, *, sha256: str | None = None) -> None:
        """Copy ``source`` in; with ``sha256``, refuse (and keep nothing) if the bytes differ."""

        def copy(handle: BinaryIO) -> None:
            digest = hashlib.sha256()
            with source.open("rb") as src:
                while chunk := src.read(1 << 20):
                    digest.update(chunk)
                    handle.write(chunk)
            if sha256 is not None and digest.hexdigest() != sha256:
                raise ChecksumMismatch(f"{source.name} changed while it was being stored")

        self._write(key, copy)

    def put_bytes(self, key: str, data: bytes) -> None:
        self._write(key, lambda handle: handle.write(data))

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def size(self, key: str) -> int:
        try:
            return self._path(key).stat().st_size
        except FileNotFoundError:
            raise BlobNotFound(key) from None

    def open(self, key: str) -> BinaryIO:
        try:
            return self._path(key).open("rb")
        except FileNotFoundError:
            raise BlobNotFound(key) from None

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def keys(self, prefix: str = "") -> Iterator[str]:
        for path in sorted(self.root.rglob("*")):
            if path.is_file() and not path.name.startswith(".tmp-"):
                key = path.relative_to(self.root).as_posix()
                if key.startswith(prefix):
                    yield key
