"""Segment-level API, streaming edge cases and helpers."""

from __future__ import annotations

import io
from typing import BinaryIO, cast

import pytest

from transfer import crypt4gh as c4
from transfer.crypt4gh.editlist import EditListWriter

from .conftest import Party, ours_decrypt, ours_encrypt, random_bytes, ref_decrypt

SEG = c4.SEGMENT_SIZE


def trickle(data: bytes) -> BinaryIO:
    return cast(BinaryIO, Trickle(data))


class Trickle(io.RawIOBase):
    """A source that returns at most 1000 bytes per read (like a pipe)."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        chunk = self._data.read(min(len(buffer), 1000))
        buffer[: len(chunk)] = chunk
        return len(chunk)


class ReadOnly:
    """A file-like object with only ``read`` (no ``readinto``)."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def read(self, size: int = -1) -> bytes:
        return self._data.read(size)


@pytest.mark.parametrize("size", [0, 1, 2 * SEG - 1, 2 * SEG, 2 * SEG + 1, 7 * SEG + 3])
@pytest.mark.parametrize("background", [True, False])
def test_chunk_boundaries(size: int, background: bool, alice: Party, bob: Party) -> None:
    data = random_bytes(size)
    key = c4.generate_data_key()
    body = io.BytesIO()
    stats = c4.encrypt_body(trickle(data), body, key, chunk_segments=2, background_write=background)
    assert stats == c4.BodyStats(size, c4.body_size(size), c4.segment_count(size))
    assert len(body.getvalue()) == c4.body_size(size)
    assert c4.plaintext_size(len(body.getvalue())) == size
    out = io.BytesIO()
    source = trickle(body.getvalue())
    c4.decrypt_body(source, out, [key], chunk_segments=2, background_write=background)
    assert out.getvalue() == data
    header = c4.make_header(key, alice.sk, [bob.pk])
    assert ref_decrypt(header + body.getvalue(), bob) == data


def test_source_without_readinto(alice: Party, bob: Party) -> None:
    data = random_bytes(SEG + 5)
    out = io.BytesIO()
    source = cast(BinaryIO, ReadOnly(data))
    c4.encrypt(source, out, writer_sk=alice.sk, recipient_pks=[bob.pk])
    assert ref_decrypt(out.getvalue(), bob) == data


def test_segment_api(alice: Party, bob: Party) -> None:
    data = random_bytes(2 * SEG + 10)
    blob = ours_encrypt(data, alice, bob)
    header, offset = c4.split_header(blob)
    content = c4.parse_header(header, bob.sk, sender_pk=alice.pk)
    decryptor = c4.SegmentDecryptor(content.data_keys)
    body = blob[offset:]
    step = c4.CIPHER_SEGMENT_SIZE
    pieces = [decryptor.decrypt(body[i : i + step], i // step) for i in range(0, len(body), step)]
    assert b"".join(pieces) == data
    assert c4.decrypt_segment(content.data_keys[0], body[:step]) == data[:SEG]
    segment = c4.encrypt_segment(content.data_keys[0], b"tail")
    assert len(segment) == 4 + 28
    assert decryptor.decrypt(segment) == b"tail"
    with pytest.raises(c4.SegmentAuthError):
        c4.decrypt_segment(c4.generate_data_key(), segment)
    with pytest.raises(c4.Crypt4GHError):
        c4.SegmentEncryptor(c4.generate_data_key()).encrypt(b"x" * (SEG + 1))


def test_resumed_body_is_valid(alice: Party, bob: Party) -> None:
    """A body written in two runs split at a segment boundary decrypts as one."""
    data = random_bytes(3 * SEG + 77)
    key = c4.generate_data_key()
    first, second = io.BytesIO(), io.BytesIO()
    c4.encrypt_body(io.BytesIO(data[: 2 * SEG]), first, key)
    c4.encrypt_body(io.BytesIO(data[2 * SEG :]), second, key)
    blob = c4.make_header(key, alice.sk, [bob.pk]) + first.getvalue() + second.getvalue()
    assert ours_decrypt(blob, bob) == data


def test_size_helpers() -> None:
    assert [c4.segment_count(n) for n in (0, 1, SEG, SEG + 1)] == [0, 1, 1, 2]
    assert c4.body_size(SEG) == c4.CIPHER_SEGMENT_SIZE
    assert c4.plaintext_size(c4.CIPHER_SEGMENT_SIZE + 29) == SEG + 1
    with pytest.raises(c4.Crypt4GHError):
        c4.plaintext_size(28)


@pytest.mark.parametrize(
    ("edits", "chunks", "expected"),
    [
        ([], [b"abc"], b""),
        ([1], [b"abc", b"def"], b"bcdef"),
        ([1, 2], [b"abc", b"def"], b"bc"),
        ([0, 0, 2, 2], [b"a", b"bcdef"], b"cd"),
        ([2, 3, 1], [b"abcdefg", b"hi"], b"cdeghi"),
    ],
)
def test_edit_list_writer(edits: list[int], chunks: list[bytes], expected: bytes) -> None:
    out = io.BytesIO()
    writer = EditListWriter(out, edits)
    for chunk in chunks:
        writer.write(memoryview(chunk))
    assert out.getvalue() == expected
    assert writer.written == len(expected)


def test_background_pipeline_errors_propagate() -> None:
    import threading

    data = random_bytes(9 * SEG)
    key = c4.generate_data_key()
    body = io.BytesIO()
    c4.encrypt_body(io.BytesIO(data), body, key, chunk_segments=2)
    tampered = bytearray(body.getvalue())
    tampered[5 * c4.CIPHER_SEGMENT_SIZE + 100] ^= 0x10
    with pytest.raises(c4.SegmentAuthError) as info:
        c4.decrypt_body(io.BytesIO(bytes(tampered)), io.BytesIO(), [key], chunk_segments=2)
    assert info.value.segment_index == 5

    class Full(io.BytesIO):
        def write(self, data: object) -> int:
            raise OSError(28, "No space left on device")

    with pytest.raises(OSError, match="No space"):
        c4.encrypt_body(io.BytesIO(data), Full(), key, chunk_segments=2)
    assert not [t for t in threading.enumerate() if t.name.startswith("crypt4gh-write")]
