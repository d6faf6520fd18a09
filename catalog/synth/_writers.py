"""File writers. Nothing written depends on the clock, host or run: same input, same bytes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import tifffile
from numpy.typing import NDArray
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import UID, ExplicitVRLittleEndian, generate_uid

from catalog.synth._scan import Scan

SOFTWARE = "clearance synth"
# NEMA DICOS "Digital X-Ray Image Storage - For Processing": raw detector counts.
DICOS_DX_FOR_PROCESSING = UID("1.2.840.10008.5.1.4.1.1.501.2.2")


def write_json(path: Path, data: Any) -> int:
    text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    return path.write_bytes(text.encode("utf-8"))


def write_tiff(path: Path, image: NDArray[np.uint16], scan: Scan) -> int:
    """Uncompressed 16-bit greyscale TIFF with the pitch as resolution and the scan time as date."""
    sx, sy = scan.setup.spacing
    tifffile.imwrite(
        path,
        image,
        photometric="minisblack",
        metadata=None,  # no JSON shape description
        software=SOFTWARE,
        datetime=scan.acquired.strftime("%Y:%m:%d %H:%M:%S"),
        resolution=(10.0 / sx, 10.0 / sy),  # pixels per centimetre
        resolutionunit="CENTIMETER",
    )
    return path.stat().st_size


def write_dicos(path: Path, scan: Scan, seed: int) -> int:
    """A DICOS DX object holding the high-energy channel, readable with pydicom."""
    ds = _dicos_dataset(scan, seed)
    ds.save_as(path, enforce_file_format=True)
    return path.stat().st_size


def _uid(seed: int, scan: Scan, what: str) -> UID:
    """Deterministic UID: the same seed and scan give the same UID on every run."""
    return generate_uid(entropy_srcs=["clearance-synth", str(seed), scan.id, what])


def _dicos_dataset(scan: Scan, seed: int) -> Dataset:
    ds = Dataset()
    ds.file_meta = _file_meta(scan, seed)
    ds.SOPClassUID = DICOS_DX_FOR_PROCESSING
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID
    ds.StudyInstanceUID = _uid(seed, scan, "study")
    ds.SeriesInstanceUID = _uid(seed, scan, "series")
    _describe(ds, scan)
    _pixels(ds, scan.high, scan.setup.spacing)
    return ds


def _file_meta(scan: Scan, seed: int) -> FileMetaDataset:
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = DICOS_DX_FOR_PROCESSING
    meta.MediaStorageSOPInstanceUID = _uid(seed, scan, "instance")
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    # Fixed, so the bytes do not change with the installed pydicom version.
    meta.ImplementationClassUID = generate_uid(entropy_srcs=["clearance-synth"])
    meta.ImplementationVersionName = "CLEARANCE_SYNTH"
    return meta


def _describe(ds: Dataset, scan: Scan) -> None:
    when = scan.acquired
    ds.Modality = "DX"
    ds.ImageType = ["ORIGINAL", "PRIMARY"]
    ds.Manufacturer = scan.setup.scanner.manufacturer
    ds.ManufacturerModelName = scan.setup.scanner.model
    ds.KVP = str(scan.setup.scanner.kv[0])
    ds.StudyDate = ds.SeriesDate = ds.ContentDate = when.strftime("%Y%m%d")
    ds.StudyTime = ds.SeriesTime = ds.ContentTime = when.strftime("%H%M%S")
    ds.StudyID, ds.SeriesNumber, ds.InstanceNumber = "1", 1, 1
    ds.SeriesDescription = "high energy channel"
    ds.ContentLabel = scan.id.replace("-", "_")  # CS value: upper case, digits, _ and space


def _pixels(ds: Dataset, image: NDArray[np.uint16], spacing: tuple[float, float]) -> None:
    ds.Rows, ds.Columns = image.shape
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 0
    ds.PixelSpacing = [spacing[1], spacing[0]]  # DICOM order: row spacing, column spacing
    ds.ImagerPixelSpacing = [spacing[1], spacing[0]]
    ds.PixelData = np.ascontiguousarray(image, dtype="<u2").tobytes()
