"""Resumable upload sessions: the session store, safe tar archives and the upload headers.

Public face. Other packages import from ``transfer.uploads`` only; its modules are
private by convention. The names load on first use (PEP 562), so importing one name does not load
the rest (a client command importing an error does not load SQLAlchemy or FastAPI).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from access import lazy_face

# --- public face: a name another package needs goes here (and into __all__) ---
if TYPE_CHECKING:
    from transfer.uploads.archive import ArchiveInfo as ArchiveInfo
    from transfer.uploads.archive import UnpackLimits as UnpackLimits
    from transfer.uploads.archive import unpack_tar as unpack_tar
    from transfer.uploads.archive import write_tar as write_tar
    from transfer.uploads.headers import DIGEST_HEADER as DIGEST_HEADER
    from transfer.uploads.headers import OFFSET_HEADER as OFFSET_HEADER
    from transfer.uploads.headers import content_digest as content_digest
    from transfer.uploads.headers import parse_content_digest as parse_content_digest
    from transfer.uploads.headers import parse_offset as parse_offset
    from transfer.uploads.store import ArchiveReader as ArchiveReader
    from transfer.uploads.store import Upload as Upload
    from transfer.uploads.store import UploadLimits as UploadLimits
    from transfer.uploads.store import UploadStore as UploadStore

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

__all__ = [*sorted(_LAZY)]

if not TYPE_CHECKING:
    __getattr__, __dir__ = lazy_face(__name__, _LAZY, globals(), __all__)

# --- end of the public face ---
