"""Small I/O helpers shared by the streaming modules (internal)."""

from __future__ import annotations

from typing import BinaryIO

__all__ = ["read_exact", "read_full", "write_all"]


def read_full(src: BinaryIO, view: memoryview) -> int:
    """Fill ``view`` from ``src`` until it is full or EOF; return the byte count.

    Short reads (pipes, sockets) are retried so segments stay aligned.
    """
    readinto = getattr(src, "readinto", None)
    total, size = 0, len(view)
    while total < size:
        if readinto is not None:
            got = readinto(view[total:])
        else:
            data = src.read(size - total)
            got = len(data)
            view[total : total + got] = data
        if not got:
            break
        total += got
    return total


def read_exact(src: BinaryIO, size: int) -> bytes:
    """Read up to ``size`` bytes, retrying short reads; fewer only at EOF."""
    buf = bytearray(size)
    got = read_full(src, memoryview(buf))
    return bytes(buf[:got])


def write_all(dst: BinaryIO, view: memoryview) -> None:
    """Write all of ``view``, retrying partial writes of unbuffered files."""
    while view:
        written = dst.write(view)
        if written is None or written >= len(view):
            return
        view = view[written:]
