"""Password hashing with scrypt (cryptography's KDF); verification is constant-time.

Parameters: N=2^17, r=8, p=1 — OWASP's Password Storage Cheat Sheet minimum for scrypt (128 MiB
and about 0.3 s per hash on the project's 2-core machines). The parameters are stored with each
hash, so hashes made with older, weaker parameters still verify; ``needs_rehash`` tells the
directory to replace such a hash at the next successful login (the only moment the password is
known). Stored parameters are bounded before use, so a tampered row cannot make verification
allocate gigabytes.
"""

from __future__ import annotations

import base64
import binascii
import os
from typing import NamedTuple

from cryptography.exceptions import InvalidKey
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

__all__ = [
    "CURRENT",
    "MAX_PASSWORD_LENGTH",
    "MIN_PASSWORD_LENGTH",
    "ScryptParams",
    "hash_password",
    "needs_rehash",
    "verify_password",
]

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024  # characters; a pass phrase, not a file


class ScryptParams(NamedTuple):
    n: int
    r: int
    p: int


CURRENT = ScryptParams(n=2**17, r=8, p=1)
_MAX = ScryptParams(n=2**20, r=16, p=4)  # anything above is not a hash this node made
_SALT_LEN, _LEN = 16, 32


def _kdf(salt: bytes, params: ScryptParams) -> Scrypt:
    return Scrypt(salt=salt, length=_LEN, n=params.n, r=params.r, p=params.p)


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"password must be at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise ValueError(f"password must be at most {MAX_PASSWORD_LENGTH} characters")
    salt = os.urandom(_SALT_LEN)
    derived = _kdf(salt, CURRENT).derive(password.encode("utf-8"))
    b64 = base64.b64encode
    n, r, p = CURRENT
    return f"scrypt${n}${r}${p}${b64(salt).decode()}${b64(derived).decode()}"


class _Stored(NamedTuple):
    params: ScryptParams
    salt: bytes
    derived: bytes


def _parse(stored: str) -> _Stored | None:
    parts = stored.split("$")
    if len(parts) != 6 or parts[0] != "scrypt":
        return None
    try:
        params = ScryptParams(*(int(x) for x in parts[1:4]))
        salt = base64.b64decode(parts[4], validate=True)
        derived = base64.b64decode(parts[5], validate=True)
    except (ValueError, binascii.Error):
        return None
    n, r, p = params
    in_range = 2 <= n <= _MAX.n and n & (n - 1) == 0 and 1 <= r <= _MAX.r and 1 <= p <= _MAX.p
    if not in_range or len(salt) < _SALT_LEN or len(derived) != _LEN:
        return None
    return _Stored(params, salt, derived)


def verify_password(password: str, stored: str | None) -> bool:
    parsed = _parse(stored) if stored else None
    if parsed is None or len(password) > MAX_PASSWORD_LENGTH:
        return False
    try:
        _kdf(parsed.salt, parsed.params).verify(password.encode("utf-8"), parsed.derived)
    except (ValueError, UnicodeEncodeError, MemoryError, InvalidKey):
        return False
    return True


def needs_rehash(stored: str) -> bool:
    """True when ``stored`` (a hash that just verified) was made with weaker parameters."""
    parsed = _parse(stored)
    return parsed is None or parsed.params != CURRENT
