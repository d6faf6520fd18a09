"""ES256 (ECDSA P-256 with SHA-256) signatures with one spelling each: low ``s`` only.

An ECDSA signature (r, s) also verifies as (r, n − s), so without a rule every signed token has
two spellings (a replay cache or a log keyed by the token would count them as two). Signing here
always yields ``s ≤ n/2`` and verification refuses ``s > n/2`` before the curve maths, as
Bitcoin's BIP 62/146 does. ``JWS`` is a PyJWT ``PyJWS`` whose ES256 follows the same rule, for
the JWTs that go through PyJWT (user tokens, audit checkpoints); ``access.jws`` uses the raw
functions. Every ES256 signature the node makes or checks passes through this module.
"""

from __future__ import annotations

from typing import Any, Final

import jwt
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)
from jwt.algorithms import ECAlgorithm

__all__ = ["JWS", "P256_ORDER", "is_low_s", "sign_raw", "verify_raw"]

#: The order n of the P-256 group (FIPS 186-4, D.1.2.3).
P256_ORDER: Final = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
_HALF: Final = P256_ORDER // 2
_SIG_BYTES: Final = 64  # r ‖ s, 32 bytes each
_ECDSA: Final = ec.ECDSA(hashes.SHA256())


def is_low_s(signature: bytes) -> bool:
    """Whether a raw 64-byte r ‖ s signature is in the canonical low-``s`` form."""
    return len(signature) == _SIG_BYTES and 0 < int.from_bytes(signature[32:], "big") <= _HALF


def sign_raw(private_key: ec.EllipticCurvePrivateKey, data: bytes) -> bytes:
    """The raw r ‖ s ES256 signature of ``data``, ``s`` normalised to n − s when high."""
    r, s = decode_dss_signature(private_key.sign(data, _ECDSA))
    if s > _HALF:
        s = P256_ORDER - s
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def verify_raw(public_key: ec.EllipticCurvePublicKey, data: bytes, signature: bytes) -> bool:
    """Whether ``signature`` (raw r ‖ s, low ``s``) is a valid ES256 signature of ``data``."""
    if not is_low_s(signature):
        return False
    r = int.from_bytes(signature[:32], "big")
    s = int.from_bytes(signature[32:], "big")
    try:
        public_key.verify(encode_dss_signature(r, s), data, _ECDSA)
    except InvalidSignature:
        return False
    return True


class _LowS(ECAlgorithm):
    """PyJWT's ES256 with this module's rule; other key checks stay PyJWT's."""

    def sign(self, msg: bytes, key: Any) -> bytes:
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise TypeError("ES256 signs with an EC private key")
        return sign_raw(key, msg)

    def verify(self, msg: bytes, key: Any, sig: bytes) -> bool:
        if isinstance(key, ec.EllipticCurvePrivateKey):
            key = key.public_key()
        if not isinstance(key, ec.EllipticCurvePublicKey) or not isinstance(
            key.curve, ec.SECP256R1
        ):
            return False
        return verify_raw(key, msg, sig)


#: A PyJWS that knows ES256 alone, and that with low ``s``.
JWS: Final = jwt.PyJWS(algorithms=[])
JWS.register_algorithm("ES256", _LowS(ECAlgorithm.SHA256))
