"""Crypt4GH v1 (GA4GH) writer and reader built only on the ``cryptography`` package.

Byte-compatible with the reference ``crypt4gh`` implementation:

* whole streams: :func:`encrypt`, :func:`decrypt`;
* headers: :func:`make_header`, :func:`parse_header`, :func:`reencrypt_header`,
  and :func:`read_header` / :func:`split_header` / :func:`split_file` to separate
  header bytes from the body;
* body and segments: :func:`encrypt_body`, :func:`decrypt_body`,
  :class:`SegmentEncryptor`, :class:`SegmentDecryptor`, size helpers;
* key files: :func:`load_private_key`, :func:`load_public_key`,
  :func:`write_private_key`, :func:`write_public_key`, :func:`generate_keypair`.

Errors derive from :class:`Crypt4GHError` (see :mod:`.errors`).
"""

from __future__ import annotations

from .body import BodyStats, decrypt_body, encrypt_body
from .constants import CIPHER_SEGMENT_SIZE, SEGMENT_SIZE
from .envelope import read_header, split_file, split_header
from .errors import (
    Crypt4GHError,
    HeaderError,
    KeyFileError,
    NoMatchingKeyError,
    SegmentAuthError,
    UnsupportedError,
)
from .header import HeaderReencryptor, make_header, parse_header, reencrypt_header
from .keyfile import (
    decode_private_key,
    decode_public_key,
    encode_private_key,
    encode_public_key,
    generate_keypair,
    load_private_key,
    load_public_key,
    write_private_key,
    write_public_key,
)
from .keys import PrivateKeyLike, PublicKeyLike, generate_private_key, public_key_bytes
from .packets import HeaderContent
from .segments import (
    SegmentDecryptor,
    SegmentEncryptor,
    body_size,
    decrypt_segment,
    encrypt_segment,
    generate_data_key,
    plaintext_size,
    segment_count,
)
from .stream import decrypt, encrypt

__all__ = [
    "CIPHER_SEGMENT_SIZE",
    "SEGMENT_SIZE",
    "BodyStats",
    "Crypt4GHError",
    "HeaderContent",
    "HeaderError",
    "HeaderReencryptor",
    "KeyFileError",
    "NoMatchingKeyError",
    "PrivateKeyLike",
    "PublicKeyLike",
    "SegmentAuthError",
    "SegmentDecryptor",
    "SegmentEncryptor",
    "UnsupportedError",
    "body_size",
    "decode_private_key",
    "decode_public_key",
    "decrypt",
    "decrypt_body",
    "decrypt_segment",
    "encode_private_key",
    "encode_public_key",
    "encrypt",
    "encrypt_body",
    "encrypt_segment",
    "generate_data_key",
    "generate_keypair",
    "generate_private_key",
    "load_private_key",
    "load_public_key",
    "make_header",
    "parse_header",
    "plaintext_size",
    "public_key_bytes",
    "read_header",
    "reencrypt_header",
    "segment_count",
    "split_file",
    "split_header",
    "write_private_key",
    "write_public_key",
]
