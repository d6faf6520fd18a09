"""Passphrase key derivation for Crypt4GH private key files.

Supported: ``scrypt`` (N=2**14, r=8, p=1, 32-byte key, exactly as the reference
``hashlib.scrypt`` call; the rounds field is written as 0 and ignored) and, for
reading, ``pbkdf2_hmac_sha256``. ``bcrypt`` would need the bcrypt package,
which this implementation deliberately does not use, so it is rejected.
"""

from __future__ import annotations

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from .constants import KEY_SIZE
from .errors import KeyFileError, UnsupportedError

__all__ = ["SCRYPT_N", "SCRYPT_P", "SCRYPT_R", "SCRYPT_SALT_SIZE", "derive_key"]

SCRYPT_N = 1 << 14
SCRYPT_R = 8
SCRYPT_P = 1
SCRYPT_SALT_SIZE = 16
_MAX_PBKDF2_ROUNDS = 10_000_000


def derive_key(kdfname: bytes, passphrase: bytes, salt: bytes, rounds: int) -> bytes:
    """32-byte key that encrypts a private key, derived from ``passphrase``."""
    if kdfname == b"scrypt":
        kdf = Scrypt(salt=salt, length=KEY_SIZE, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P)
        return kdf.derive(passphrase)
    if kdfname == b"pbkdf2_hmac_sha256":
        if not 0 < rounds <= _MAX_PBKDF2_ROUNDS:
            raise KeyFileError(f"invalid pbkdf2 round count {rounds} in private key file")
        pbkdf = PBKDF2HMAC(hashes.SHA256(), length=KEY_SIZE, salt=salt, iterations=rounds)
        return pbkdf.derive(passphrase)
    if kdfname == b"bcrypt":
        raise UnsupportedError(
            "private key file is protected with the bcrypt KDF, which is not supported "
            "(supported: scrypt, pbkdf2_hmac_sha256, none); "
            "re-lock the key with scrypt, e.g. `crypt4gh-keygen --relock`"
        )
    name = kdfname.decode("ascii", "replace")
    raise UnsupportedError(f"unsupported KDF {name!r} in private key file")
