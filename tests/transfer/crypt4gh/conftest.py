"""Shared fixtures and reference-implementation helpers for the Crypt4GH tests."""

from __future__ import annotations

import io
import os
from dataclasses import dataclass

import pytest
from crypt4gh import lib as ref_lib

from transfer import crypt4gh as c4


@dataclass(frozen=True)
class Party:
    """A key pair as raw bytes, the form the reference API takes."""

    sk: bytes
    pk: bytes


def new_party() -> Party:
    sk = c4.generate_private_key()
    return Party(sk.private_bytes_raw(), c4.public_key_bytes(sk))


@pytest.fixture
def alice() -> Party:
    return new_party()


@pytest.fixture
def bob() -> Party:
    return new_party()


def ours_encrypt(data: bytes, writer: Party, *recipients: Party, **kwargs: object) -> bytes:
    out = io.BytesIO()
    c4.encrypt(
        io.BytesIO(data),
        out,
        writer_sk=writer.sk,
        recipient_pks=[r.pk for r in recipients],
        **kwargs,  # type: ignore[arg-type]
    )
    return out.getvalue()


def ours_decrypt(blob: bytes, reader: Party, sender_pk: bytes | None = None) -> bytes:
    out = io.BytesIO()
    c4.decrypt(io.BytesIO(blob), out, reader_sk=reader.sk, sender_pk=sender_pk)
    return out.getvalue()


def ref_encrypt(data: bytes, writer: Party, *recipients: Party) -> bytes:
    out = io.BytesIO()
    ref_lib.encrypt([(0, writer.sk, r.pk) for r in recipients], io.BytesIO(data), out)
    return out.getvalue()


def ref_decrypt(blob: bytes, reader: Party, sender_pk: bytes | None = None) -> bytes:
    out = io.BytesIO()
    ref_lib.decrypt([(0, reader.sk, None)], io.BytesIO(blob), out, sender_pubkey=sender_pk)
    return out.getvalue()


def random_bytes(size: int) -> bytes:
    return os.urandom(size)
