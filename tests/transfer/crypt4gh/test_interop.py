"""Byte compatibility with the reference ``crypt4gh`` package, both directions."""

from __future__ import annotations

import io

import pytest
from crypt4gh import lib as ref_lib
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from transfer import crypt4gh as c4

from .conftest import (
    Party,
    new_party,
    ours_decrypt,
    ours_encrypt,
    random_bytes,
    ref_decrypt,
    ref_encrypt,
)

SIZES = [0, 1, 65535, 65536, 65537, 3 * 65536 + 17]


@pytest.mark.parametrize("size", SIZES)
def test_ours_read_by_reference(size: int, alice: Party, bob: Party) -> None:
    data = random_bytes(size)
    blob = ours_encrypt(data, alice, bob)
    assert len(blob) - c4.split_header(blob)[1] == c4.body_size(size)
    assert ref_decrypt(blob, bob, sender_pk=alice.pk) == data


@pytest.mark.parametrize("size", SIZES)
def test_reference_read_by_ours(size: int, alice: Party, bob: Party) -> None:
    data = random_bytes(size)
    assert ours_decrypt(ref_encrypt(data, alice, bob), bob, sender_pk=alice.pk) == data


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(size=st.integers(min_value=0, max_value=300_000))
def test_random_sizes_both_ways(size: int) -> None:
    writer, reader = new_party(), new_party()
    data = random_bytes(size)
    assert ref_decrypt(ours_encrypt(data, writer, reader), reader) == data
    assert ours_decrypt(ref_encrypt(data, writer, reader), reader) == data


def test_multiple_recipients_both_ways(alice: Party) -> None:
    readers = [new_party() for _ in range(3)]
    data = random_bytes(70_000)
    ours = ours_encrypt(data, alice, *readers)
    theirs = ref_encrypt(data, alice, *readers)
    for reader in readers:
        assert ref_decrypt(ours, reader) == data
        assert ours_decrypt(theirs, reader) == data
    content = c4.parse_header(c4.split_header(ours)[0], readers[1].sk)
    assert len(content.data_keys) == 1
    assert content.writer_pks == (alice.pk,)


def test_duplicate_recipients_get_one_packet_set(alice: Party, bob: Party) -> None:
    blob = ours_encrypt(b"x", alice, bob, bob)
    assert int.from_bytes(blob[12:16], "little") == 1


def test_ephemeral_writer(bob: Party) -> None:
    out = io.BytesIO()
    c4.encrypt(io.BytesIO(b"hello"), out, writer_sk=None, recipient_pks=[bob.pk])
    assert ref_decrypt(out.getvalue(), bob) == b"hello"


def _apply_edits(data: bytes, edits: list[int]) -> bytes:
    out, pos, keep = [], 0, False
    for length in edits:
        if keep:
            out.append(data[pos : pos + length])
        pos, keep = pos + length, not keep
    if len(edits) % 2:
        out.append(data[pos:])
    return b"".join(out)


@pytest.mark.parametrize(
    "edits",
    [[10], [10, 20], [100, 70_000, 5, 1000], [0, 65_536, 65_536], [3, 1, 65_530, 2, 7]],
)
def test_edit_list_written_by_ours(edits: list[int], alice: Party, bob: Party) -> None:
    data = random_bytes(3 * 65536 + 100)
    blob = ours_encrypt(data, alice, bob, edit_list=edits)
    expected = _apply_edits(data, edits)
    assert ours_decrypt(blob, bob) == expected
    assert ref_decrypt(blob, bob) == expected


@pytest.mark.parametrize(("offset", "span"), [(5, 100), (70_000, 65_536), (131_072, None)])
def test_reference_rearranged_edit_list(
    offset: int, span: int | None, alice: Party, bob: Party
) -> None:
    data = random_bytes(4 * 65536 + 9)
    rearranged = io.BytesIO()
    keys = [(0, bob.sk, bob.pk)]
    ref_lib.rearrange(keys, io.BytesIO(ref_encrypt(data, alice, bob)), rearranged, offset, span)
    expected = data[offset : None if span is None else offset + span]
    assert ours_decrypt(rearranged.getvalue(), bob) == expected
    assert ref_decrypt(rearranged.getvalue(), bob) == expected


def test_multiple_data_keys(alice: Party, bob: Party) -> None:
    """Two bodies with different data keys concatenated under one header."""
    first, second = random_bytes(65536), random_bytes(1000)
    key1, key2 = c4.generate_data_key(), c4.generate_data_key()
    packets = c4.envelope.parse_packets(c4.make_header(key1, alice.sk, [bob.pk]))
    packets += c4.envelope.parse_packets(c4.make_header(key2, alice.sk, [bob.pk]))
    body = c4.encrypt_segment(key1, first) + c4.encrypt_segment(key2, second)
    blob = c4.envelope.serialize_packets(packets) + body
    assert ours_decrypt(blob, bob) == first + second
    assert ref_decrypt(blob, bob) == first + second
