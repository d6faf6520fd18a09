"""Exception hierarchy of the Crypt4GH package, a branch of :mod:`transfer.errors`.

    TransferError
     └── Crypt4GHError          every error raised on purpose by :mod:`transfer.crypt4gh`
          ├── HeaderError          the header is malformed
          ├── NoMatchingKeyError   no header packet opens with the given key
          ├── SegmentAuthError     a body segment fails authentication; ``segment_index``
          ├── KeyFileError         a malformed key file, or a wrong passphrase
          └── UnsupportedError     a valid but unsupported feature

Messages describe what went wrong and where (packet or segment index, key file path) but never
contain key material, passphrases or plaintext.
"""

from __future__ import annotations

from transfer.errors import TransferError

__all__ = [
    "Crypt4GHError",
    "HeaderError",
    "KeyFileError",
    "NoMatchingKeyError",
    "SegmentAuthError",
    "UnsupportedError",
]


class Crypt4GHError(TransferError):
    """Base class of every Crypt4GH error."""

    code = "crypt4gh-error"


class HeaderError(Crypt4GHError):
    """The header is malformed (bad magic, truncated packet, invalid packet content)."""


class NoMatchingKeyError(Crypt4GHError):
    """No header packet could be decrypted with the given private key (and sender)."""


class SegmentAuthError(Crypt4GHError):
    """A body segment failed authentication (tampered, truncated or wrong data key)."""

    def __init__(self, message: str, segment_index: int | None = None) -> None:
        super().__init__(message)
        self.segment_index = segment_index


class KeyFileError(Crypt4GHError):
    """A key file is malformed, or the passphrase does not unlock the private key."""


class UnsupportedError(Crypt4GHError):
    """A valid but unsupported feature: version, method, packet type or KDF."""
