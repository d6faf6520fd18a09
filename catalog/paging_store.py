"""The node's paging secret: 32 random bytes in ``keys/paging.key`` (0600, in the 0700 keys
folder), made on first use. Every replica of a node reads the same file, so a next link made
by one is honoured by another; deleting the file invalidates every paging token in circulation,
nothing else.

Creation is race-free between processes: the bytes are written to a private temporary file and
hard-linked into place (``link`` fails if the name exists), so a reader never sees a partial key.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import tempfile
from pathlib import Path

from catalog.paging import PagingKey

__all__ = ["load_paging_key"]

_NAME = "paging.key"
_SIZE = 32


def load_paging_key(keys_dir: Path) -> PagingKey:
    path = keys_dir / _NAME
    if not path.exists():
        _create(path)
    secret = path.read_bytes()
    if len(secret) != _SIZE:
        raise ValueError(f"{path} is not a paging key ({_SIZE} bytes): remove it to make a new one")
    return PagingKey(secret)


def _create(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".paging-")  # mode 0600
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(secrets.token_bytes(_SIZE))
            handle.flush()
            os.fsync(handle.fileno())
        with contextlib.suppress(FileExistsError):  # another process made it first: use theirs
            os.link(temporary, path)
    finally:
        os.unlink(temporary)
