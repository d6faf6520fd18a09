"""Binary framing of the Crypt4GH header (no cryptography here).

A header is ``magic "crypt4gh" || version u32le || packet count u32le`` followed
by packets, each ``length u32le`` (including these 4 bytes) and the encrypted
packet. These helpers split a file or buffer into header bytes and body offset,
and turn header bytes into the list of encrypted packets and back.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from pathlib import Path
from typing import BinaryIO

from ._io import read_exact
from .constants import (
    MAGIC,
    MAX_HEADER_PACKETS,
    MAX_HEADER_SIZE,
    MAX_PACKET_SIZE,
    PREAMBLE_SIZE,
    VERSION,
)
from .errors import HeaderError, UnsupportedError

__all__ = [
    "parse_packets",
    "read_header",
    "serialize_packets",
    "split_file",
    "split_header",
]

_PREAMBLE = struct.Struct("<8sII")
_U32 = struct.Struct("<I")


def _check_preamble(preamble: bytes) -> int:
    if len(preamble) < PREAMBLE_SIZE:
        raise HeaderError("header too short: not a Crypt4GH file")
    magic, version, count = _PREAMBLE.unpack_from(preamble)
    if magic != MAGIC:
        raise HeaderError("bad magic: not a Crypt4GH file")
    if version != VERSION:
        raise UnsupportedError(f"unsupported Crypt4GH version {version} (only 1)")
    if count > MAX_HEADER_PACKETS:
        raise HeaderError(f"too many header packets ({count})")
    return int(count)


def _packet_length(raw: bytes, index: int) -> int:
    if len(raw) < 4:
        raise HeaderError(f"header truncated in the length of packet {index}")
    (length,) = _U32.unpack(raw)
    if length < 4 or length > MAX_PACKET_SIZE:
        raise HeaderError(f"invalid length {length} of header packet {index}")
    return int(length)


def read_header(src: BinaryIO) -> bytes:
    """Read the whole header from ``src``, leaving it positioned at the body."""
    preamble = read_exact(src, PREAMBLE_SIZE)
    parts, total = [preamble], PREAMBLE_SIZE
    for index in range(_check_preamble(preamble)):
        raw_len = read_exact(src, 4)
        length = _packet_length(raw_len, index)
        total += length
        if total > MAX_HEADER_SIZE:
            raise HeaderError(f"header larger than {MAX_HEADER_SIZE} bytes")
        packet = read_exact(src, length - 4)
        if len(packet) != length - 4:
            raise HeaderError(f"header truncated in packet {index}")
        parts += (raw_len, packet)
    return b"".join(parts)


def _walk(data: bytes | memoryview) -> tuple[list[tuple[int, int]], int]:
    """Return ``[(start, end)]`` of each encrypted packet and the body offset."""
    view = memoryview(data)
    count = _check_preamble(bytes(view[:PREAMBLE_SIZE]))
    spans, pos = [], PREAMBLE_SIZE
    for index in range(count):
        length = _packet_length(bytes(view[pos : pos + 4]), index)
        if pos + length > len(view):
            raise HeaderError(f"header truncated in packet {index}")
        spans.append((pos + 4, pos + length))
        pos += length
    return spans, pos


def split_header(data: bytes | memoryview) -> tuple[bytes, int]:
    """Split a buffer that starts with a header into ``(header bytes, body offset)``.

    ``data`` may be a whole file or just its first bytes; it must hold the full header.
    """
    _, offset = _walk(data)
    return bytes(data[:offset]), offset


def split_file(path: str | Path) -> tuple[bytes, int]:
    """Read the header of the Crypt4GH file at ``path``: ``(header bytes, body offset)``."""
    with open(path, "rb") as src:
        header = read_header(src)
    return header, len(header)


def parse_packets(header: bytes | memoryview) -> list[bytes]:
    """Encrypted packets (without their length prefix) of complete header bytes."""
    spans, end = _walk(header)
    if end != len(header):
        raise HeaderError("trailing bytes after the last header packet")
    view = memoryview(header)
    return [bytes(view[start:stop]) for start, stop in spans]


def serialize_packets(packets: Sequence[bytes]) -> bytes:
    """Header bytes holding the given encrypted packets."""
    if not packets:
        raise HeaderError("a header needs at least one packet")
    if len(packets) > MAX_HEADER_PACKETS:
        raise HeaderError(f"too many header packets ({len(packets)})")
    parts = [_PREAMBLE.pack(MAGIC, VERSION, len(packets))]
    for packet in packets:
        parts += (_U32.pack(len(packet) + 4), packet)
    return b"".join(parts)
