"""Blob stores: where the bytes of assets live. The local directory store is the default.

Keys are relative POSIX paths of ``[A-Za-z0-9._-]`` segments; a key can never name a file outside
the store. Writes go to a temporary file in the store and are renamed into place, so a reader
never sees a partial blob and an interrupted write leaves only a temporary file, never a blob.

Contract shared by every store (``BlobStore``; the S3 store is ``transfer.s3store.S3BlobStore``):

* A write either stores every byte or nothing: a failed, interrupted or checksum-refused write
  leaves no blob (and a blob that was already there under that key unchanged).
* ``read_range(key, start, length)`` reads bytes ``[start, start + length)``. The range must lie
  inside the blob (``start + length <= size``, a zero length is allowed up to ``start == size``),
  otherwise ``BlobRangeError``; there is no silent clipping. A missing key or bad range is
  raised by the call itself, before any byte is read, so an HTTP handler can map it to 404/416
  before it starts a response. The result is a ``BlobChunks``: an iterator of chunks of at most
  ``CHUNK_SIZE`` (1 MiB) that holds an open file or connection until it is exhausted or closed
  (use it in a ``with`` block, or call ``close()``, when you may stop early).
* ``presign(key, expires_s=..., byte_range=None)`` returns a URL that a client can GET without
  credentials until it expires, or ``None`` if the store cannot make one (the local store).
  Without ``byte_range`` the URL serves the whole blob and the client may send any ``Range``
  header. With ``byte_range=(first, last)`` (inclusive, as in HTTP) the ``Range`` header is part
  of the signature: the client must send exactly ``Range: bytes=first-last``, and the URL is
  refused for any other bytes.
* Errors: ``BlobNotFound`` (also a ``KeyError``), ``ChecksumMismatch`` and ``BlobRangeError``
  (also ``ValueError``), any other storage failure ``BlobStoreError``; messages name the
  operation and key, never credentials or presigned URLs. An invalid key is a ``ValueError``.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from typing import BinaryIO, Protocol

from transfer.errors import TransferError

__all__ = [
    "CHUNK_SIZE",
    "MAX_PRESIGN_EXPIRES_S",
    "BlobChunks",
    "BlobNotFound",
    "BlobRangeError",
    "BlobStore",
    "BlobStoreError",
    "ChecksumMismatch",
    "LocalBlobStore",
    "check_byte_range",
    "check_expires",
    "check_key",
    "check_range",
]

CHUNK_SIZE = 1 << 20
"""Largest chunk ``read_range`` yields, and the unit in which streams are copied."""

MAX_PRESIGN_EXPIRES_S = 7 * 24 * 3600
"""SigV4 presigned URLs live at most seven days."""

_SEGMENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$")


class BlobStoreError(TransferError):
    """A blob store operation failed. The message names the operation and key, nothing secret."""

    code = "blob-store-error"


class BlobNotFound(BlobStoreError, KeyError):
    """No blob under this key (still a ``KeyError`` for callers that look keys up)."""

    code = "not-found"


class ChecksumMismatch(BlobStoreError, ValueError):
    """The bytes written are not the bytes expected (the source changed under us)."""

    code = "checksum-mismatch"


class BlobRangeError(BlobStoreError, ValueError):
    """The requested byte range does not lie inside the blob (HTTP would say 416)."""

    code = "range-not-satisfiable"


def check_key(key: str) -> str:
    parts = key.split("/")
    if not parts or any(not _SEGMENT.fullmatch(p) or p in {".", ".."} for p in parts):
        raise ValueError(f"invalid blob key {key!r}")
    return key


def check_range(start: int, length: int) -> None:
    """``start`` and ``length`` of a read: non-negative integers (not bools)."""
    for name, value in (("start", start), ("length", length)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"range {name} must be a non-negative integer, not {value!r}")


def check_byte_range(byte_range: tuple[int, int] | None) -> None:
    """An HTTP-style inclusive ``(first, last)`` byte range, ``0 <= first <= last``."""
    if byte_range is None:
        return
    first, last = byte_range
    for value in (first, last):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"invalid byte range {byte_range!r}")
    if first > last:
        raise ValueError(f"invalid byte range {byte_range!r}: first byte after last byte")


def check_expires(expires_s: int) -> None:
    if isinstance(expires_s, bool) or not isinstance(expires_s, int):
        raise ValueError(f"expires_s must be an integer, not {expires_s!r}")
    if not 1 <= expires_s <= MAX_PRESIGN_EXPIRES_S:
        raise ValueError(f"expires_s must be between 1 and {MAX_PRESIGN_EXPIRES_S}")


class BlobChunks:
    """The bytes of one ``read_range``: an iterator of chunks of at most ``CHUNK_SIZE``.

    It holds an open resource (a file, an HTTP response) that is released when the iterator is
    exhausted, raises, or is closed; ``with`` closes it too. Closing twice is harmless.
    """

    def __init__(self, chunks: Generator[bytes, None, None], release: Callable[[], None]) -> None:
        self._chunks = chunks
        self._release = release
        self._closed = False

    def __iter__(self) -> BlobChunks:
        return self

    def __next__(self) -> bytes:
        if self._closed:
            raise StopIteration
        try:
            return next(self._chunks)
        except BaseException:  # StopIteration included: done either way
            self.close()
            raise

    def read_all(self) -> bytes:
        """Every remaining byte, joined (for small ranges), then close."""
        with self:
            return b"".join(self)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            self._chunks.close()
        finally:
            self._release()

    @property
    def closed(self) -> bool:
        return self._closed

    def __enter__(self) -> BlobChunks:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class BlobStore(Protocol):
    def put_bytes(self, key: str, data: bytes) -> None: ...
    def put_stream(self, key: str, stream: BinaryIO, *, sha256: str | None = None) -> int:
        """Store ``stream`` read to its end; return the size. ``sha256`` (hex): all or nothing."""
        ...

    def exists(self, key: str) -> bool: ...
    def size(self, key: str) -> int: ...
    def open(self, key: str) -> BinaryIO: ...
    def read_range(self, key: str, start: int, length: int) -> BlobChunks:
        """Bytes ``[start, start + length)`` in chunks of at most ``CHUNK_SIZE``; see the module."""
        ...

    def presign(
        self, key: str, *, expires_s: int, byte_range: tuple[int, int] | None = None
    ) -> str | None:
        """A credential-free GET URL valid for ``expires_s`` seconds, or None; see the module."""
        ...

    def delete(self, key: str) -> None: ...
    def keys(self, prefix: str = "") -> Iterator[str]: ...


class LocalBlobStore:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.root.mkdir(parents=True, exist_ok=True, mode=0o700)

    def _path(self, key: str) -> Path:
        return self.root / check_key(key)

    def _write(self, key: str, copy: Callable[[BinaryIO], object]) -> None:
        target = self._path(key)
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as handle:
                copy(handle)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def put_bytes(self, key: str, data: bytes) -> None:
        self._write(key, lambda handle: handle.write(data))

    def put_stream(self, key: str, stream: BinaryIO, *, sha256: str | None = None) -> int:
        """Copy ``stream`` (to its end) in; with ``sha256``, keep nothing if the bytes differ."""
        written = 0

        def copy(handle: BinaryIO) -> None:
            nonlocal written
            digest = hashlib.sha256()
            while chunk := stream.read(CHUNK_SIZE):
                digest.update(chunk)
                handle.write(chunk)
                written += len(chunk)
            if sha256 is not None and digest.hexdigest() != sha256.lower():
                raise ChecksumMismatch(f"blob {key!r}: the bytes do not have the expected SHA-256")

        self._write(key, copy)
        return written

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

    def read_range(self, key: str, start: int, length: int) -> BlobChunks:
        check_range(start, length)
        handle = self.open(key)
        try:
            size = os.fstat(handle.fileno()).st_size
            if start + length > size:
                raise BlobRangeError(
                    f"blob {key!r}: bytes {start}..{start + length} are outside its {size} bytes"
                )
            handle.seek(start)
        except BaseException:
            handle.close()
            raise

        def chunks() -> Generator[bytes, None, None]:
            remaining = length
            while remaining:
                chunk = handle.read(min(remaining, CHUNK_SIZE))
                if not chunk:
                    raise BlobStoreError(f"blob {key!r} was truncated while it was being read")
                remaining -= len(chunk)
                yield chunk

        return BlobChunks(chunks(), handle.close)

    def presign(
        self, key: str, *, expires_s: int, byte_range: tuple[int, int] | None = None
    ) -> str | None:
        """A directory cannot hand out URLs: always None (arguments are still checked)."""
        check_key(key)
        check_expires(expires_s)
        check_byte_range(byte_range)
        return None

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def keys(self, prefix: str = "") -> Iterator[str]:
        # Walk only the folder the prefix names (``uploads/<id>/``), not the whole store.
        folder, _, _ = prefix.rpartition("/")
        try:
            top = self._path(folder) if folder else self.root
        except ValueError:  # not a key's folder: no key can start with it
            return
        if not top.is_dir():
            return
        for path in sorted(top.rglob("*")):
            if path.is_file() and not path.name.startswith(".tmp-"):
                key = path.relative_to(self.root).as_posix()
                if key.startswith(prefix):
                    yield key
