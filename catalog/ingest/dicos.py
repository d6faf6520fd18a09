"""The original DICOS file (``original.dcm``), checked with pydicom without decoding its pixels.

The file must be DICOM (``DICM`` preamble, file meta; ``force=False``), give ``Rows``, ``Columns``
and ``BitsAllocated`` 16 and carry ``PixelData``. Rows × Columns is checked against ``max_pixels``
before anything else touches the pixels, and PixelData is deferred (never loaded): its declared
length must fit in the file (else the file is truncated) and, for native (uncompressed) transfer
syntaxes, cover Rows × Columns × frames × samples × 2 bytes.
"""

from __future__ import annotations

from typing import Any, BinaryIO

import pydicom
from pydicom.errors import InvalidDicomError

from catalog.ingest.errors import IngestError

__all__ = ["check_dicom"]

_DEFER = 4096
_UNDEFINED = 0xFFFFFFFF


def check_dicom(fh: BinaryIO, size: int, rel: str, max_pixels: int) -> None:
    """Validate the DICOM file open as ``fh`` (``size`` bytes); raise IngestError naming ``rel``."""
    fh.seek(0)
    try:
        dataset = pydicom.dcmread(fh, force=False, defer_size=_DEFER)
        _check_dataset(dataset, size, rel, max_pixels)
    except IngestError:
        raise
    except InvalidDicomError:
        raise IngestError(
            rel, None, "is not a DICOM file (no DICM preamble and file meta)"
        ) from None
    except Exception as exc:
        text = str(exc).splitlines()[0][:160] if str(exc) else type(exc).__name__
        raise IngestError(rel, None, f"unreadable DICOM ({text})") from None


def _check_dataset(dataset: Any, size: int, rel: str, max_pixels: int) -> None:
    rows, columns = _positive(dataset, "Rows", rel), _positive(dataset, "Columns", rel)
    if rows * columns > max_pixels:
        message = (
            f"image is {columns:,} × {rows:,} = {rows * columns:,} pixels, more than the limit "
            f"of {max_pixels:,}; refused before decoding (decompression bomb guard)"
        )
        raise IngestError(rel, None, message)
    bits = dataset.get("BitsAllocated")
    if bits != 16:
        raise IngestError(rel, "BitsAllocated", f"is {bits}, expected 16")
    if "PixelData" not in dataset:
        raise IngestError(rel, "PixelData", "missing: the file holds no image")
    native = not dataset.file_meta.TransferSyntaxUID.is_encapsulated
    needed = rows * columns * _count(dataset, "NumberOfFrames") * _count(dataset, "SamplesPerPixel")
    _check_pixel_data(
        dataset.get_item("PixelData", keep_deferred=True), size, needed * 2 if native else 0, rel
    )


def _check_pixel_data(element: Any, size: int, needed: int, rel: str) -> None:
    """PixelData must fit in the file and, when native, hold ``needed`` bytes."""
    value = getattr(element, "value", None)
    length = int(getattr(element, "length", len(value) if value is not None else 0))
    if length == _UNDEFINED:
        return
    tell = getattr(element, "value_tell", None)
    if tell is not None and tell + length > size:
        found = max(0, size - tell)
        message = f"file is truncated (expected {length:,} bytes of pixel data, found {found:,})"
        raise IngestError(rel, "PixelData", message)
    if length < needed:
        message = f"holds {length:,} bytes, expected {needed:,} for the image size it declares"
        raise IngestError(rel, "PixelData", message)


def _positive(dataset: Any, keyword: str, rel: str) -> int:
    value = dataset.get(keyword)
    if not isinstance(value, int) or value <= 0:
        raise IngestError(rel, keyword, "missing" if value is None else f"{value!r} is not > 0")
    return value


def _count(dataset: Any, keyword: str) -> int:
    value = dataset.get(keyword)
    try:
        return max(1, int(value)) if value not in (None, "") else 1
    except (TypeError, ValueError):
        return 1
