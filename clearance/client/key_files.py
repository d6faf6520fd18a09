"""Write a researcher's Crypt4GH key pair without ever leaving half of one behind."""

from __future__ import annotations

import base64
import os
import secrets
from pathlib import Path

from transfer.crypt4gh import generate_keypair

__all__ = ["write_key_pair"]


def write_key_pair(secret: Path, public: Path, passphrase: str) -> str:
    """Write ``secret`` (0600, locked with ``passphrase``) and ``public``, replacing any files
    there only once both new ones are complete; the public key as base64 of its 32 bytes."""
    tag = secrets.token_hex(6)
    tmp_secret = secret.with_name(f".{secret.name}.{tag}.partial")
    tmp_public = public.with_name(f".{public.name}.{tag}.partial")
    try:
        key = generate_keypair(tmp_secret, tmp_public, passphrase)
        os.replace(tmp_secret, secret)
        os.replace(tmp_public, public)
    finally:
        tmp_secret.unlink(missing_ok=True)
        tmp_public.unlink(missing_ok=True)
    return base64.b64encode(key.public_key().public_bytes_raw()).decode("ascii")
