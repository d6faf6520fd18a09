"""Whole-file Crypt4GH encryption and decryption of binary streams."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import BinaryIO

from ._io import write_all
from .body import BodyStats, decrypt_body, encrypt_body
from .envelope import read_header
from .header import make_header, parse_header
from .keys import PrivateKeyLike, PublicKeyLike
from .segments import generate_data_key

__all__ = ["decrypt", "encrypt"]


def encrypt(
    src: BinaryIO,
    dst: BinaryIO,
    *,
    writer_sk: PrivateKeyLike | None,
    recipient_pks: Iterable[PublicKeyLike],
    edit_list: Sequence[int] | None = None,
) -> BodyStats:
    """Write a Crypt4GH file to ``dst`` holding everything readable from ``src``.

    One random data key is used; the header gives it to every recipient.
    ``writer_sk=None`` uses an ephemeral writer key.
    """
    data_key = generate_data_key()
    header = make_header(data_key, writer_sk, recipient_pks, edit_list=edit_list)
    write_all(dst, memoryview(header))
    return encrypt_body(src, dst, data_key)


def decrypt(
    src: BinaryIO,
    dst: BinaryIO,
    *,
    reader_sk: PrivateKeyLike,
    sender_pk: PublicKeyLike | None = None,
) -> BodyStats:
    """Decrypt the Crypt4GH stream ``src`` into ``dst`` (edit list applied).

    Raises NoMatchingKeyError, HeaderError or SegmentAuthError; on error the
    partial output must be discarded.
    """
    content = parse_header(read_header(src), reader_sk, sender_pk=sender_pk)
    return decrypt_body(src, dst, content.data_keys, edit_list=content.edit_list)
