"""Resumable upload sessions: the session store, safe tar archives and the upload headers.

Public face. Other packages import from ``transfer.uploads`` only; its modules are
private by convention. The names load on first use (PEP 562), so importing one name does not load
the rest (a client command importing an error does not load SQLAlchemy or FastAPI).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

# --- public face: a name another package needs goes here (and into __all__) ---
if TYPE_CHECKING:
    from transfer.uploads.archive import ArchiveInfo, UnpackLimits, unpack_tar, write_tar
    from transfer.uploads.headers import (
        DIGEST_HEADER,
        OFFSET_HEADER,
        content_digest,
        parse_content_digest,
        parse_offset,
    )
    from transfer.uploads.store import ArchiveReader, Upload, UploadLimits, UploadStore

_LAZY: dict[str, str] = {
    "ArchiveInfo": "transfer.uploads.archive",
    "ArchiveReader": "transfer.uploads.store",
    "DIGEST_HEADER": "transfer.uploads.headers",
    "OFFSET_HEADER": "transfer.uploads.headers",
    "UnpackLimits": "transfer.uploads.archive",
    "Upload": "transfer.uploads.store",
    "UploadLimits": "transfer.uploads.store",
    "UploadStore": "transfer.uploads.store",
    "content_digest": "transfer.uploads.headers",
    "parse_content_digest": "transfer.uploads.headers",
    "parse_offset": "transfer.uploads.headers",
    "unpack_tar": "transfer.uploads.archive",
    "write_tar": "transfer.uploads.archive",
}

__all__ = [
    "DIGEST_HEADER",
    "OFFSET_HEADER",
    "ArchiveInfo",
    "ArchiveReader",
    "UnpackLimits",
    "Upload",
    "UploadLimits",
    "UploadStore",
    "content_digest",
    "parse_content_digest",
    "parse_offset",
    "unpack_tar",
    "write_tar",
]

if not TYPE_CHECKING:

    def __getattr__(name: str) -> object:
        module = _LAZY.get(name)
        if module is None:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        globals()[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted(set(globals()) | set(__all__))

# --- end of the public face ---
