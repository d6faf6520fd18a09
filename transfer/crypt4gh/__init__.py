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

Public face. Other packages import from ``transfer.crypt4gh`` only; its modules are
private by convention. The names load on first use (PEP 562), so importing one name does not load
the rest (a client command importing an error does not load SQLAlchemy or FastAPI).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from access import lazy_face

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

# --- public face: a name another package needs goes here (and into __all__) ---
if TYPE_CHECKING:
    from transfer.crypt4gh._io import read_full
    from transfer.crypt4gh.constants import (
        HEADER_METHOD_X25519_CHACHA20_POLY1305,
        KEY_SIZE,
        NONCE_SIZE,
        TAG_SIZE,
    )
    from transfer.crypt4gh.envelope import parse_packets, serialize_packets
    from transfer.crypt4gh.keys import private_key, reader_shared_key
    from transfer.crypt4gh.packets import partition_packets

_LAZY: dict[str, str] = {
    "HEADER_METHOD_X25519_CHACHA20_POLY1305": "transfer.crypt4gh.constants",
    "KEY_SIZE": "transfer.crypt4gh.constants",
    "NONCE_SIZE": "transfer.crypt4gh.constants",
    "TAG_SIZE": "transfer.crypt4gh.constants",
    "parse_packets": "transfer.crypt4gh.envelope",
    "partition_packets": "transfer.crypt4gh.packets",
    "private_key": "transfer.crypt4gh.keys",
    "read_full": "transfer.crypt4gh._io",
    "reader_shared_key": "transfer.crypt4gh.keys",
    "serialize_packets": "transfer.crypt4gh.envelope",
}

__all__ = [
    "CIPHER_SEGMENT_SIZE",
    "HEADER_METHOD_X25519_CHACHA20_POLY1305",
    "KEY_SIZE",
    "NONCE_SIZE",
    "SEGMENT_SIZE",
    "TAG_SIZE",
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
    "parse_packets",
    "partition_packets",
    "plaintext_size",
    "private_key",
    "public_key_bytes",
    "read_full",
    "read_header",
    "reader_shared_key",
    "reencrypt_header",
    "segment_count",
    "serialize_packets",
    "split_file",
    "split_header",
    "write_private_key",
    "write_public_key",
]

if not TYPE_CHECKING:
    __getattr__, __dir__ = lazy_face(__name__, _LAZY, globals(), __all__)

# --- end of the public face ---
