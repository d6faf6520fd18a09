"""Streaming body encryption and decryption in constant memory.

The body is processed in chunks of several segments: each chunk is read with
``readinto`` into a preallocated buffer, every segment is encrypted or
decrypted through memoryviews into one of two preallocated output buffers, and
the chunk is written with a single call, in a helper thread while the next
chunk is processed (see :mod:`.pipeline`). No per-byte Python work is done.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import BinaryIO

from ._io import read_full, write_all
from .constants import CIPHER_SEGMENT_SIZE, NONCE_SIZE, SEGMENT_SIZE
from .editlist import EditListWriter
from .pipeline import OrderedWriter
from .segments import Buffer, SegmentDecryptor, SegmentEncryptor

__all__ = ["CHUNK_SEGMENTS", "BodyStats", "decrypt_body", "encrypt_body"]

CHUNK_SEGMENTS = 16  # 1 MiB of plaintext per read


@dataclass(frozen=True)
class BodyStats:
    """Sizes seen while streaming: plaintext bytes produced/consumed, body bytes, segments."""

    plaintext_bytes: int
    body_bytes: int
    segments: int


def _buffers(count: int, size: int) -> list[memoryview]:
    return [memoryview(bytearray(size)) for _ in range(count)]


def _encrypt_chunk(enc: SegmentEncryptor, src: memoryview, out: memoryview) -> tuple[int, int]:
    count = -(-len(src) // SEGMENT_SIZE)
    nonces = memoryview(os.urandom(NONCE_SIZE * count))
    pos = 0
    for i in range(count):
        segment = src[i * SEGMENT_SIZE : (i + 1) * SEGMENT_SIZE]
        pos += enc.encrypt_into(segment, out[pos:], nonces[i * NONCE_SIZE : (i + 1) * NONCE_SIZE])
    return pos, count


def encrypt_body(
    src: BinaryIO,
    dst: BinaryIO,
    data_key: Buffer,
    *,
    chunk_segments: int = CHUNK_SEGMENTS,
    background_write: bool = True,
) -> BodyStats:
    """Encrypt everything readable from ``src`` into body segments written to ``dst``.

    Starting at a segment boundary of the plaintext, this also resumes a body.
    With ``background_write`` (default) ``dst.write`` runs in a helper thread.
    """
    enc = SegmentEncryptor(data_key)
    (inbuf,) = _buffers(1, chunk_segments * SEGMENT_SIZE)
    outbufs = _buffers(2, chunk_segments * CIPHER_SEGMENT_SIZE)
    plain = body = segments = 0
    with OrderedWriter(partial(write_all, dst), background=background_write) as writer:
        while got := read_full(src, inbuf):
            out = outbufs[segments // chunk_segments % 2]
            size, count = _encrypt_chunk(enc, inbuf[:got], out)
            writer.submit(out[:size], last=got < len(inbuf))
            plain, body, segments = plain + got, body + size, segments + count
            if got < len(inbuf):
                break
    return BodyStats(plain, body, segments)


def _decrypt_chunk(
    dec: SegmentDecryptor, src: memoryview, out: memoryview, first_index: int
) -> tuple[int, int]:
    count = -(-len(src) // CIPHER_SEGMENT_SIZE)
    pos = 0
    for i in range(count):
        segment = src[i * CIPHER_SEGMENT_SIZE : (i + 1) * CIPHER_SEGMENT_SIZE]
        pos += dec.decrypt_into(segment, out[pos:], first_index + i)
    return pos, count


def decrypt_body(
    src: BinaryIO,
    dst: BinaryIO,
    data_keys: Iterable[Buffer],
    *,
    edit_list: Sequence[int] | None = None,
    chunk_segments: int = CHUNK_SEGMENTS,
    background_write: bool = True,
) -> BodyStats:
    """Decrypt body segments from ``src`` to ``dst``, applying ``edit_list`` if given.

    Raises SegmentAuthError on the first segment that fails authentication. A
    chunk is written only once all its segments verified, but earlier chunks
    were already written: callers must discard the output on error.
    """
    dec = SegmentDecryptor(data_keys)
    editor = EditListWriter(dst, edit_list) if edit_list is not None else None
    sink = partial(write_all, dst) if editor is None else editor.write
    (inbuf,) = _buffers(1, chunk_segments * CIPHER_SEGMENT_SIZE)
    outbufs = _buffers(2, chunk_segments * SEGMENT_SIZE)
    plain = body = segments = 0
    with OrderedWriter(sink, background=background_write and editor is None) as writer:
        while not (editor is not None and editor.done) and (got := read_full(src, inbuf)):
            out = outbufs[segments // chunk_segments % 2]
            size, count = _decrypt_chunk(dec, inbuf[:got], out, segments)
            writer.submit(out[:size], last=got < len(inbuf))
            plain, body, segments = plain + size, body + got, segments + count
            if got < len(inbuf):
                break
    return BodyStats(plain if editor is None else editor.written, body, segments)
