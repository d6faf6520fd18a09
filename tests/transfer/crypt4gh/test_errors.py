"""Failures are reported with the documented exception types."""

from __future__ import annotations

import io
import struct

import pytest

from transfer import crypt4gh as c4

from .conftest import Party, new_party, ours_decrypt, ours_encrypt, random_bytes, ref_encrypt


def test_wrong_key(alice: Party, bob: Party) -> None:
    blob = ours_encrypt(b"secret", alice, bob)
    with pytest.raises(c4.NoMatchingKeyError):
        ours_decrypt(blob, new_party())
    with pytest.raises(c4.NoMatchingKeyError):
        ours_decrypt(ref_encrypt(b"secret", alice, bob), new_party())


def test_wrong_sender(alice: Party, bob: Party) -> None:
    blob = ours_encrypt(b"secret", alice, bob)
    with pytest.raises(c4.NoMatchingKeyError):
        ours_decrypt(blob, bob, sender_pk=new_party().pk)


@pytest.mark.parametrize("position", [0, 11, 12, 5000, 65563, 65564 + 30, -1])
def test_flipped_bit_in_segment(position: int, alice: Party, bob: Party) -> None:
    blob = bytearray(ours_encrypt(random_bytes(2 * 65536 + 50), alice, bob))
    offset = c4.split_header(bytes(blob))[1]
    index = offset + position if position >= 0 else len(blob) + position
    blob[index] ^= 0x01
    with pytest.raises(c4.SegmentAuthError) as info:
        ours_decrypt(bytes(blob), bob)
    assert info.value.segment_index == (index - offset) // c4.CIPHER_SEGMENT_SIZE


def test_flipped_bit_in_header_packet(alice: Party, bob: Party) -> None:
    blob = bytearray(ours_encrypt(b"data", alice, bob))
    blob[c4.split_header(bytes(blob))[1] - 1] ^= 0x80  # last byte of the packet tag
    with pytest.raises(c4.NoMatchingKeyError):
        ours_decrypt(bytes(blob), bob)


def test_truncated_body(alice: Party, bob: Party) -> None:
    blob = ours_encrypt(random_bytes(65536 + 100), alice, bob)
    with pytest.raises(c4.SegmentAuthError):
        ours_decrypt(blob[:-1], bob)
    with pytest.raises(c4.SegmentAuthError, match="invalid size"):
        ours_decrypt(blob[:-100], bob)  # last segment shorter than nonce + tag


def test_malformed_headers(alice: Party, bob: Party) -> None:
    blob = ours_encrypt(b"data", alice, bob)
    with pytest.raises(c4.HeaderError, match="magic"):
        ours_decrypt(b"crypt4gX" + blob[8:], bob)
    with pytest.raises(c4.UnsupportedError, match="version 2"):
        ours_decrypt(blob[:8] + struct.pack("<I", 2) + blob[12:], bob)
    with pytest.raises(c4.HeaderError, match="truncated"):
        ours_decrypt(blob[:40], bob)
    with pytest.raises(c4.HeaderError, match="too short"):
        ours_decrypt(b"crypt4gh", bob)
    with pytest.raises(c4.HeaderError, match="invalid length"):
        ours_decrypt(blob[:16] + struct.pack("<I", 2) + blob[20:], bob)


def test_unknown_packet_type_rejected(alice: Party, bob: Party) -> None:
    writer = c4.header._Writer(alice.sk)
    packets = writer.encrypt_for(bob.pk, [struct.pack("<I", 7) + b"\x00" * 8])
    header = c4.envelope.serialize_packets(packets)
    with pytest.raises(c4.UnsupportedError, match="packet type 7"):
        c4.parse_header(header, bob.sk)


def test_two_edit_lists_rejected(alice: Party, bob: Party) -> None:
    edit = c4.packets.make_edit_list_packet([1, 2])
    data = c4.packets.make_data_packet(c4.generate_data_key())
    packets = c4.header._Writer(alice.sk).encrypt_for(bob.pk, [data, edit, edit])
    with pytest.raises(c4.HeaderError, match="more than one edit list"):
        c4.parse_header(c4.envelope.serialize_packets(packets), bob.sk)


def test_errors_share_one_base() -> None:
    for error in (
        c4.HeaderError,
        c4.NoMatchingKeyError,
        c4.SegmentAuthError,
        c4.KeyFileError,
        c4.UnsupportedError,
    ):
        assert issubclass(error, c4.Crypt4GHError)


def test_header_content_repr_hides_keys(alice: Party, bob: Party) -> None:
    header, _ = c4.split_header(ours_encrypt(b"x", alice, bob))
    content = c4.parse_header(header, bob.sk)
    assert content.data_keys[0].hex() not in repr(content)
    assert str(content.data_keys[0]) not in repr(content)


def test_bad_key_sizes() -> None:
    with pytest.raises(c4.Crypt4GHError):
        c4.encrypt(io.BytesIO(b""), io.BytesIO(), writer_sk=b"short", recipient_pks=[b"x" * 32])
    with pytest.raises(c4.Crypt4GHError):
        c4.make_header(b"k" * 31, None, [new_party().pk])
