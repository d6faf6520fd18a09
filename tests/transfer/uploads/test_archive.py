"""The upload archive: deterministic packing, and an unpacker that refuses every unsafe member."""

from __future__ import annotations

import io
import os
import tarfile
from collections.abc import Callable
from pathlib import Path

import pytest

from transfer.errors import ArchiveError
from transfer.uploads.archive import UnpackLimits, unpack_tar, write_tar

LIMITS = UnpackLimits(max_members=100, max_bytes=1 << 20)


def _folder(root: Path) -> Path:
    (root / "scans" / "A1").mkdir(parents=True)
    (root / "scans" / "A1" / "high.tiff").write_bytes(bytes(range(256)) * 40)
    (root / "scans" / "A1" / "scan.json").write_text('{"id": "A1"}')
    (root / "empty").mkdir()
    (root / "annotations.json").write_text("{}")
    (root / "ünïcode name.txt").write_text("x" * 3)
    return root


def _pack(folder: Path) -> tuple[bytes, str, int]:
    out = io.BytesIO()
    info = write_tar(folder, out)
    assert info.size == len(out.getvalue())
    return out.getvalue(), info.sha256, info.members


def test_packing_is_deterministic_and_round_trips(tmp_path: Path) -> None:
    folder = _folder(tmp_path / "h")
    first, sha, members = _pack(folder)
    os.utime(folder / "annotations.json", (1, 1))  # times and modes are not part of it
    (folder / "scans" / "A1" / "scan.json").chmod(0o600)
    second, sha2, _ = _pack(folder)
    assert first == second and sha == sha2
    assert members == 7  # 3 folders + 4 files
    dest = tmp_path / "out"
    dest.mkdir()
    stats = unpack_tar(io.BytesIO(first), dest, LIMITS)
    assert (stats.files, stats.folders) == (4, 3)
    for path in folder.rglob("*"):
        copy = dest / path.relative_to(folder)
        assert copy.is_dir() == path.is_dir()
        if path.is_file():
            assert copy.read_bytes() == path.read_bytes()
            assert copy.stat().st_mode & 0o777 == 0o600


def test_packing_refuses_a_symlink_naming_it(tmp_path: Path) -> None:
    folder = _folder(tmp_path / "h")
    (folder / "scans" / "A1" / "low.tiff").symlink_to(folder / "scans" / "A1" / "high.tiff")
    with pytest.raises(ArchiveError, match=r"scans/A1/low\.tiff: is a symbolic link"):
        write_tar(folder, io.BytesIO())


def _tar(*members: tuple[tarfile.TarInfo, bytes | None]) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for info, data in members:
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    return out.getvalue()


def _file(name: str, data: bytes = b"data") -> tuple[tarfile.TarInfo, bytes]:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    return info, data


def _special(name: str, kind: bytes, link: str = "") -> tuple[tarfile.TarInfo, None]:
    info = tarfile.TarInfo(name)
    info.type, info.linkname = kind, link
    return info, None


UNSAFE: dict[str, tuple[Callable[[], bytes], str]] = {
    "absolute": (lambda: _tar(_file("/tmp/evil")), "'/tmp/evil': absolute path refused"),
    "dot-dot": (lambda: _tar(_file("ok"), _file("a/../../evil")), "'a/../../evil': '..'"),
    "symlink": (
        lambda: _tar(_special("scans/link", tarfile.SYMTYPE, "/etc/passwd")),
        "'scans/link': is a symbolic link",
    ),
    "hardlink": (
        lambda: _tar(_file("a"), _special("b", tarfile.LNKTYPE, "a")),
        "'b': is a hard link",
    ),
    "device": (lambda: _tar(_special("dev", tarfile.CHRTYPE)), "'dev': is a character device"),
    "fifo": (lambda: _tar(_special("pipe", tarfile.FIFOTYPE)), "'pipe': is a FIFO"),
    "duplicate": (lambda: _tar(_file("a"), _file("a")), "'a': appears twice"),
    "under-a-file": (lambda: _tar(_file("a"), _file("a/b")), "'a/b': lies under the file 'a'"),
    "too-many": (
        lambda: _tar(*(_file(f"f{i}") for i in range(101))),
        "'f100': the archive has more than 100 members",
    ),
    "too-large": (
        lambda: _tar(_file("small"), _file("big", b"x" * (1 << 20))),
        "'big': the files add up to more than 1048576 bytes",
    ),
    "not-a-tar": (lambda: b"\x1f\x8b" + b"\x00" * 2000, "not a valid uncompressed tar archive"),
}


@pytest.mark.parametrize("case", sorted(UNSAFE))
def test_unsafe_members_are_refused_naming_them(tmp_path: Path, case: str) -> None:
    make, message = UNSAFE[case]
    dest = tmp_path / "box" / "dest"
    dest.mkdir(parents=True)
    with pytest.raises(ArchiveError) as caught:
        unpack_tar(io.BytesIO(make()), dest, LIMITS)
    assert message in str(caught.value)
    outside = [p for p in tmp_path.rglob("*") if dest not in (p, *p.parents)]
    assert outside == [tmp_path / "box"]  # nothing was written outside the target
    assert not any(p.is_symlink() for p in dest.rglob("*"))


def test_compressed_and_empty_archives_are_refused(tmp_path: Path) -> None:
    compressed = io.BytesIO()
    with tarfile.open(fileobj=compressed, mode="w:gz") as tar:
        info, data = _file("a")
        tar.addfile(info, io.BytesIO(data))
    with pytest.raises(ArchiveError, match="not a valid uncompressed tar"):
        unpack_tar(io.BytesIO(compressed.getvalue()), tmp_path, LIMITS)
    with pytest.raises(ArchiveError, match="empty"):
        unpack_tar(io.BytesIO(_tar()), tmp_path, LIMITS)
