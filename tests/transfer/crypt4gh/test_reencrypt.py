"""Header re-encryption, interoperable with ``crypt4gh.lib.reencrypt``."""

from __future__ import annotations

import io
from pathlib import Path

from crypt4gh import lib as ref_lib

from transfer import crypt4gh as c4

from .conftest import Party, new_party, ours_decrypt, ours_encrypt, random_bytes, ref_decrypt


def test_reference_reencrypt_read_by_ours(alice: Party, bob: Party) -> None:
    carol = new_party()
    data = random_bytes(100_000)
    src, out = io.BytesIO(ours_encrypt(data, alice, bob)), io.BytesIO()
    ref_lib.reencrypt([(0, bob.sk, None)], [(0, bob.sk, carol.pk)], src, out)
    assert ours_decrypt(out.getvalue(), carol, sender_pk=bob.pk) == data


def test_ours_reencrypt_read_by_reference(alice: Party, bob: Party) -> None:
    carol, dave = new_party(), new_party()
    data = random_bytes(100_000)
    blob = ours_encrypt(data, alice, bob)
    header, offset = c4.split_header(blob)
    new_header = c4.reencrypt_header(header, bob.sk, [carol.pk, dave.pk])
    assert new_header != header
    for reader in (carol, dave):
        assert ref_decrypt(new_header + blob[offset:], reader, sender_pk=bob.pk) == data
        assert ours_decrypt(new_header + blob[offset:], reader) == data


def test_reencrypt_trim_and_keep(alice: Party, bob: Party) -> None:
    carol, eve = new_party(), new_party()
    blob = ours_encrypt(b"payload", alice, bob, eve)
    header, offset = c4.split_header(blob)
    trimmed = c4.reencrypt_header(header, bob.sk, [carol.pk])
    kept = c4.reencrypt_header(header, bob.sk, [carol.pk], trim=False)
    assert len(c4.envelope.parse_packets(trimmed)) == 1
    assert len(c4.envelope.parse_packets(kept)) == 2
    assert ref_decrypt(kept + blob[offset:], eve) == b"payload"


def test_reencrypt_keeps_edit_list_and_writer(alice: Party, bob: Party) -> None:
    carol, node = new_party(), new_party()
    data = random_bytes(5000)
    header, _ = c4.split_header(ours_encrypt(data, alice, bob, edit_list=[10, 20]))
    new_header = c4.reencrypt_header(header, bob.sk, [carol.pk], writer_sk=node.sk)
    content = c4.parse_header(new_header, carol.sk, sender_pk=node.pk)
    assert content.edit_list == (10, 20)


def test_header_reencryptor_caches(alice: Party, bob: Party) -> None:
    carol = new_party()
    blob = ours_encrypt(b"abc", alice, bob)
    header, offset = c4.split_header(blob)
    reencryptor = c4.HeaderReencryptor(bob.sk)
    for _ in range(3):
        new_header = reencryptor.reencrypt(header, [carol.pk])
        assert ref_decrypt(new_header + blob[offset:], carol) == b"abc"


def test_reencryption_works_on_the_header_alone(alice: Party, bob: Party) -> None:
    # Its cost cannot depend on the file size: it never sees the body (timings: benchmarks/).
    carol = new_party()
    sk = c4.keys.private_key(bob.sk)
    sizes = set()
    for size in (1, 3 * 65536 + 17):
        data = random_bytes(size)
        blob = ours_encrypt(data, alice, bob)
        header, offset = c4.split_header(blob)
        new_header = c4.reencrypt_header(header, sk, [carol.pk])
        sizes.add(len(new_header))
        assert ref_decrypt(new_header + blob[offset:], carol) == data
    assert len(sizes) == 1  # same header size for a 1-byte and a 196 KiB file


def test_split_file_and_read_header(tmp_path: Path, alice: Party, bob: Party) -> None:
    path = tmp_path / "f.c4gh"
    blob = ours_encrypt(random_bytes(70_000), alice, bob)
    path.write_bytes(blob)
    header, offset = c4.split_file(path)
    assert (header, offset) == c4.split_header(blob)
    assert c4.split_header(blob[: offset + 1]) == (header, offset)
    stream = io.BytesIO(blob)
    assert c4.read_header(stream) == header
    assert stream.tell() == offset
