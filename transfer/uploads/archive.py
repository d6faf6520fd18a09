"""The archive format of a holding upload: an uncompressed POSIX (pax) tar of the holding folder.

:func:`write_tar` packs a folder deterministically — members sorted by name, every timestamp,
owner and group zero, modes 0644/0755 — so the same folder always gives the same bytes and the
same SHA-256, which is how a re-run of the upload finds its session again. It streams: memory
use does not grow with the folder. Symbolic links and special files are refused, not followed.

:func:`unpack_tar` is the server side and trusts nothing: it reads the tar as a stream (no
seeking, no compression) and accepts only regular files and folders with relative names that
stay inside the target. Absolute names, ``..``, links, devices, FIFOs, sparse files, duplicate
names, a file under a file, and more members or bytes than the limits allow are refused with an
``ArchiveError`` naming the member. It never calls ``tarfile``'s own extraction: every file is
created by this module with ``O_EXCL | O_NOFOLLOW`` and mode 0600, folders 0700.

Known limit: ``tarfile`` reads a pax extended header into memory whole before we see the member,
so an archive can make the unpacker allocate up to the size of one such header.
"""

from __future__ import annotations

import hashlib
import os
import stat
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import BinaryIO, cast

from transfer.errors import ArchiveError

__all__ = ["ArchiveInfo", "UnpackLimits", "UnpackStats", "unpack_tar", "write_tar"]

_CHUNK = 1 << 20
_MAX_NAME = 1024
_KINDS = {
    tarfile.SYMTYPE: "a symbolic link",
    tarfile.LNKTYPE: "a hard link",
    tarfile.CHRTYPE: "a character device",
    tarfile.BLKTYPE: "a block device",
    tarfile.FIFOTYPE: "a FIFO",
    tarfile.CONTTYPE: "a contiguous file",
    tarfile.GNUTYPE_SPARSE: "a sparse file",
}


@dataclass(frozen=True)
class ArchiveInfo:
    """What :func:`write_tar` wrote: archive size and SHA-256 (hex), members, file bytes."""

    size: int
    sha256: str
    members: int
    file_bytes: int


class _HashingWriter:
    """A write-only file that hashes and counts what passes through it."""

    def __init__(self, out: BinaryIO) -> None:
        self._out = out
        self.digest = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> int:
        self.digest.update(data)
        self.size += len(data)
        return self._out.write(data)

    def flush(self) -> None:
        self._out.flush()


def _walk(root: Path, relative: PurePosixPath) -> Iterator[tuple[str, Path]]:
    """``(name, path)`` of every folder and file below ``root``, sorted, depth first."""
    with os.scandir(root / relative) as entries:
        names = sorted(entry.name for entry in entries)
    for name in names:
        rel = relative / name
        path = root / rel
        mode = os.lstat(path).st_mode
        if stat.S_ISLNK(mode):
            raise ArchiveError(f"{rel}: is a symbolic link; upload real files", member=str(rel))
        if stat.S_ISDIR(mode):
            yield str(rel), path
            yield from _walk(root, rel)
        elif stat.S_ISREG(mode):
            yield str(rel), path
        else:
            raise ArchiveError(f"{rel}: is not a regular file or folder", member=str(rel))


def _info(name: str, path: Path) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.mtime, info.uid, info.gid, info.uname, info.gname = 0, 0, 0, "", ""
    if path.is_dir():
        info.type, info.mode = tarfile.DIRTYPE, 0o755
    else:
        info.type, info.mode, info.size = tarfile.REGTYPE, 0o644, path.stat().st_size
    return info


def write_tar(folder: Path, out: BinaryIO) -> ArchiveInfo:
    """Pack ``folder``'s contents (names relative to it) as a deterministic tar into ``out``."""
    if not folder.is_dir():
        raise ArchiveError(f"{folder} is not a folder")
    writer = _HashingWriter(out)
    members = file_bytes = 0
    with tarfile.open(
        fileobj=cast(BinaryIO, writer),
        mode="w|",
        format=tarfile.PAX_FORMAT,
        encoding="utf-8",
    ) as tar:
        for name, path in _walk(folder, PurePosixPath()):
            info = _info(name, path)
            if info.isdir():
                tar.addfile(info)
            else:
                with path.open("rb") as source:
                    try:
                        tar.addfile(info, source)
                    except OSError:  # tarfile: "unexpected end of data"
                        raise ArchiveError(
                            f"{name}: changed while it was being archived", member=name
                        ) from None
                file_bytes += info.size
            members += 1
    if members == 0:
        raise ArchiveError(f"{folder} is empty")
    return ArchiveInfo(writer.size, writer.digest.hexdigest(), members, file_bytes)


@dataclass(frozen=True)
class UnpackLimits:
    max_members: int
    max_bytes: int


@dataclass(frozen=True)
class UnpackStats:
    files: int
    folders: int
    bytes: int


def _member_path(name: str) -> PurePosixPath:
    """The member's name as a safe relative path (``./`` prefixes dropped), or ArchiveError."""
    shown = name[:200]
    if not name or "\x00" in name or "\\" in name or len(name) > _MAX_NAME:
        raise ArchiveError(
            f"member {shown!r}: not a valid name (empty, NUL, backslash or over {_MAX_NAME})",
            member=shown,
        )
    path = PurePosixPath(name)
    if path.is_absolute():
        raise ArchiveError(f"member {shown!r}: absolute path refused", member=shown)
    if ".." in path.parts:
        raise ArchiveError(f"member {shown!r}: '..' climbs out of the archive", member=shown)
    return path


def _check_kind(member: tarfile.TarInfo) -> None:
    sparse = member.issparse()
    if member.type in (tarfile.REGTYPE, tarfile.AREGTYPE, tarfile.DIRTYPE) and not sparse:
        return
    kind = (
        "a sparse file"
        if sparse
        else _KINDS.get(member.type, f"of unsupported type {member.type!r}")
    )
    raise ArchiveError(
        f"member {member.name[:200]!r}: is {kind}; only regular files and folders are accepted",
        member=member.name[:200],
    )


class _Unpacker:
    """State of one unpack: what exists, counts and limits."""

    def __init__(self, dest: Path, limits: UnpackLimits) -> None:
        self.dest = dest
        self.limits = limits
        self.files: set[PurePosixPath] = set()
        self.folders: set[PurePosixPath] = {PurePosixPath(".")}
        self.members = 0
        self.bytes = 0

    def admit(self, member: tarfile.TarInfo) -> PurePosixPath:
        """Check one member against every rule; its relative path."""
        path = _member_path(member.name)
        _check_kind(member)
        name = str(path)
        self.members += 1
        if self.members > self.limits.max_members:
            raise ArchiveError(
                f"member {name!r}: the archive has more than {self.limits.max_members} members",
                member=name,
            )
        if path in self.files or (path in self.folders and not member.isdir()):
            raise ArchiveError(f"member {name!r}: appears twice in the archive", member=name)
        for parent in path.parents:
            if parent in self.files:
                raise ArchiveError(f"member {name!r}: lies under the file {str(parent)!r}",
                                   member=name)  # fmt: skip
        if member.isreg():
            self.bytes += member.size
            if self.bytes > self.limits.max_bytes:
                raise ArchiveError(
                    f"member {name!r}: the files add up to more than {self.limits.max_bytes} bytes",
                    member=name,
                )
        return path

    def folder(self, path: PurePosixPath) -> None:
        for part in (*reversed(path.parents), path):
            if part not in self.folders:
                (self.dest / part).mkdir(mode=0o700)
                self.folders.add(part)

    def file(self, path: PurePosixPath, source: BinaryIO, size: int) -> None:
        self.folder(path.parent)
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
        fd = os.open(self.dest / path, flags, 0o600)
        with os.fdopen(fd, "wb") as out:
            remaining = size
            while remaining:
                chunk = source.read(min(_CHUNK, remaining))
                if not chunk:
                    raise ArchiveError(f"member {str(path)!r}: truncated", member=str(path))
                out.write(chunk)
                remaining -= len(chunk)
        self.files.add(path)


def unpack_tar(stream: BinaryIO, dest: Path, limits: UnpackLimits) -> UnpackStats:
    """Unpack the tar read from ``stream`` into the empty folder ``dest``; see the module.

    On an ``ArchiveError`` ``dest`` may hold what was unpacked before: the caller discards it.
    """
    unpacker = _Unpacker(dest, limits)
    last = ""
    try:
        with tarfile.open(fileobj=stream, mode="r|", encoding="utf-8") as tar:
            for member in tar:
                path = unpacker.admit(member)
                last = str(path)
                if member.isdir():
                    unpacker.folder(path)
                    continue
                source = tar.extractfile(member)
                assert source is not None  # a regular file always has a reader
                unpacker.file(path, source, member.size)  # type: ignore[arg-type]
    except tarfile.TarError as exc:
        where = f" after member {last!r}" if last else ""
        raise ArchiveError(f"not a valid uncompressed tar archive{where}: {exc}") from None
    if unpacker.members == 0:
        raise ArchiveError("the archive is empty")
    return UnpackStats(len(unpacker.files), len(unpacker.folders) - 1, unpacker.bytes)
