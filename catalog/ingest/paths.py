"""Names inside a holding folder, resolved without ever leaving it, and read safely.

A name from ``scan.json`` or ``annotations.json`` must be a relative POSIX path without ``..``
(:func:`check_name`). Before any file is opened, it is resolved (symlinks followed) and must still
lie inside the holding folder and be a regular file (:func:`resolve_inside`). It is then opened
without following a symlink in its last component and without blocking on a FIFO
(:func:`open_regular`), and streamed in 1 MiB chunks while being hashed.
"""

from __future__ import annotations

import hashlib
import io
import os
import stat
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from catalog.ingest.errors import IngestError
from catalog.ingest.jsonio import json_type

__all__ = [
    "CHUNK",
    "Digest",
    "check_name",
    "hash_file",
    "open_regular",
    "read_file",
    "resolve_dir",
    "resolve_inside",
]

#: Read and hash files in chunks of this size.
CHUNK = 1 << 20

_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
_OPEN_FLAGS |= getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)


@dataclass(frozen=True)
class Digest:
    """Size in bytes and SHA-256 (hex) of a file."""

    size: int
    sha256_hex: str


def check_name(name: object) -> PurePosixPath | str:
    """Return ``name`` as a normalised relative path, or a message saying why it is refused."""
    if not isinstance(name, str):
        return f"expected a file name (string), got {json_type(name)}"
    if not name or "\x00" in name or "\\" in name:
        return f"{name!r} is not a valid file name (empty, NUL or backslash)"
    path = PurePosixPath(name)
    if path.is_absolute() or (len(name) > 1 and name[1] == ":"):
        return f"{name!r} is an absolute path; names are relative to the holding"
    if ".." in path.parts:
        return f"{name!r} climbs out with '..'; names must stay inside the holding folder"
    if not path.parts:
        return f"{name!r} names no file"
    return path


def resolve_inside(
    root: Path, rel: PurePosixPath, *, what: str = "file", missing: IngestError | None = None
) -> Path:
    """Resolve ``root/rel`` and check it is a regular file inside ``root`` (else IngestError).

    ``missing`` is raised instead of the default "file is missing" when there is no such file.
    """
    resolved = _resolve(root, rel, what, missing)
    mode = os.stat(resolved).st_mode
    if not stat.S_ISREG(mode):
        raise IngestError(str(rel), None, f"is not a regular file ({_kind(mode)})")
    return resolved


def resolve_dir(root: Path, rel: PurePosixPath, *, what: str = "folder") -> Path:
    """Resolve ``root/rel`` and check it is a directory inside ``root`` (else IngestError)."""
    resolved = _resolve(root, rel, what, None)
    mode = os.stat(resolved).st_mode
    if not stat.S_ISDIR(mode):
        raise IngestError(str(rel), None, f"is not a folder ({_kind(mode)})")
    return resolved


def read_file(resolved: Path, rel: str, *, limit: int) -> tuple[bytes, Digest]:
    """Read a whole file (at most ``limit`` bytes) once, hashing it in 1 MiB chunks."""
    with _open_regular(resolved, rel) as fh:
        size = os.fstat(fh.fileno()).st_size
        if size > limit:
            raise IngestError(rel, None, f"file is too large ({size:,} bytes, limit {limit:,})")
        data = fh.read(limit + 1)
    if len(data) > limit:
        raise IngestError(rel, None, f"file grew while being read (limit {limit:,} bytes)")
    digest = hashlib.sha256()
    view = memoryview(data)
    for start in range(0, len(data), CHUNK):
        digest.update(view[start : start + CHUNK])
    return data, Digest(len(data), digest.hexdigest())


def hash_file(fh: io.BufferedReader) -> Digest:
    """Stream an open file from its start in 1 MiB chunks: its size and SHA-256."""
    digest = hashlib.sha256()
    buffer = bytearray(CHUNK)
    view = memoryview(buffer)
    size = 0
    fh.seek(0)
    while n := fh.readinto(view):
        digest.update(view[:n])
        size += n
    return Digest(size, digest.hexdigest())


def open_regular(resolved: Path, rel: str) -> io.BufferedReader:
    """Open a resolved regular file for reading (no symlink, no FIFO): the caller closes it."""
    return _open_regular(resolved, rel)


def _open_regular(resolved: Path, rel: str) -> io.BufferedReader:
    try:
        fd = os.open(resolved, _OPEN_FLAGS)
    except OSError as exc:
        raise IngestError(rel, None, f"cannot open file ({exc.strerror})") from None
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        raise IngestError(rel, None, f"is not a regular file ({_kind(mode)})")
    return os.fdopen(fd, "rb")


def _resolve(root: Path, rel: PurePosixPath, what: str, missing: IngestError | None) -> Path:
    try:
        resolved = root.joinpath(rel).resolve(strict=True)
    except (FileNotFoundError, NotADirectoryError):
        raise missing or IngestError(str(rel), None, f"{what} is missing") from None
    except (OSError, RuntimeError):
        raise IngestError(str(rel), None, "cannot be resolved (symlink loop?)") from None
    if not resolved.is_relative_to(root):
        raise IngestError(str(rel), None, "leads outside the holding folder (through a symlink)")
    return resolved


def _kind(mode: int) -> str:
    kinds = [
        (stat.S_ISDIR, "a folder"),
        (stat.S_ISREG, "a regular file"),
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
    ]
    return next((name for test, name in kinds if test(mode)), "a special file")
