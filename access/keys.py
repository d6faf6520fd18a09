"""Administration signing keys (ES256): generation, JWK export, 0600 key files.

Private keys live only in files readable by the node's user (mode 0600) under the data folder;
the database holds the public JWK. The ``kid`` is the RFC 7638 JWK thumbprint.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from access.encoding import b64url, b64url_decode

__all__ = [
    "SIGNING_ALG",
    "SigningKey",
    "generate_signing_key",
    "jwk_thumbprint",
    "load_signing_key",
    "public_jwk",
    "public_key_from_jwk",
    "save_signing_key",
    "write_secret_file",
]

SIGNING_ALG = "ES256"


@dataclass(frozen=True)
class SigningKey:
    kid: str
    private_key: ec.EllipticCurvePrivateKey

    @property
    def alg(self) -> str:
        return SIGNING_ALG

    def public_jwk(self) -> dict[str, Any]:
        return public_jwk(self.private_key.public_key(), self.kid)

    def __repr__(self) -> str:  # never print key material
        return f"SigningKey(kid={self.kid!r})"


def _ec_members(public_key: ec.EllipticCurvePublicKey) -> dict[str, str]:
    numbers = public_key.public_numbers()
    return {
        "crv": "P-256",
        "kty": "EC",
        "x": b64url(numbers.x.to_bytes(32, "big")),
        "y": b64url(numbers.y.to_bytes(32, "big")),
    }


def jwk_thumbprint(public_key: ec.EllipticCurvePublicKey) -> str:
    """RFC 7638 thumbprint: SHA-256 over the required members in lexicographic order."""
    canonical = json.dumps(_ec_members(public_key), separators=(",", ":"), sort_keys=True)
    digest = hashes.Hash(hashes.SHA256())
    digest.update(canonical.encode("ascii"))
    return b64url(digest.finalize())


def public_jwk(public_key: ec.EllipticCurvePublicKey, kid: str) -> dict[str, Any]:
    return {**_ec_members(public_key), "kid": kid, "alg": SIGNING_ALG, "use": "sig"}


def public_key_from_jwk(jwk: dict[str, Any]) -> ec.EllipticCurvePublicKey:
    if jwk.get("kty") != "EC" or jwk.get("crv") != "P-256":
        raise ValueError("JWK is not an EC P-256 key")
    x = int.from_bytes(b64url_decode(str(jwk["x"])), "big")
    y = int.from_bytes(b64url_decode(str(jwk["y"])), "big")
    return ec.EllipticCurvePublicNumbers(x, y, ec.SECP256R1()).public_key()


def generate_signing_key() -> SigningKey:
    private_key = ec.generate_private_key(ec.SECP256R1())
    return SigningKey(jwk_thumbprint(private_key.public_key()), private_key)


def write_secret_file(path: Path, data: bytes) -> None:
    """Create ``path`` with mode 0600 from the start (never world-readable, not even briefly)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def save_signing_key(key: SigningKey, directory: Path) -> Path:
    pem = key.private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    path = directory / f"{key.kid}.pem"
    write_secret_file(path, pem)
    return path


def load_signing_key(path: Path) -> SigningKey:
    mode = path.stat().st_mode & 0o777
    if mode & 0o077:
        raise PermissionError(
            f"key file {path} is readable by others (mode {mode:o}); expected 0600"
        )
    private_key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(private_key, ec.EllipticCurvePrivateKey):
        raise ValueError(f"key file {path} does not hold an EC private key")
    return SigningKey(jwk_thumbprint(private_key.public_key()), private_key)
