"""Plaintext content of header packets: data encryption parameters and edit lists.

* type 0, data encryption parameters: ``type u32le || method u32le || key[32]``
  (method 0 = chacha20_ietf_poly1305);
* type 1, data edit list: ``type u32le || count u32le || count * u64le``,
  alternating lengths to skip and to keep in the plaintext stream.

Like the reference implementation, a decrypted packet of an unknown type and a
header with more than one edit list are rejected.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass

from .constants import (
    DATA_METHOD_CHACHA20_POLY1305,
    KEY_SIZE,
    PACKET_TYPE_DATA_ENC,
    PACKET_TYPE_EDIT_LIST,
)
from .errors import HeaderError, UnsupportedError

__all__ = [
    "HeaderContent",
    "make_data_packet",
    "make_edit_list_packet",
    "partition_packets",
]

_TWO_U32 = struct.Struct("<II")
_U64_MAX = (1 << 64) - 1


@dataclass(frozen=True)
class HeaderContent:
    """What a reader learns from a header: data keys and the optional edit list."""

    data_keys: tuple[bytes, ...]
    edit_list: tuple[int, ...] | None
    writer_pks: tuple[bytes, ...] = ()

    def __repr__(self) -> str:  # never print key material
        return (
            f"HeaderContent(data_keys=<{len(self.data_keys)} hidden>, "
            f"edit_list={self.edit_list!r}, writer_pks=<{len(self.writer_pks)}>)"
        )


def make_data_packet(data_key: bytes) -> bytes:
    """Plaintext data-encryption-parameters packet for ``data_key``."""
    if len(data_key) != KEY_SIZE:
        raise HeaderError(f"a data key must be {KEY_SIZE} bytes")
    return _TWO_U32.pack(PACKET_TYPE_DATA_ENC, DATA_METHOD_CHACHA20_POLY1305) + bytes(data_key)


def make_edit_list_packet(edit_list: Sequence[int]) -> bytes:
    """Plaintext edit-list packet (lengths alternate skip, keep, skip, ...)."""
    if any(not 0 <= n <= _U64_MAX for n in edit_list):
        raise HeaderError("edit list lengths must be unsigned 64-bit integers")
    body = struct.pack(f"<{len(edit_list)}Q", *edit_list)
    return _TWO_U32.pack(PACKET_TYPE_EDIT_LIST, len(edit_list)) + body


def _parse_data_packet(packet: bytes) -> bytes:
    if len(packet) < 8:
        raise HeaderError("data encryption packet too short")
    (method,) = struct.unpack_from("<I", packet, 4)
    if method != DATA_METHOD_CHACHA20_POLY1305:
        raise UnsupportedError(f"unsupported data encryption method {method}")
    if len(packet) != 8 + KEY_SIZE:
        raise HeaderError("data encryption packet has a key of the wrong size")
    return packet[8:]


def _parse_edit_list(packet: bytes) -> tuple[int, ...]:
    if len(packet) < 8:
        raise HeaderError("edit list packet too short")
    (count,) = struct.unpack_from("<I", packet, 4)
    if len(packet) - 8 < 8 * count:
        raise HeaderError("edit list packet shorter than its count")
    return struct.unpack_from(f"<{count}Q", packet, 8)


def partition_packets(packets: Sequence[bytes]) -> tuple[list[bytes], tuple[int, ...] | None]:
    """Split decrypted packets into ``(data keys, edit list or None)``."""
    keys: list[bytes] = []
    edit_list: tuple[int, ...] | None = None
    for index, packet in enumerate(packets):
        if len(packet) < 4:
            raise HeaderError(f"decrypted header packet {index} too short")
        (ptype,) = struct.unpack_from("<I", packet)
        if ptype == PACKET_TYPE_DATA_ENC:
            keys.append(_parse_data_packet(packet))
        elif ptype == PACKET_TYPE_EDIT_LIST:
            if edit_list is not None:
                raise HeaderError("more than one edit list packet")
            edit_list = _parse_edit_list(packet)
        else:
            raise UnsupportedError(f"unsupported header packet type {ptype}")
    return keys, edit_list
