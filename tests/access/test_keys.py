"""Administration signing keys: 0600 files created exclusively, RFC 7638 kids, JWK round trip."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from jwt.algorithms import ECAlgorithm

from access.keys import (
    SIGNING_ALG,
    SigningKey,
    generate_signing_key,
    jwk_thumbprint,
    load_signing_key,
    public_jwk,
    public_key_from_jwk,
    save_signing_key,
    write_secret_file,
)

# RFC 7515, Appendix A.3: the ES256 example key.
RFC7515_X = "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU"
RFC7515_Y = "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"
RFC7515_D = "jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI"


def _b64int(text: str) -> int:
    return int.from_bytes(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)), "big")


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _rfc7515_key() -> ec.EllipticCurvePrivateKey:
    key = ec.derive_private_key(_b64int(RFC7515_D), ec.SECP256R1())
    numbers = key.public_key().public_numbers()
    assert (numbers.x, numbers.y) == (_b64int(RFC7515_X), _b64int(RFC7515_Y))
    return key


def _thumbprint_via_pyjwt(public_key: ec.EllipticCurvePublicKey) -> str:
    """RFC 7638 written independently: PyJWT's JWK, required members only, sorted, no spaces."""
    jwk = ECAlgorithm.to_jwk(public_key, as_dict=True)
    required = {name: jwk[name] for name in ("crv", "kty", "x", "y")}
    canonical = json.dumps(required, sort_keys=True, separators=(",", ":"))
    return _b64url(hashlib.sha256(canonical.encode()).digest())


@pytest.fixture
def open_umask() -> Iterator[None]:
    """Make a permissive umask so that a 0600 result is the code's doing, not the umask's."""
    old = os.umask(0)
    try:
        yield
    finally:
        os.umask(old)


# --- secret files -------------------------------------------------------------------------------


@pytest.mark.usefixtures("open_umask")
def test_secret_file_is_0600_in_a_0700_folder(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "NLD" / "k.pem"
    write_secret_file(path, b"secret")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert path.read_bytes() == b"secret"


def test_secret_file_is_created_exclusively(tmp_path: Path) -> None:
    path = tmp_path / "k.pem"
    write_secret_file(path, b"first")
    with pytest.raises(FileExistsError):
        write_secret_file(path, b"second")
    assert path.read_bytes() == b"first"


def test_secret_file_does_not_follow_a_planted_symlink(tmp_path: Path) -> None:
    target = tmp_path / "elsewhere"
    target.write_bytes(b"untouched")
    link = tmp_path / "k.pem"
    link.symlink_to(target)
    with pytest.raises(FileExistsError):
        write_secret_file(link, b"secret")
    assert target.read_bytes() == b"untouched"


@pytest.mark.usefixtures("open_umask")
def test_save_and_load_round_trip(tmp_path: Path) -> None:
    key = generate_signing_key()
    path = save_signing_key(key, tmp_path / "NLD")
    assert path == tmp_path / "NLD" / f"{key.kid}.pem"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert b"PRIVATE KEY" in path.read_bytes()
    loaded = load_signing_key(path)
    assert loaded.kid == key.kid
    assert (
        loaded.private_key.private_numbers().private_value
        == key.private_key.private_numbers().private_value
    )
    with pytest.raises(FileExistsError):
        save_signing_key(key, tmp_path / "NLD")  # never overwrites a key file


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660, 0o606, 0o666])
def test_load_refuses_a_file_others_can_read(tmp_path: Path, mode: int) -> None:
    path = save_signing_key(generate_signing_key(), tmp_path)
    path.chmod(mode)
    with pytest.raises(PermissionError, match="0600"):
        load_signing_key(path)


def test_load_accepts_owner_read_only(tmp_path: Path) -> None:
    key = generate_signing_key()
    path = save_signing_key(key, tmp_path)
    path.chmod(0o400)
    assert load_signing_key(path).kid == key.kid


def test_load_refuses_a_key_that_is_not_ec(tmp_path: Path) -> None:
    pem = ed25519.Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    path = tmp_path / "ed.pem"
    write_secret_file(path, pem)
    with pytest.raises(ValueError, match="EC private key"):
        load_signing_key(path)


# --- kid = RFC 7638 thumbprint ------------------------------------------------------------------


def test_thumbprint_of_the_rfc7515_key_matches_a_hand_written_canonical_form() -> None:
    public_key = _rfc7515_key().public_key()
    canonical = (
        '{"crv":"P-256","kty":"EC",'
        '"x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",'
        '"y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}'
    )
    expected = _b64url(hashlib.sha256(canonical.encode("ascii")).digest())
    assert jwk_thumbprint(public_key) == expected
    assert _thumbprint_via_pyjwt(public_key) == expected
    assert len(expected) == 43  # 32 bytes, unpadded base64url


def test_kid_is_the_thumbprint_for_generated_keys() -> None:
    for _ in range(10):
        key = generate_signing_key()
        assert key.kid == _thumbprint_via_pyjwt(key.private_key.public_key())
        assert key.kid == jwk_thumbprint(key.private_key.public_key())


def test_coordinates_with_leading_zero_bytes_are_padded_to_32_bytes() -> None:
    for _ in range(20_000):
        private = ec.generate_private_key(ec.SECP256R1())
        if private.public_key().public_numbers().x < 1 << 248:
            break
    else:  # pragma: no cover - probability about e**-78
        pytest.fail("no key with a short x coordinate found")
    public = private.public_key()
    jwk = public_jwk(public, "k")
    raw_x = base64.urlsafe_b64decode(jwk["x"] + "=")
    assert len(raw_x) == 32
    assert raw_x[0] == 0
    assert jwk_thumbprint(public) == _thumbprint_via_pyjwt(public)


# --- JWK ----------------------------------------------------------------------------------------


def test_public_jwk_round_trip() -> None:
    key = generate_signing_key()
    jwk = key.public_jwk()
    assert set(jwk) == {"kty", "crv", "x", "y", "kid", "alg", "use"}
    assert jwk["kid"] == key.kid
    assert jwk["alg"] == SIGNING_ALG == "ES256"
    assert jwk["use"] == "sig"
    assert "d" not in jwk
    back = public_key_from_jwk(jwk)
    assert back.public_numbers() == key.private_key.public_key().public_numbers()
    # survives JSON, and PyJWT reads it as the same key
    from_json = public_key_from_jwk(json.loads(json.dumps(jwk)))
    assert from_json.public_numbers() == back.public_numbers()
    assert ECAlgorithm.from_jwk(jwk).public_numbers() == back.public_numbers()


def test_rfc7515_key_exports_the_published_coordinates() -> None:
    jwk = public_jwk(_rfc7515_key().public_key(), "rfc")
    assert (jwk["x"], jwk["y"]) == (RFC7515_X, RFC7515_Y)


@pytest.mark.parametrize(
    "jwk",
    [
        {"kty": "RSA", "n": "AQAB", "e": "AQAB"},
        {"kty": "EC", "crv": "P-384", "x": RFC7515_X, "y": RFC7515_Y},
        {"kty": "OKP", "crv": "Ed25519", "x": RFC7515_X},
        {"kty": "EC", "crv": "P-256", "x": RFC7515_X, "y": RFC7515_X},  # not on the curve
    ],
)
def test_public_key_from_jwk_refuses_other_keys(jwk: dict[str, str]) -> None:
    with pytest.raises(ValueError):
        public_key_from_jwk(jwk)


def test_repr_shows_no_key_material() -> None:
    key = SigningKey(jwk_thumbprint(_rfc7515_key().public_key()), _rfc7515_key())
    d = key.private_key.private_numbers().private_value
    text = f"{key!r} {key!s}"
    assert text.startswith("SigningKey(kid=")
    for secret in (str(d), hex(d)[2:], RFC7515_D, f"{d:x}"[:16]):
        assert secret not in text
    assert "PRIVATE" not in text
