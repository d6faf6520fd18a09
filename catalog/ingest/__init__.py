"""Ingest: read and validate a holding folder for ``clearance publish``.

``read_holding(folder)`` checks the whole folder (docs/formats.md: ``annotations.json``,
``scans/<id>/scan.json``, 16-bit channel images, the original DICOS file) and returns frozen
dataclasses, or raises one :class:`IngestErrors` listing every problem (up to 50), each naming the
file (relative to the holding folder) and the field.

Public face. Other packages import from ``catalog.ingest`` only; its modules are
private by convention. The names load on first use (PEP 562), so importing one name does not load
the rest (a client command importing an error does not load SQLAlchemy or FastAPI).

Exceptions::

    IngestError(PublishError, ValueError)
    └── IngestErrors
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from access import lazy_face
from catalog.ingest.errors import MAX_ERRORS, IngestError, IngestErrors
from catalog.ingest.model import Annotation, AssetFile, AssetKey, Category, Energy, Holding, Scan
from catalog.ingest.reader import DEFAULT_MAX_PIXELS, read_holding
from catalog.ingest.sidecar import Sidecar

# --- public face: a name another package needs goes here (and into __all__) ---
if TYPE_CHECKING:
    from catalog.ingest.sidecar import SCAN_ID

_LAZY: dict[str, str] = {
    "SCAN_ID": "catalog.ingest.sidecar",
}

__all__ = [
    "DEFAULT_MAX_PIXELS",
    "MAX_ERRORS",
    "SCAN_ID",
    "Annotation",
    "AssetFile",
    "AssetKey",
    "Category",
    "Energy",
    "Holding",
    "IngestError",
    "IngestErrors",
    "Scan",
    "Sidecar",
    "read_holding",
]

if not TYPE_CHECKING:
    __getattr__, __dir__ = lazy_face(__name__, _LAZY, globals(), __all__)

# --- end of the public face ---
