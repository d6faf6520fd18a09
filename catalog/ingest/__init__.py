"""Ingest: read and validate a holding folder for ``clearance publish``.

``read_holding(folder)`` checks the whole folder (docs/formats.md: ``annotations.json``,
``scans/<id>/scan.json``, 16-bit channel images, the original DICOS file) and returns frozen
dataclasses, or raises one :class:`IngestErrors` listing every problem (up to 50), each naming the
file (relative to the holding folder) and the field.
"""

from __future__ import annotations

from catalog.ingest.errors import MAX_ERRORS, IngestError, IngestErrors
from catalog.ingest.model import Annotation, AssetFile, AssetKey, Category, Energy, Holding, Scan
from catalog.ingest.reader import DEFAULT_MAX_PIXELS, read_holding
from catalog.ingest.sidecar import Sidecar

__all__ = [
    "DEFAULT_MAX_PIXELS",
    "MAX_ERRORS",
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
