"""The data of one evaluation: a holding version's scans, decrypted in memory, never on disk.

A published holding version is a signed manifest whose objects are the assets of each scan:
``high`` and ``low`` (16-bit images, TIFF or PNG) and ``annotations`` (the scan's COCO document).
:func:`load_scans` turns the objects of the chosen items into :class:`EvalScan` values; the bytes
come from a ``read`` function the caller passes in (the node's ``EncryptedObjects.read_verified``,
which checks every object against the manifest), so this module has no I/O of its own.

Ground truth is kept by HS code, not by the holding's COCO category ids: a model's classes are
mapped to HS codes by its card, and the HS code is what a holding and a model have in common.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import tifffile
from numpy.typing import NDArray
from PIL import Image

from models.errors import DatasetError
from transfer import Manifest, ManifestObject

__all__ = ["MAX_PIXELS", "EvalScan", "GroundTruth", "decode_image", "load_scans", "scan_objects"]

MAX_PIXELS: Final = 64_000_000  # per channel; publish refuses larger images already
_PNG = b"\x89PNG\r\n\x1a\n"


@dataclass(frozen=True)
class GroundTruth:
    """One annotated object: its HS code and COCO box ``[x, y, width, height]`` in pixels."""

    hs_code: str
    bbox: tuple[float, float, float, float]


@dataclass(frozen=True)
class EvalScan:
    item: str
    high: NDArray[np.uint16]
    low: NDArray[np.uint16] | None
    objects: tuple[GroundTruth, ...]

    @property
    def height(self) -> int:
        return int(self.high.shape[0])

    @property
    def width(self) -> int:
        return int(self.high.shape[1])


def scan_objects(manifest: Manifest) -> dict[str, dict[str, ManifestObject]]:
    """Item id -> asset key -> manifest entry, for every item of the version."""
    by_item: dict[str, dict[str, ManifestObject]] = {}
    for entry in manifest.objects:
        by_item.setdefault(entry.item, {})[entry.asset] = entry
    return by_item


def decode_image(data: bytes, what: str) -> NDArray[np.uint16]:
    """A 2-D 16-bit image from TIFF or PNG bytes (checked again: never trust a store blindly)."""
    try:
        if data.startswith(_PNG):
            with Image.open(io.BytesIO(data)) as image:
                if image.width * image.height > MAX_PIXELS:
                    raise DatasetError(f"{what}: image too large")
                array = np.asarray(image)
        else:
            with tifffile.TiffFile(io.BytesIO(data)) as tif:
                page = tif.pages.first
                if int(np.prod(page.shape)) > MAX_PIXELS:
                    raise DatasetError(f"{what}: image too large")
                array = page.asarray()
    except DatasetError:
        raise
    except Exception:  # a decoder's own error: the object is not an image we can read
        raise DatasetError(f"{what}: not a readable 16-bit image") from None
    if array.ndim != 2:
        raise DatasetError(f"{what}: not a single-channel image")
    return array.astype(np.uint16, copy=False)


def _objects(data: bytes, what: str) -> tuple[GroundTruth, ...]:
    try:
        doc: Any = json.loads(data)
        codes = {c["id"]: str(c["hs_code"]) for c in doc["categories"]}
        found = []
        for ann in doc["annotations"]:
            x, y, w, h = (float(v) for v in ann["bbox"])
            found.append(GroundTruth(codes[ann["category_id"]], (x, y, w, h)))
    except (ValueError, KeyError, TypeError):
        raise DatasetError(f"{what}: not the scan's COCO document") from None
    return tuple(found)


def _scan(
    item: str, assets: Mapping[str, ManifestObject], read: Callable[[ManifestObject], bytes]
) -> EvalScan:
    if "high" not in assets or "annotations" not in assets:
        raise DatasetError(f"item {item}: has no high-energy image or no annotations")
    high = decode_image(read(assets["high"]), f"item {item} high")
    low = decode_image(read(assets["low"]), f"item {item} low") if "low" in assets else None
    if low is not None and low.shape != high.shape:
        raise DatasetError(f"item {item}: energy channels differ in size")
    return EvalScan(item, high, low, _objects(read(assets["annotations"]), f"item {item}"))


def load_scans(
    manifest: Manifest, items: Iterable[str], read: Callable[[ManifestObject], bytes]
) -> Iterator[EvalScan]:
    """The scans of ``items`` (in that order), decoded one at a time."""
    by_item = scan_objects(manifest)
    for item in items:
        if item not in by_item:
            raise DatasetError(f"item {item}: not in holding version {manifest.version}")
        yield _scan(item, by_item[item], read)
