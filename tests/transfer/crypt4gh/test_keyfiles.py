"""Crypt4GH key files, read and written both ways with ``crypt4gh.keys``."""

from __future__ import annotations

import base64
import os
import stat
from pathlib import Path

import pytest
from crypt4gh import keys as ref_keys
from crypt4gh.keys import c4gh as ref_c4gh

from transfer import crypt4gh as c4


def test_ours_read_by_reference(tmp_path: Path) -> None:
    sk_path, pk_path = tmp_path / "k.sec", tmp_path / "k.pub"
    sk = c4.generate_keypair(sk_path, pk_path, "correct horse", comment="node key")
    assert ref_keys.get_private_key(str(sk_path), lambda: "correct horse") == sk.private_bytes_raw()
    assert ref_keys.get_public_key(str(pk_path)) == c4.public_key_bytes(sk)
    assert sk_path.read_bytes().startswith(b"-----BEGIN CRYPT4GH PRIVATE KEY-----\n")


def test_reference_read_by_ours(tmp_path: Path) -> None:
    sk_path, pk_path = tmp_path / "r.sec", tmp_path / "r.pub"
    ref_c4gh.generate(str(sk_path), str(pk_path), b"s3cret", b"made by reference")
    raw = ref_keys.get_private_key(str(sk_path), lambda: "s3cret")
    assert c4.load_private_key(sk_path, "s3cret").private_bytes_raw() == raw
    assert c4.load_private_key(sk_path, lambda: b"s3cret").private_bytes_raw() == raw
    assert c4.load_public_key(pk_path) == ref_keys.get_public_key(str(pk_path))


def test_unencrypted_both_ways(tmp_path: Path) -> None:
    ours, theirs = tmp_path / "o.sec", tmp_path / "t.sec"
    sk = c4.generate_private_key()
    c4.write_private_key(ours, sk, None)
    assert ref_keys.get_private_key(str(ours), None) == sk.private_bytes_raw()
    ref_c4gh.generate(str(theirs), str(tmp_path / "t.pub"), None, None)
    raw = ref_keys.get_private_key(str(theirs), None)
    assert c4.load_private_key(theirs, None).private_bytes_raw() == raw


def test_private_key_mode_0600_and_exclusive(tmp_path: Path) -> None:
    path = tmp_path / "k.sec"
    old = os.umask(0)
    try:
        c4.write_private_key(path, c4.generate_private_key(), "pw")
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    with pytest.raises(FileExistsError):
        c4.write_private_key(path, c4.generate_private_key(), "pw")


def test_wrong_passphrase(tmp_path: Path) -> None:
    path = tmp_path / "k.sec"
    c4.write_private_key(path, c4.generate_private_key(), "right")
    with pytest.raises(c4.KeyFileError, match="wrong passphrase") as info:
        c4.load_private_key(path, "wrong")
    assert "right" not in str(info.value)
    with pytest.raises(c4.KeyFileError, match="passphrase is required"):
        c4.load_private_key(path, None)


def test_bcrypt_key_rejected_clearly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ref_c4gh, "scrypt_supported", False)  # reference then uses bcrypt
    sk_path = tmp_path / "b.sec"
    ref_c4gh.generate(str(sk_path), str(tmp_path / "b.pub"), b"pw", None)
    with pytest.raises(c4.UnsupportedError, match="bcrypt"):
        c4.load_private_key(sk_path, "pw")


def _pem(label: str, b64: str) -> str:
    return f"-----BEGIN {label}-----\n{b64}\n-----END {label}-----\n"


def test_alternative_labels_and_garbage() -> None:
    sk = c4.generate_private_key()
    text = c4.encode_private_key(sk, "pw").decode()
    for label in ("CRYPT4GH ENCRYPTED PRIVATE KEY", "ENCRYPTED PRIVATE KEY"):
        relabelled = text.replace("CRYPT4GH PRIVATE KEY", label)
        assert c4.decode_private_key(relabelled, "pw").private_bytes_raw() == sk.private_bytes_raw()
    with pytest.raises(c4.KeyFileError):
        c4.decode_public_key(_pem("CRYPT4GH PUBLIC KEY", "!!"))
    short = base64.b64encode(b"x" * 31).decode()
    with pytest.raises(c4.KeyFileError):
        c4.decode_public_key(_pem("CRYPT4GH PUBLIC KEY", short))
    with pytest.raises(c4.UnsupportedError):
        c4.decode_public_key("ssh-ed25519 AAAA user@host")
    truncated = base64.b64encode(b"c4gh-v1\x00\x06scrypt\x00").decode()
    with pytest.raises(c4.KeyFileError, match="truncated"):
        c4.decode_private_key(_pem("CRYPT4GH PRIVATE KEY", truncated), "pw")
