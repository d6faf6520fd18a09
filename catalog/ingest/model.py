"""What :func:`~catalog.ingest.read_holding` returns: frozen dataclasses, no behaviour.

Paths are absolute: the resolved holding folder joined with the name given in the holding (the
STAC builder makes hrefs with ``path.relative_to(holding.folder)``). Tuples keep a fixed order:
scans sorted by id, energies high then low, assets high, low, original, annotations.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from catalog.ingest.sidecar import Sidecar

__all__ = ["Annotation", "AssetFile", "AssetKey", "Category", "Energy", "Holding", "Scan"]

AssetKey = Literal["high", "low", "original", "annotations"]


@dataclass(frozen=True)
class Category:
    """A COCO category with the HS code it stands for, e.g. ``9302`` in ``HS2022``."""

    id: int
    name: str
    hs_code: str
    hs_edition: str


@dataclass(frozen=True)
class Energy:
    """One image channel of a scan: ``high`` or ``low``, its source energy in kV, its file."""

    channel: Literal["high", "low"]
    kv: float
    path: Path


@dataclass(frozen=True)
class Annotation:
    """One annotated object: COCO ``bbox`` is ``(x, y, width, height)`` in pixels."""

    id: int
    category_id: int
    bbox: tuple[float, float, float, float]
    area: float


@dataclass(frozen=True)
class AssetFile:
    """A file of a scan with its size and SHA-256.

    ``path`` is None (and ``data`` holds the bytes) for the generated per-scan annotations JSON.
    """

    key: AssetKey
    path: Path | None
    media_type: str
    size: int
    sha256_hex: str
    data: bytes | None = field(default=None, repr=False)


@dataclass(frozen=True)
class Scan:
    """One scan: its validated sidecar, with the sidecar's files resolved, its image size,
    annotations and asset files. The sidecar's fields are read through ``sidecar``."""

    sidecar: Sidecar
    energies: tuple[Energy, ...]  # the sidecar's energies, paths resolved
    original: Path | None  # the sidecar's original scanner file, path resolved
    width: int
    height: int
    annotations: tuple[Annotation, ...]
    coco: dict[str, Any] = field(hash=False, repr=False)
    assets: tuple[AssetFile, ...]

    @property
    def id(self) -> str:
        return self.sidecar.id


@dataclass(frozen=True)
class Holding:
    """A validated holding folder: its scans (sorted by id) and all COCO categories by id."""

    folder: Path
    scans: tuple[Scan, ...]
    categories: Mapping[int, Category] = field(hash=False)
