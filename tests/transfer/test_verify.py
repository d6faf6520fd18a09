"""Fail-closed streaming verification: real Crypt4GH objects, every tamper case, resume.

Objects are encrypted to the node's storage key with ``transfer.crypt4gh`` and their header is
re-encrypted to the reader's key with ``reencrypt_header`` (as the transfer service will serve
them); the manifest entry is computed from the plaintext and the body. Every failure must carry
its code and leave no plaintext behind: no ``out_path``, no ``.partial`` file.
"""

from __future__ import annotations

import io
import os
import random
import stat
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from transfer import crypt4gh as c4
from transfer.crypt4gh.envelope import parse_packets, serialize_packets
from transfer.manifest import BodyDigest, ManifestObject, PlaintextDigest
from transfer.verify import (
    RECORD_SIZE,
    VERIFICATION_CODES,
    TransferVerificationError,
    VerifyingWriter,
    decrypt_verified,
    partial_body_path,
    recorded_offset,
    remove_stale_plaintext,
    resume_offset,
    resume_record_path,
)

SEG = c4.SEGMENT_SIZE
CSEG = c4.CIPHER_SEGMENT_SIZE
NODE_SK = c4.generate_private_key()
NODE_PK = c4.public_key_bytes(NODE_SK)
READER_SK = c4.generate_private_key()
READER_PK = c4.public_key_bytes(READER_SK)
OTHER_SK = c4.generate_private_key()
OTHER_PK = c4.public_key_bytes(OTHER_SK)


@dataclass(frozen=True)
class Published:
    data: bytes
    node_header: bytes  # addressed to the node's storage key, stored apart from the body
    body: bytes
    entry: ManifestObject

    @property
    def header(self) -> bytes:
        """The header as served to the reader."""
        return c4.reencrypt_header(self.node_header, NODE_SK, [READER_PK])

    @property
    def data_key(self) -> bytes:
        return c4.parse_header(self.node_header, NODE_SK).data_keys[0]


def publish(data: bytes, object_id: str = "scan-0001/image_high") -> Published:
    encrypted = io.BytesIO()
    c4.encrypt(io.BytesIO(data), encrypted, writer_sk=NODE_SK, recipient_pks=[NODE_PK])
    node_header, offset = c4.split_header(encrypted.getvalue())
    body = encrypted.getvalue()[offset:]
    plaintext, body_digest = PlaintextDigest(), BodyDigest()
    plaintext.update(data)
    body_digest.update(body)
    entry = ManifestObject.from_digests(
        id=object_id,
        item="scan-0001",
        asset="image_high",
        media_type="image/tiff",
        plaintext=plaintext,
        body=body_digest,
        writer_public_key=NODE_PK,
    )
    return Published(data, node_header, body, entry)


def pattern(size: int, seed: int = 0) -> bytes:
    """Non-repeating bytes: no two segments share a plaintext."""
    return random.Random(seed).randbytes(size)


# three full segments and a short last one
A = publish(pattern(3 * SEG + 1000, seed=1))
A_HEADER = A.header
SMALL = publish(pattern(SEG + 300, seed=2))  # for the bit-flip search
SMALL_HEADER = SMALL.header


def segments(body: bytes) -> list[bytes]:
    return [body[i : i + CSEG] for i in range(0, len(body), CSEG)]


def chunked(data: bytes, size: int) -> Iterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


def leftovers(folder: Path) -> list[str]:
    return sorted(os.listdir(folder))


def expect_failure(
    folder: Path,
    code: str,
    header: bytes,
    body: bytes,
    entry: ManifestObject = A.entry,
    chunk: int = 100_000,
) -> TransferVerificationError:
    out = folder / "scan.tif"
    with pytest.raises(TransferVerificationError) as caught:
        decrypt_verified(
            header, chunked(body, chunk), entry=entry, reader_sk=READER_SK, out_path=out
        )
    assert caught.value.code == code, caught.value.message
    assert leftovers(folder) == []  # no out_path, no .partial plaintext
    return caught.value


# --- the good path --------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [0, 1, SEG - 1, SEG, SEG + 1, 2 * SEG, 3 * SEG + 1000])
def test_clean_object_lands_at_out_path(tmp_path: Path, size: int) -> None:
    obj = publish(pattern(size, seed=size))
    out = tmp_path / "scan.tif"
    decrypt_verified(
        obj.header, chunked(obj.body, 65_000), entry=obj.entry, reader_sk=READER_SK, out_path=out
    )
    assert out.read_bytes() == obj.data
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert leftovers(tmp_path) == ["scan.tif"]


def test_reader_key_as_raw_bytes(tmp_path: Path) -> None:
    out = tmp_path / "scan.tif"
    decrypt_verified(
        A_HEADER, [A.body], entry=A.entry, reader_sk=READER_SK.private_bytes_raw(), out_path=out
    )
    assert out.read_bytes() == A.data


def test_existing_out_path_is_only_replaced_on_success(tmp_path: Path) -> None:
    out = tmp_path / "scan.tif"
    out.write_bytes(b"previous")
    with pytest.raises(TransferVerificationError):
        decrypt_verified(A_HEADER, [A.body[:-1]], entry=A.entry, reader_sk=READER_SK, out_path=out)
    assert out.read_bytes() == b"previous"
    decrypt_verified(A_HEADER, [A.body], entry=A.entry, reader_sk=READER_SK, out_path=out)
    assert out.read_bytes() == A.data


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(1, 3 * CSEG), min_size=1, max_size=12))
def test_any_chunk_boundaries(sizes: list[int]) -> None:
    chunks: list[bytes] = []
    start = 0
    while start < len(A.body):
        size = sizes[len(chunks) % len(sizes)]
        chunks.append(A.body[start : start + size])
        start += size
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "scan.tif"
        decrypt_verified(A_HEADER, chunks, entry=A.entry, reader_sk=READER_SK, out_path=out)
        assert out.read_bytes() == A.data
        assert leftovers(Path(folder)) == ["scan.tif"]


def test_memoryview_and_bytearray_chunks(tmp_path: Path) -> None:
    out = tmp_path / "scan.tif"
    chunks: list[bytes | bytearray | memoryview] = [
        memoryview(A.body)[: CSEG + 5],
        bytearray(A.body[CSEG + 5 :]),
    ]
    decrypt_verified(A_HEADER, chunks, entry=A.entry, reader_sk=READER_SK, out_path=out)
    assert out.read_bytes() == A.data


# --- body tampering -------------------------------------------------------------------------------


def test_dropped_last_segment(tmp_path: Path) -> None:
    body = b"".join(segments(A.body)[:-1])
    err = expect_failure(tmp_path, "truncated", A_HEADER, body)
    assert "segment boundary" in err.message


def test_dropped_middle_segment(tmp_path: Path) -> None:
    parts = segments(A.body)
    expect_failure(tmp_path, "truncated", A_HEADER, b"".join(parts[:1] + parts[2:]))


def test_dropped_last_full_segment(tmp_path: Path) -> None:
    obj = publish(pattern(3 * SEG, seed=9))  # every segment full: dropping one is seamless
    expect_failure(
        tmp_path, "truncated", obj.header, b"".join(segments(obj.body)[:-1]), entry=obj.entry
    )


@pytest.mark.parametrize(("i", "j"), [(0, 1), (1, 2), (0, 2)])
def test_reordered_segments(tmp_path: Path, i: int, j: int) -> None:
    parts = segments(A.body)
    parts[i], parts[j] = parts[j], parts[i]
    # v1 segment nonces are not bound to positions: each segment still authenticates …
    c4.SegmentDecryptor([A.data_key]).decrypt(parts[i])
    # … but the object's digests do not match
    err = expect_failure(tmp_path, "object-mismatch", A_HEADER, b"".join(parts))
    assert "segments reordered, replaced or altered" in err.message


def test_replaced_segment_from_the_same_object(tmp_path: Path) -> None:
    parts = segments(A.body)
    parts[2] = parts[0]
    expect_failure(tmp_path, "object-mismatch", A_HEADER, b"".join(parts))


def test_reordered_segments_with_equal_plaintext(tmp_path: Path) -> None:
    obj = publish(b"\x00" * (3 * SEG))  # identical segment plaintexts: only the body hash differs
    parts = segments(obj.body)
    parts[0], parts[1] = parts[1], parts[0]
    err = expect_failure(tmp_path, "body-mismatch", obj.header, b"".join(parts), entry=obj.entry)
    assert "segments reordered, replaced or re-encrypted" in err.message


def test_extra_segment(tmp_path: Path) -> None:
    extra = c4.SegmentEncryptor(A.data_key).encrypt(b"more")
    err = expect_failure(tmp_path, "too-long", A_HEADER, A.body + extra)
    assert "extra segment" in err.message
    expect_failure(tmp_path, "too-long", A_HEADER, A.body + b"\x00")


def test_empty_object_with_a_body(tmp_path: Path) -> None:
    empty = publish(b"")
    assert empty.body == b""
    expect_failure(tmp_path, "too-long", empty.header, b"x" * 29, entry=empty.entry)


@pytest.mark.parametrize("cut", [1, 27, 28, 29, 1000, CSEG + 1, len(A.body) - 1])
def test_short_read(tmp_path: Path, cut: int) -> None:
    expect_failure(tmp_path, "truncated", A_HEADER, A.body[:cut])


def test_no_body_at_all(tmp_path: Path) -> None:
    expect_failure(tmp_path, "truncated", A_HEADER, b"")


def test_swapped_object_of_the_same_size(tmp_path: Path) -> None:
    b = publish(pattern(len(A.data), seed=99))  # a valid object B served under A's entry
    err = expect_failure(tmp_path, "object-mismatch", b.header, b.body)
    assert "another object" in err.message


@pytest.mark.parametrize(
    ("size", "code"), [(len(A.data) + SEG, "too-long"), (len(A.data) - SEG, "truncated")]
)
def test_swapped_object_of_another_size(tmp_path: Path, size: int, code: str) -> None:
    b = publish(pattern(size, seed=98))
    expect_failure(tmp_path, code, b.header, b.body)


def test_body_of_another_object_under_this_header(tmp_path: Path) -> None:
    b = publish(pattern(len(A.data), seed=97))  # blob store mix-up: A's header, B's body
    err = expect_failure(tmp_path, "segment-tampered", A_HEADER, b.body)
    assert "segment 0" in err.message


def test_same_plaintext_reencrypted(tmp_path: Path) -> None:
    again = publish(A.data)  # fresh data key and nonces: not the body the manifest signs
    assert again.entry.plaintext_sha256 == A.entry.plaintext_sha256
    expect_failure(tmp_path, "body-mismatch", again.header, again.body)


# --- header tampering -----------------------------------------------------------------------------


def test_header_for_another_key(tmp_path: Path) -> None:
    header = c4.reencrypt_header(A.node_header, NODE_SK, [OTHER_PK])
    expect_failure(tmp_path, "header-not-for-this-key", header, A.body)
    # the node's own header is not for the reader either
    expect_failure(tmp_path, "header-not-for-this-key", A.node_header, A.body)


def test_two_data_key_packets(tmp_path: Path) -> None:
    first = c4.make_header(A.data_key, NODE_SK, [READER_PK])
    second = c4.make_header(c4.generate_data_key(), NODE_SK, [READER_PK])
    for packets in (
        parse_packets(first) + parse_packets(second),
        parse_packets(second) + parse_packets(first),
    ):
        expect_failure(tmp_path, "extra-header-packet", serialize_packets(packets), A.body)


def test_appended_packet_for_another_key(tmp_path: Path) -> None:
    header = c4.reencrypt_header(A.node_header, NODE_SK, [READER_PK, OTHER_PK])
    err = expect_failure(tmp_path, "extra-header-packet", header, A.body)
    assert "2 packets" in err.message
    # re-encrypting without trimming keeps packets the node cannot open
    stored = c4.make_header(A.data_key, NODE_SK, [NODE_PK, OTHER_PK])
    untrimmed = c4.reencrypt_header(stored, NODE_SK, [READER_PK], trim=False)
    assert len(parse_packets(untrimmed)) == 2
    expect_failure(tmp_path, "extra-header-packet", untrimmed, A.body)


def test_edit_list(tmp_path: Path) -> None:
    header = c4.make_header(A.data_key, NODE_SK, [READER_PK], edit_list=[0, 10])
    expect_failure(tmp_path, "edit-list-not-allowed", header, A.body)
    edit_only = serialize_packets(parse_packets(header)[1:])
    expect_failure(tmp_path, "no-data-key", edit_only, A.body)


def test_header_from_another_writer(tmp_path: Path) -> None:
    header = c4.make_header(A.data_key, OTHER_SK, [READER_PK])  # the right key, the wrong writer
    expect_failure(tmp_path, "wrong-writer", header, A.body)
    ephemeral = c4.make_header(A.data_key, None, [READER_PK])
    expect_failure(tmp_path, "wrong-writer", ephemeral, A.body)


@pytest.mark.parametrize("header", [b"", b"crypt4gh", b"not a header at all", A_HEADER + b"\0"])
def test_malformed_header(tmp_path: Path, header: bytes) -> None:
    expect_failure(tmp_path, "header-malformed", header, A.body)


def test_header_is_checked_before_any_file_exists(tmp_path: Path) -> None:
    with pytest.raises(TransferVerificationError) as caught:
        VerifyingWriter(b"junk", entry=A.entry, reader_sk=READER_SK, out_path=tmp_path / "x")
    assert caught.value.code == "header-malformed"
    assert leftovers(tmp_path) == []


# --- bit flips ------------------------------------------------------------------------------------

HEADER_LEN = len(SMALL_HEADER)  # preamble 16 + one packet: length 4, method 4, writer 32,
PACKET_AT = 16  # nonce 12, encrypted data packet 40, tag 16
BODY_SPOTS = {
    "segment 0 nonce": 3,
    "segment 0 ciphertext": 12 + 5000,
    "segment 0 tag": CSEG - 1,
    "segment 1 nonce": CSEG,
    "segment 1 ciphertext": CSEG + 12,
    "segment 1 tag": len(SMALL.body) - 16,
    "last byte": len(SMALL.body) - 1,
}
HEADER_SPOTS = {
    "magic": (0, "header-malformed"),
    "version": (8, "header-malformed"),
    "packet count": (12, "header-malformed"),
    "packet length": (PACKET_AT, "header-malformed"),
    "packet method": (PACKET_AT + 4, "header-not-for-this-key"),
    "writer key": (PACKET_AT + 8, "header-not-for-this-key"),
    "packet nonce": (PACKET_AT + 40, "header-not-for-this-key"),
    "packet ciphertext": (PACKET_AT + 52, "header-not-for-this-key"),
    "packet tag": (HEADER_LEN - 1, "header-not-for-this-key"),
}


def flip(data: bytes, bit: int) -> bytes:
    out = bytearray(data)
    out[bit // 8] ^= 1 << (bit % 8)
    return bytes(out)


@pytest.mark.parametrize("spot", sorted(HEADER_SPOTS))
def test_bit_flip_in_header(tmp_path: Path, spot: str) -> None:
    at, code = HEADER_SPOTS[spot]
    header = flip(SMALL_HEADER, at * 8)
    expect_failure(tmp_path, code, header, SMALL.body, entry=SMALL.entry)


@pytest.mark.parametrize("spot", sorted(BODY_SPOTS))
def test_bit_flip_in_body(tmp_path: Path, spot: str) -> None:
    body = flip(SMALL.body, BODY_SPOTS[spot] * 8 + 5)
    expect_failure(tmp_path, "segment-tampered", SMALL_HEADER, body, entry=SMALL.entry)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(st.integers(0, 8 * (HEADER_LEN + len(SMALL.body)) - 1), st.integers(1, 3 * CSEG))
def test_any_bit_flip_is_caught(bit: int, chunk: int) -> None:
    whole = flip(SMALL_HEADER + SMALL.body, bit)
    header, body = whole[:HEADER_LEN], whole[HEADER_LEN:]
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "scan.tif"
        with pytest.raises(TransferVerificationError) as caught:
            decrypt_verified(
                header, chunked(body, chunk), entry=SMALL.entry, reader_sk=READER_SK, out_path=out
            )
        assert caught.value.code in VERIFICATION_CODES
        if bit >= 8 * HEADER_LEN:
            assert caught.value.code == "segment-tampered"
        assert leftovers(Path(folder)) == []


def test_messages_carry_no_key_material(tmp_path: Path) -> None:
    secrets = [
        A.data_key.hex(),
        READER_SK.private_bytes_raw().hex(),
        NODE_SK.private_bytes_raw().hex(),
    ]
    cases = [
        (A_HEADER, flip(A.body, 800)),
        (A_HEADER, A.body[:-5]),
        (c4.make_header(A.data_key, OTHER_SK, [READER_PK]), A.body),
    ]
    for header, body in cases:
        with pytest.raises(TransferVerificationError) as caught:
            decrypt_verified(
                header, [body], entry=A.entry, reader_sk=READER_SK, out_path=tmp_path / "o"
            )
        text = f"{caught.value!s} {caught.value!r}"
        assert not any(s in text for s in secrets)
        assert not any(s[:16] in text for s in secrets)


def test_source_errors_leave_nothing(tmp_path: Path) -> None:
    def broken() -> Iterator[bytes]:
        yield A.body[: CSEG + 10]
        raise ConnectionError("network gone")

    out = tmp_path / "scan.tif"
    with pytest.raises(ConnectionError):
        decrypt_verified(A_HEADER, broken(), entry=A.entry, reader_sk=READER_SK, out_path=out)
    assert leftovers(tmp_path) == []


# --- the writer, resume ---------------------------------------------------------------------------


def writer(tmp_path: Path, header: bytes = A_HEADER) -> VerifyingWriter:
    out = tmp_path / "scan.tif"
    return VerifyingWriter(
        header, entry=A.entry, reader_sk=READER_SK, out_path=out, body_path=partial_body_path(out)
    )


def test_partial_plaintext_is_private_and_named(tmp_path: Path) -> None:
    w = writer(tmp_path)
    w.feed(A.body[:CSEG])
    (partial,) = [n for n in leftovers(tmp_path) if ".partial-" in n]
    assert partial.startswith(".scan.tif.partial-")
    assert stat.S_IMODE((tmp_path / partial).stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / ".scan.tif.c4gh.partial").stat().st_mode) == 0o600
    assert w.verified_segments == 1 and w.received == CSEG
    w.abort()
    assert leftovers(tmp_path) == [".scan.tif.c4gh.partial"]
    assert (tmp_path / ".scan.tif.c4gh.partial").read_bytes() == A.body[:CSEG]


@pytest.mark.parametrize("stop", [0, 1, CSEG - 1, CSEG, CSEG + 5, 2 * CSEG + 77, len(A.body) - 1])
def test_resume_gives_identical_plaintext(tmp_path: Path, stop: int) -> None:
    first = writer(tmp_path)
    for chunk in chunked(A.body[:stop], 40_000):
        first.feed(chunk)
    first.abort()  # interrupted
    kept = partial_body_path(tmp_path / "scan.tif")
    whole = stop - stop % CSEG
    assert resume_offset(kept) == whole
    assert not any(".partial-" in n for n in leftovers(tmp_path))

    second = writer(tmp_path)
    offset = second.resume()
    assert offset == whole
    assert second.verified_segments == whole // CSEG
    for chunk in chunked(A.body[offset:], 50_000):
        second.feed(chunk)
    second.finish()
    assert (tmp_path / "scan.tif").read_bytes() == A.data
    assert leftovers(tmp_path) == ["scan.tif"]


def test_resume_after_a_crash(tmp_path: Path) -> None:
    out = tmp_path / "scan.tif"
    kept = partial_body_path(out)
    kept.write_bytes(A.body[: 2 * CSEG + 1234])  # raw bytes, not whole segments
    stale = tmp_path / ".scan.tif.partial-crashed"
    stale.write_bytes(A.data[:100])  # plaintext a killed process left behind
    w = VerifyingWriter(A_HEADER, entry=A.entry, reader_sk=READER_SK, out_path=out)
    assert w.resume(kept) == 2 * CSEG
    assert not stale.exists()
    assert kept.stat().st_size == 2 * CSEG  # the tail was cut
    w.feed(A.body[2 * CSEG :])
    w.finish(keep_body=True)
    assert out.read_bytes() == A.data
    assert kept.read_bytes() == A.body  # --keep-encrypted: header + this = a Crypt4GH file
    assert c4.decrypt_body(io.BytesIO(kept.read_bytes()), io.BytesIO(), [A.data_key])


def test_resume_without_kept_body_starts_at_zero(tmp_path: Path) -> None:
    w = writer(tmp_path)
    assert w.resume() == 0
    for chunk in chunked(A.body, 70_000):
        w.feed(chunk)
    w.finish()
    assert leftovers(tmp_path) == ["scan.tif"]


def test_resume_with_a_tampered_kept_body(tmp_path: Path) -> None:
    kept = partial_body_path(tmp_path / "scan.tif")
    kept.write_bytes(flip(A.body[: 2 * CSEG], 8 * (CSEG + 100)))
    w = writer(tmp_path)
    with pytest.raises(TransferVerificationError) as caught:
        w.resume()
    assert caught.value.code == "segment-tampered"
    assert leftovers(tmp_path) == []  # the poisoned kept body is gone too


def test_resume_with_kept_segments_in_the_wrong_order(tmp_path: Path) -> None:
    parts = segments(A.body)
    kept = partial_body_path(tmp_path / "scan.tif")
    kept.write_bytes(parts[1] + parts[0])
    w = writer(tmp_path)
    assert w.resume() == 2 * CSEG  # each segment authenticates …
    w.feed(b"".join(parts[2:]))
    with pytest.raises(TransferVerificationError) as caught:
        w.finish()  # … the digests do not
    assert caught.value.code == "object-mismatch"
    assert leftovers(tmp_path) == []


def test_resume_with_a_kept_body_too_long(tmp_path: Path) -> None:
    kept = partial_body_path(tmp_path / "scan.tif")
    kept.write_bytes(A.body + A.body[:CSEG] * 2)
    with pytest.raises(TransferVerificationError) as caught:
        writer(tmp_path).resume()
    assert caught.value.code == "too-long"
    assert leftovers(tmp_path) == []


def test_finish_on_a_short_body_keeps_verified_ciphertext(tmp_path: Path) -> None:
    w = writer(tmp_path)
    w.feed(A.body[: CSEG + 10])
    with pytest.raises(TransferVerificationError) as caught:
        w.finish()
    assert caught.value.code == "truncated"
    assert "mid-segment" in caught.value.message
    assert leftovers(tmp_path) == [".scan.tif.c4gh.partial"]  # resumable; no plaintext
    again = writer(tmp_path)
    assert again.resume() == CSEG


@pytest.mark.parametrize("damage", ["tamper", "too-long"])
def test_verification_failure_removes_the_kept_body(tmp_path: Path, damage: str) -> None:
    w = writer(tmp_path)
    w.feed(A.body[:CSEG])
    bad = flip(A.body[CSEG:], 99) if damage == "tamper" else A.body[CSEG:] + b"x"
    with pytest.raises(TransferVerificationError):
        w.feed(bad)
    assert leftovers(tmp_path) == []
    assert w.closed
    with pytest.raises(RuntimeError):
        w.feed(b"more")


def test_writer_state_rules(tmp_path: Path) -> None:
    w = writer(tmp_path)
    w.feed(A.body[:10])
    with pytest.raises(RuntimeError):
        w.resume()
    with pytest.raises(ValueError):
        w.resume(tmp_path / "elsewhere")
    w.abort()
    w.abort()  # idempotent
    with pytest.raises(RuntimeError):
        w.finish()
    no_body = VerifyingWriter(A_HEADER, entry=A.entry, reader_sk=READER_SK, out_path=tmp_path / "o")
    with pytest.raises(ValueError):
        no_body.resume()
    no_body.abort()


def test_context_manager_aborts(tmp_path: Path) -> None:
    def interrupted() -> None:
        with writer(tmp_path) as w:
            w.feed(A.body[:CSEG])
            raise KeyError("boom")

    with pytest.raises(KeyError):
        interrupted()
    assert leftovers(tmp_path) == [".scan.tif.c4gh.partial"]
    with writer(tmp_path) as w:
        w.resume()
        w.feed(A.body[CSEG:])
        w.finish()
    assert leftovers(tmp_path) == ["scan.tif"]


def test_empty_object_with_keep_body(tmp_path: Path) -> None:
    empty = publish(b"")
    out = tmp_path / "empty.json"
    w = VerifyingWriter(
        empty.header,
        entry=empty.entry,
        reader_sk=READER_SK,
        out_path=out,
        body_path=partial_body_path(out),
    )
    w.finish(keep_body=True)
    assert out.read_bytes() == b""
    assert partial_body_path(out).read_bytes() == b""


def test_remove_stale_plaintext(tmp_path: Path) -> None:
    out = tmp_path / "scan.tif"
    for name in (".scan.tif.partial-a", ".scan.tif.partial-b", ".other.partial-c", "scan.tif"):
        (tmp_path / name).write_bytes(b"x")
    assert remove_stale_plaintext(out, keep=tmp_path / ".scan.tif.partial-b") == 1
    assert leftovers(tmp_path) == [".other.partial-c", ".scan.tif.partial-b", "scan.tif"]
    assert remove_stale_plaintext(tmp_path / "missing" / "x") == 0
    assert resume_offset(tmp_path / "nothing") == 0


def test_remove_stale_plaintext_keeps_its_file_under_a_relative_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``clearance pull --out ./data``: the output path is relative, the temporary absolute."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".scan.tif.partial-a").write_bytes(b"x")
    (tmp_path / ".scan.tif.partial-b").write_bytes(b"x")
    assert remove_stale_plaintext(Path("scan.tif"), keep=tmp_path / ".scan.tif.partial-b") == 1
    assert leftovers(tmp_path) == [".scan.tif.partial-b"]


# --- record mode: resume from an authenticated record of the verified segments (issue 14) --------


def recording(
    tmp_path: Path, header: bytes = A_HEADER, entry: ManifestObject = A.entry
) -> VerifyingWriter:
    out = tmp_path / "scan.tif"
    return VerifyingWriter(
        header, entry=entry, reader_sk=READER_SK, out_path=out, record_path=resume_record_path(out)
    )


RECORD, PREFIX = ".scan.tif.resume", ".scan.tif.partial"


@pytest.mark.parametrize("stop", [0, 1, CSEG - 1, CSEG, CSEG + 5, 2 * CSEG + 77, len(A.body) - 1])
def test_record_resume_gives_identical_plaintext(tmp_path: Path, stop: int) -> None:
    first = recording(tmp_path)
    assert first.resume() == 0
    for chunk in chunked(A.body[:stop], 40_000):
        first.feed(chunk)
    first.abort()  # interrupted
    whole = stop // CSEG
    if whole:  # the plaintext of the verified segments and their record, nothing else
        assert leftovers(tmp_path) == [PREFIX, RECORD]
        assert (tmp_path / PREFIX).read_bytes() == A.data[: whole * SEG]
        assert (tmp_path / RECORD).stat().st_size == RECORD_SIZE
        for name in (PREFIX, RECORD):
            assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o600
    else:
        assert leftovers(tmp_path) == []
    out = tmp_path / "scan.tif"
    assert recorded_offset(out, entry=A.entry, reader_sk=READER_SK) == whole * CSEG

    second = recording(tmp_path)
    offset = second.resume()
    assert offset == whole * CSEG and second.distrusted is None
    assert second.verified_segments == whole
    for chunk in chunked(A.body[offset:], 50_000):
        second.feed(chunk)
    second.finish()
    assert out.read_bytes() == A.data
    assert leftovers(tmp_path) == ["scan.tif"]


def test_record_resume_of_a_complete_body_fetches_nothing(tmp_path: Path) -> None:
    first = recording(tmp_path)
    first.feed(A.body)
    first.abort()  # killed before the rename
    second = recording(tmp_path)
    assert second.resume() == len(A.body)
    second.finish()
    assert (tmp_path / "scan.tif").read_bytes() == A.data
    assert leftovers(tmp_path) == ["scan.tif"]


def test_record_resume_cuts_an_unrecorded_tail(tmp_path: Path) -> None:
    """A kill -9 between writing a segment's plaintext and its record: the tail is cut."""
    first = recording(tmp_path)
    first.feed(A.body[: 2 * CSEG])
    first.abort()
    with (tmp_path / PREFIX).open("ab") as prefix:
        prefix.write(b"not recorded" * 1000)
    second = recording(tmp_path)
    assert second.resume() == 2 * CSEG
    assert (tmp_path / PREFIX).stat().st_size == 2 * SEG
    second.feed(A.body[2 * CSEG :])
    second.finish()
    assert (tmp_path / "scan.tif").read_bytes() == A.data


def _damaged(tmp_path: Path, damage: str) -> None:
    first = recording(tmp_path)
    first.feed(A.body[: 2 * CSEG + 10])
    first.abort()
    record, prefix = tmp_path / RECORD, tmp_path / PREFIX
    data = record.read_bytes()
    if damage == "record-bit-flip":
        record.write_bytes(flip(data, 8 * 15))  # the segment count: 2 -> 3
    elif damage == "record-mac-flip":
        record.write_bytes(flip(data, 8 * (RECORD_SIZE - 1)))
    elif damage == "record-truncated":
        record.write_bytes(data[:-1])
    elif damage == "record-empty":
        record.write_bytes(b"")
    elif damage == "record-too-long":
        record.write_bytes(data + b"\0")
    elif damage == "record-of-another-object":
        other = publish(A.data, object_id="scan-0002/image_high")  # same plaintext, other object
        forged = VerifyingWriter(
            other.header,
            entry=other.entry,
            reader_sk=READER_SK,
            out_path=tmp_path / "x",
            record_path=tmp_path / "x.resume",
        )
        forged.feed(other.body[: 3 * CSEG])
        forged.abort()
        record.write_bytes((tmp_path / "x.resume").read_bytes())
        (tmp_path / "x.resume").unlink()
        (tmp_path / ".x.partial").unlink()
    elif damage == "record-under-another-key":
        forged = VerifyingWriter(
            A.header, entry=A.entry, reader_sk=READER_SK, out_path=tmp_path / "x",
            record_path=tmp_path / "x.resume",
        )  # fmt: skip
        forged._record_key = b"k" * 32
        forged.feed(A.body[: 3 * CSEG])
        forged.abort()
        record.write_bytes((tmp_path / "x.resume").read_bytes())
        prefix.write_bytes((tmp_path / ".x.partial").read_bytes())
        (tmp_path / "x.resume").unlink()
        (tmp_path / ".x.partial").unlink()
    elif damage == "prefix-altered":
        prefix.write_bytes(flip(prefix.read_bytes(), 8 * (SEG + 3)))
    elif damage == "prefix-cut":
        prefix.write_bytes(prefix.read_bytes()[: SEG + 1])
    elif damage == "prefix-missing":
        prefix.unlink()
    else:  # pragma: no cover
        raise AssertionError(damage)


RECORD_DAMAGES = ["record-bit-flip", "record-mac-flip", "record-truncated", "record-empty",
                  "record-too-long", "record-of-another-object", "record-under-another-key",
                  "prefix-altered", "prefix-cut", "prefix-missing"]  # fmt: skip


@pytest.mark.parametrize("damage", RECORD_DAMAGES)
def test_a_damaged_resume_record_is_distrusted(tmp_path: Path, damage: str) -> None:
    """Tampered, truncated, foreign records, or a plaintext prefix that disagrees with its
    record: never believed; the download starts again at 0 and ends with the right plaintext."""
    _damaged(tmp_path, damage)
    out = tmp_path / "scan.tif"
    assert recorded_offset(out, entry=A.entry, reader_sk=READER_SK) == 0
    w = recording(tmp_path)
    assert w.resume() == 0
    assert w.distrusted is not None and w.verified_segments == 0
    assert RECORD not in leftovers(tmp_path)  # dropped at once
    assert (tmp_path / PREFIX).stat().st_size == 0
    for chunk in chunked(A.body, 30_000):
        w.feed(chunk)
    w.finish()
    assert out.read_bytes() == A.data
    assert leftovers(tmp_path) == ["scan.tif"]


def test_record_mode_failures_leave_nothing(tmp_path: Path) -> None:
    w = recording(tmp_path)
    w.feed(A.body[:CSEG])
    with pytest.raises(TransferVerificationError) as caught:
        w.feed(flip(A.body[CSEG:], 99))
    assert caught.value.code == "segment-tampered"
    assert leftovers(tmp_path) == []  # neither the verified prefix nor its record

    w = recording(tmp_path)
    parts = segments(A.body)
    w.feed(parts[1] + parts[0] + b"".join(parts[2:]))
    with pytest.raises(TransferVerificationError) as caught:
        w.finish()
    assert caught.value.code == "object-mismatch"
    assert leftovers(tmp_path) == []


def test_record_mode_keeps_a_short_body_for_resume(tmp_path: Path) -> None:
    w = recording(tmp_path)
    w.feed(A.body[: CSEG + 10])
    with pytest.raises(TransferVerificationError) as caught:
        w.finish()
    assert caught.value.code == "truncated"
    assert leftovers(tmp_path) == [PREFIX, RECORD]  # resumable
    assert recording(tmp_path).resume() == CSEG


def test_record_mode_abort_before_anything_leaves_things_as_found(tmp_path: Path) -> None:
    first = recording(tmp_path)
    first.feed(A.body[: 2 * CSEG])
    first.abort()
    before = {n: (tmp_path / n).read_bytes() for n in leftovers(tmp_path)}
    recording(tmp_path).abort()  # neither resumed nor fed
    assert {n: (tmp_path / n).read_bytes() for n in leftovers(tmp_path)} == before
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    recording(fresh).abort()
    assert leftovers(fresh) == []


def test_record_mode_hashes_the_plaintext_only(tmp_path: Path) -> None:
    """Hash once: the plaintext SHA-256 (with the manifest's sizes and every segment's AEAD
    tag) is what the researcher needs; the ciphertext digest is checked only where the
    ciphertext is kept (``body_path``, ``--keep-encrypted``)."""
    again = publish(A.data)  # the same plaintext encrypted again: another body
    w = recording(tmp_path, again.header, A.entry)  # A's body SHA-256, not again's
    w.feed(again.body)
    w.finish()
    assert (tmp_path / "scan.tif").read_bytes() == A.data
    (tmp_path / "kept").mkdir()
    expect_failure(tmp_path / "kept", "body-mismatch", again.header, again.body)


def test_record_and_body_path_exclude_each_other(tmp_path: Path) -> None:
    out = tmp_path / "scan.tif"
    with pytest.raises(ValueError):
        VerifyingWriter(
            A_HEADER, entry=A.entry, reader_sk=READER_SK, out_path=out,
            body_path=partial_body_path(out), record_path=resume_record_path(out),
        )  # fmt: skip
    w = recording(tmp_path)
    with pytest.raises(ValueError):
        w.resume(partial_body_path(out))
    w.abort()


def test_finish_can_leave_the_folder_sync_to_the_caller(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The file is always fsynced before its rename; the folder once per batch, by the caller."""
    import transfer.verify as verify_module

    synced: list[Path] = []
    monkeypatch.setattr(verify_module, "_fsync_dir", synced.append)
    w = recording(tmp_path)
    w.feed(A.body)
    w.finish(sync_folder=False)
    assert (tmp_path / "scan.tif").read_bytes() == A.data and synced == []
    verify_module.sync_folders([tmp_path, tmp_path / ".", tmp_path])
    assert synced == [tmp_path]


def test_record_mode_never_follows_a_planted_link(tmp_path: Path) -> None:
    """The plaintext prefix has a fixed name: a link planted there is refused, not written
    through (the target stays as it was)."""
    target = tmp_path / "elsewhere"
    target.write_bytes(b"precious")
    (tmp_path / PREFIX).symlink_to(target)
    with pytest.raises(OSError):
        recording(tmp_path)
    assert target.read_bytes() == b"precious"
