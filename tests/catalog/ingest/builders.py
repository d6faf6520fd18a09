"""Small holding folders built from scratch for the ingest tests (no dependency on catalog.synth).

:func:`build_holding` writes a valid two-scan holding:

- ``A001``: dual-energy sea container, ``high.tiff`` + ``low.tiff`` (40 × 20, uint16), DICOS
  ``original.dcm``, two annotations (one touching the right and bottom edges exactly);
- ``B002``: single-energy parcel, ``high.png`` (30 × 16, 16-bit grey PNG), no original, one
  annotation without ``area``, a +02:00 datetime.
"""

from __future__ import annotations

import json
import struct
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pydicom
import tifffile
from PIL import Image
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import UID, ExplicitVRLittleEndian

from catalog.ingest import IngestError, IngestErrors, read_holding

A_SHAPE = (20, 40)  # (height, width)
B_SHAPE = (16, 30)

CATEGORIES: list[dict[str, Any]] = [
    {"id": 1, "name": "Revolvers and pistols", "supercategory": "93", "hs_code": "9302",
     "hs_edition": "HS2022"},
    {"id": 2, "name": "Cigarettes", "supercategory": "24", "hs_code": "240220",
     "hs_edition": "HS2022"},
    {"id": 3, "name": "Fish, frozen", "supercategory": "03", "hs_code": "0303",
     "hs_edition": "HS2022"},
]  # fmt: skip


def pixels(height: int, width: int, seed: int = 0) -> np.ndarray[Any, np.dtype[np.uint16]]:
    """A deterministic uint16 image that uses the high byte too."""
    values = (np.arange(height * width, dtype=np.uint32) * 977 + seed * 131) % 65536
    return values.astype(np.uint16).reshape(height, width)


def write_tiff(path: Path, height: int, width: int, seed: int = 0, **kwargs: Any) -> None:
    tifffile.imwrite(path, pixels(height, width, seed), **kwargs)


def write_png(path: Path, height: int, width: int, seed: int = 0) -> None:
    Image.fromarray(pixels(height, width, seed)).save(path, format="PNG")


def write_dicom(
    path: Path, rows: int = 20, columns: int = 40, *, bits: int = 16, pixel_data: bool = True
) -> None:
    """A tiny DICOS-like DICOM file (explicit VR little endian, MONOCHROME2)."""
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = UID("1.2.840.10008.5.1.4.1.1.501.1")
    meta.MediaStorageSOPInstanceUID = UID("1.2.826.0.1.3680043.8.498.1")
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID = meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.Rows, ds.Columns = rows, columns
    ds.BitsAllocated, ds.BitsStored, ds.HighBit = bits, bits, bits - 1
    ds.PixelRepresentation, ds.SamplesPerPixel = 0, 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    if pixel_data:
        ds.PixelData = pixels(rows, columns).tobytes()
    ds.save_as(path, enforce_file_format=True)


def sidecar_a() -> dict[str, Any]:
    return {
        "id": "A001",
        "datetime": "2024-03-01T10:20:30Z",
        "modality": "transmission-dual-energy",
        "conveyance": "sea-container",
        "container_type": "45G1",
        "energy_profile": "linac",
        "energies": [
            {"channel": "high", "kv": 6000, "file": "high.tiff"},
            {"channel": "low", "kv": 4000, "file": "low.tiff"},
        ],
        "scanner": {"manufacturer": "Acme Imaging", "model": "LX-6"},
        "pixel_spacing_mm": [4.5, 3.75],
        "views": ["side", "top"],
        "source_format": "DICOS-v03",
        "original": "original.dcm",
        "declared_hs_codes": ["9302", "240220"],
        "inspection_outcome": "seized",
        "synthetic": False,
    }


def sidecar_b() -> dict[str, Any]:
    return {
        "id": "B002",
        "datetime": "2024-03-02T00:00:00.5+02:00",
        "modality": "transmission-single-energy",
        "conveyance": "parcel",
        "container_type": None,
        "energy_profile": "tube",
        "energies": [{"channel": "high", "kv": 140, "file": "high.png"}],
        "scanner": {"manufacturer": "Beta", "model": "P 1"},
        "pixel_spacing_mm": [0.8, 0.8],
        "views": ["top"],
        "source_format": "TIFF16",
        "original": None,
        "declared_hs_codes": [],
        "inspection_outcome": "cleared",
        "synthetic": True,
    }


def coco() -> dict[str, Any]:
    return {
        "info": {"description": "test holding", "version": "1"},
        "licenses": [{"id": 1, "name": "internal"}],
        "images": [
            {"id": 1, "file_name": "scans/A001/high.tiff", "width": 40, "height": 20},
            {"id": 2, "file_name": "scans/B002/high.png", "width": 30, "height": 16},
        ],
        "annotations": [
            {"id": 10, "image_id": 1, "category_id": 1, "bbox": [30, 12, 10, 8], "area": 55.5,
             "iscrowd": 0},
            {"id": 11, "image_id": 1, "category_id": 2, "bbox": [0.5, 1.25, 4, 2], "area": 8,
             "iscrowd": 0},
            {"id": 12, "image_id": 2, "category_id": 1, "bbox": [1, 2, 3, 4], "iscrowd": 0},
        ],
        "categories": [dict(category) for category in CATEGORIES],
    }  # fmt: skip


def build_holding(root: Path) -> Path:
    """Write the valid two-scan holding at ``root`` and return ``root``."""
    a, b = root / "scans" / "A001", root / "scans" / "B002"
    a.mkdir(parents=True)
    b.mkdir(parents=True)
    write_json(a / "scan.json", sidecar_a())
    write_tiff(a / "high.tiff", *A_SHAPE, seed=1)
    write_tiff(a / "low.tiff", *A_SHAPE, seed=2, compression="zlib")
    write_dicom(a / "original.dcm", *A_SHAPE)
    write_json(b / "scan.json", sidecar_b())
    write_png(b / "high.png", *B_SHAPE, seed=3)
    write_json(root / "annotations.json", coco())
    return root


def write_json(path: Path, value: Any) -> None:
    path.write_text(json.dumps(value, indent=2), encoding="utf-8")


def edit_json(path: Path, change: Callable[[Any], object]) -> None:
    """Apply ``change`` to the decoded file in place (its return value is ignored), rewrite it."""
    value = json.loads(path.read_text(encoding="utf-8"))
    change(value)
    write_json(path, value)


def errors_of(folder: Path, **kwargs: Any) -> list[IngestError]:
    """The problems read_holding reports for ``folder`` (fails the test if it reads fine)."""
    try:
        read_holding(folder, **kwargs)
    except IngestErrors as exc:
        return list(exc.errors)
    raise AssertionError(f"{folder} was read without error")


def only_error(folder: Path, **kwargs: Any) -> IngestError:
    """The single problem read_holding reports for ``folder``."""
    errors = errors_of(folder, **kwargs)
    assert len(errors) == 1, "\n".join(map(str, errors))
    return errors[0]


def png_header_only(path: Path, width: int, height: int) -> None:
    """A PNG whose IHDR claims 16-bit grey ``width`` × ``height`` with (almost) no data."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    ihdr = struct.pack(">IIBBBBB", width, height, 16, 0, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 64)
    data = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")
    path.write_bytes(data)


def raw_tiff(path: Path, width: int, height: int, strip: bytes, *, compression: int = 8) -> None:
    """A one-strip little-endian 16-bit grey TIFF with the given header size and strip bytes."""
    tags = [  # (tag, type, value): type 3 SHORT, 4 LONG
        (256, 4, width), (257, 4, height), (258, 3, 16), (259, 3, compression), (262, 3, 1),
        (273, 4, 0), (277, 3, 1), (278, 4, height), (279, 4, len(strip)), (339, 3, 1),
    ]  # fmt: skip
    offset = 8 + 2 + 12 * len(tags) + 4
    ifd = struct.pack("<H", len(tags))
    for tag, kind, value in tags:
        value = offset if tag == 273 else value
        ifd += struct.pack("<HHI", tag, kind, 1)
        ifd += struct.pack("<HH", value, 0) if kind == 3 else struct.pack("<I", value)
    path.write_bytes(b"II*\x00" + struct.pack("<I", 8) + ifd + struct.pack("<I", 0) + strip)


def read_pydicom(path: Path) -> Any:
    return pydicom.dcmread(path)
