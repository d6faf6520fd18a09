"""Password hashing (scrypt): round trip, wrong passwords, policy, malformed stored hashes."""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from access.passwords import MAX_PASSWORD_LENGTH, hash_password, needs_rehash, verify_password

PASSWORD = "correct horse battery"
STORED = hash_password(PASSWORD)  # one scrypt run (~0.3 s), shared by the tests below


def test_round_trip_and_format() -> None:
    assert verify_password(PASSWORD, STORED)
    scheme, n, r, p, salt, derived = STORED.split("$")
    assert (scheme, n, r, p) == ("scrypt", str(2**17), "8", "1")  # OWASP minimum for scrypt
    assert len(base64.b64decode(salt)) == 16
    assert len(base64.b64decode(derived)) == 32
    assert PASSWORD not in STORED


def test_salt_makes_every_hash_different() -> None:
    other = hash_password(PASSWORD)
    assert other != STORED
    assert other.split("$")[4] != STORED.split("$")[4]


@pytest.mark.parametrize(
    "attempt", ["correct horse batterY", "correct horse battery ", "", "x" * 2000]
)
def test_wrong_password(attempt: str) -> None:
    assert verify_password(attempt, STORED) is False


def test_non_ascii_password_round_trip() -> None:
    stored = hash_password("pâsswörd-ünïcødé-🔑")
    assert verify_password("pâsswörd-ünïcødé-🔑", stored)
    assert not verify_password("passwörd-ünïcødé-🔑", stored)


def test_password_that_cannot_be_encoded_is_just_wrong() -> None:
    assert verify_password("\ud800 lone surrogate", STORED) is False


@pytest.mark.parametrize("short", ["", "a", "elevenchars"])
def test_short_passwords_are_refused(short: str) -> None:
    assert len(short) < 12
    with pytest.raises(ValueError, match="at least 12"):
        hash_password(short)


def test_twelve_characters_are_enough() -> None:
    assert verify_password("twelve-chars", hash_password("twelve-chars"))


_SALT, _DERIVED = STORED.split("$")[4:]


MALFORMED: dict[str, str | None] = {
    "none": None,
    "empty": "",
    "garbage": "garbage",
    "only-separators": "$$$$$",
    "extra-field": STORED + "$extra",
    "other-scheme": STORED.replace("scrypt$", "bcrypt$", 1),
    "n-not-a-number": f"scrypt$abc$8$1${_SALT}${_DERIVED}",
    "salt-not-base64": f"scrypt$16384$8$1$!!!${_DERIVED}",  # salt not base64
    "hash-not-base64": f"scrypt$16384$8$1${_SALT}$@@@",  # hash not base64
    "truncated-hash": f"scrypt$16384$8$1${_SALT}${_DERIVED[:-8]}",  # truncated hash
    "empty-hash": f"scrypt$16384$8$1${_SALT}$",
    "n-not-power-of-two": f"scrypt$16383$8$1${_SALT}${_DERIVED}",  # n not a power of two
    "n-zero": f"scrypt$0$8$1${_SALT}${_DERIVED}",
    "r-zero": f"scrypt$16384$0$1${_SALT}${_DERIVED}",
    "n-negative": f"scrypt$-16384$8$1${_SALT}${_DERIVED}",  # negative n
    "n-huge": f"scrypt${2**70}$8$1${_SALT}${_DERIVED}",  # n beyond any C integer
    "p-absurd": f"scrypt$16384$8${2**40}${_SALT}${_DERIVED}",  # absurd memory cost
    "n-above-cap": f"scrypt${2**21}$8$1${_SALT}${_DERIVED}",  # 2 GiB: not a hash we made
    "r-above-cap": f"scrypt$16384$17$1${_SALT}${_DERIVED}",
    "short-salt": f"scrypt$16384$8$1$AAAA${_DERIVED}",
}


@pytest.mark.parametrize("stored", list(MALFORMED.values()), ids=list(MALFORMED))
def test_malformed_stored_hash_is_false_not_an_error(stored: str | None) -> None:
    assert verify_password(PASSWORD, stored) is False


def test_an_older_hash_still_verifies_and_needs_rehash() -> None:
    salt = b"0123456789abcdef"
    derived = Scrypt(salt=salt, length=32, n=2**14, r=8, p=1).derive(PASSWORD.encode())
    b64 = base64.b64encode
    legacy = f"scrypt$16384$8$1${b64(salt).decode()}${b64(derived).decode()}"
    assert verify_password(PASSWORD, legacy)
    assert not verify_password(PASSWORD + "x", legacy)
    assert needs_rehash(legacy)
    assert not needs_rehash(STORED)


def test_passwords_are_bounded() -> None:
    longest = "p" * MAX_PASSWORD_LENGTH
    assert verify_password(longest, hash_password(longest))
    with pytest.raises(ValueError, match="at most 1024"):
        hash_password(longest + "p")
    assert verify_password(longest + "p", STORED) is False
