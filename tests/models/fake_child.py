"""A stand-in for the sandbox child that writes what a broken or hostile child might: run as
``python -I fake_child.py MODE --memory ...`` (the sandbox's own arguments are ignored)."""

from __future__ import annotations

import os
import struct
import sys

MAGIC = b"CLF"


def _drain() -> None:
    while os.read(0, 65536):
        pass


def _header(name: bytes, code: int, dims: tuple[int, ...]) -> bytes:
    return (
        bytes([len(name)]) + name + bytes([code, len(dims)]) + struct.pack(f">{len(dims)}Q", *dims)
    )


def main(mode: str) -> None:
    os.read(0, 65536)  # the model frame (tests send a tiny one)
    if mode == "garbage":
        os.write(1, os.urandom(4096))
    elif mode == "no-ready":
        os.write(1, MAGIC + b"T")
    else:
        os.write(1, MAGIC + b"R")
        os.read(0, 65536)  # the first input frame
        frames = {
            "truncated": MAGIC + b"T" + b"\x01" + _header(b"score", 1, (1,)) + b"\x00\x00",
            "bad-dtype-code": MAGIC + b"T" + b"\x01" + _header(b"score", 99, (1,)),
            "rank-too-high": MAGIC + b"T" + b"\x01" + _header(b"score", 1, (1,) * 200),
            "too-many": MAGIC + b"T" + b"\xff",
            "huge-dim": MAGIC + b"T" + b"\x01" + _header(b"score", 1, (1 << 62,)),
            "wrong-name": MAGIC + b"T" + b"\x01" + _header(b"other", 1, (1,)) + b"\x00" * 4,
            "unknown-error": MAGIC + b"E" + b"\xee",
            "endless": MAGIC + b"T" + b"\x01" + _header(b"score", 1, (1 << 30,)),
        }
        os.write(1, frames[mode])
        if mode == "truncated":
            return  # the stream ends inside the frame
        if mode == "endless":
            while True:
                os.write(1, b"\x00" * 65536)
    _drain()


if __name__ == "__main__":
    main(sys.argv[1])
