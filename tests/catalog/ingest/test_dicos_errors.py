"""The original DICOS file: must be DICOM with 16-bit pixel data, checked without decoding."""

from __future__ import annotations

from pathlib import Path

import pytest

from catalog.ingest import read_holding
from tests.catalog.ingest.builders import build_holding, edit_json, only_error, write_dicom

ORIGINAL = "scans/A001/original.dcm"


@pytest.fixture
def holding(tmp_path: Path) -> Path:
    return build_holding(tmp_path / "holding")


def _original(holding: Path) -> Path:
    return holding / "scans" / "A001" / "original.dcm"


def _triple(holding: Path, **kwargs: int) -> tuple[str, str | None, str]:
    error = only_error(holding, **kwargs)
    return error.path, error.field, error.message


def test_dicos_original_missing(holding: Path) -> None:
    _original(holding).unlink()
    assert _triple(holding) == (
        "scans/A001/scan.json", "original", "names 'original.dcm', which does not exist",
    )  # fmt: skip


def test_dicos_original_is_not_dicom(holding: Path) -> None:
    _original(holding).write_bytes(b"UFF2" + b"\x00" * 300)
    assert _triple(holding) == (
        ORIGINAL, None, "is not a DICOM file (no DICM preamble and file meta)",
    )  # fmt: skip


def test_dicos_source_format_needs_dicom_even_under_another_name(holding: Path) -> None:
    _original(holding).rename(holding / "scans" / "A001" / "scan.uff")
    (holding / "scans" / "A001" / "scan.uff").write_bytes(b"not dicom")
    edit_json(holding / "scans" / "A001" / "scan.json", lambda d: d.update(original="scan.uff"))
    assert _triple(holding)[0::2] == (
        "scans/A001/scan.uff", "is not a DICOM file (no DICM preamble and file meta)",
    )  # fmt: skip


def test_uff_original_is_opaque(holding: Path) -> None:
    _original(holding).unlink()
    (holding / "scans" / "A001" / "scan.uff").write_bytes(b"UFF opaque bytes")
    edit_json(
        holding / "scans" / "A001" / "scan.json",
        lambda d: d.update(original="scan.uff", source_format="UFF-2.0"),
    )
    original = read_holding(holding).scans[0].assets[2]
    assert (original.key, original.media_type, original.size) == (
        "original", "application/octet-stream", 16,
    )  # fmt: skip


def test_original_dcm_present_but_not_named(holding: Path) -> None:
    edit_json(
        holding / "scans" / "A001" / "scan.json",
        lambda d: d.update(original=None, source_format="TIFF16"),
    )
    assert _triple(holding) == (ORIGINAL, None, "is present but scan.json says original: null")


def test_bits_allocated_must_be_16(holding: Path) -> None:
    write_dicom(_original(holding), bits=8)
    assert _triple(holding) == (ORIGINAL, "BitsAllocated", "is 8, expected 16")


def test_pixel_data_must_be_present(holding: Path) -> None:
    write_dicom(_original(holding), pixel_data=False)
    assert _triple(holding) == (ORIGINAL, "PixelData", "missing: the file holds no image")


def test_rows_must_be_present(holding: Path) -> None:
    data = _original(holding).read_bytes()
    _original(holding).write_bytes(data[:300])
    path, field, message = _triple(holding)
    assert (path, field, message) == (ORIGINAL, "Rows", "missing")


def test_truncated_pixel_data(holding: Path) -> None:
    data = _original(holding).read_bytes()
    _original(holding).write_bytes(data[:-100])
    assert _triple(holding) == (
        ORIGINAL, "PixelData",
        "file is truncated (expected 1,600 bytes of pixel data, found 1,500)",
    )  # fmt: skip


def test_pixel_data_shorter_than_the_image(holding: Path) -> None:
    write_dicom(_original(holding), rows=20, columns=40)
    data = bytearray(_original(holding).read_bytes())
    rows_at = data.index(b"\x28\x00\x10\x00US\x02\x00") + 8  # (0028,0010) Rows, explicit VR
    data[rows_at : rows_at + 2] = (21).to_bytes(2, "little")
    _original(holding).write_bytes(bytes(data))
    assert _triple(holding) == (
        ORIGINAL, "PixelData", "holds 1,600 bytes, expected 1,680 for the image size it declares",
    )  # fmt: skip


def test_dicom_size_guard(holding: Path) -> None:
    write_dicom(_original(holding), rows=3000, columns=3000, pixel_data=False)
    error = only_error(holding, max_pixels=1_000_000)
    assert (error.path, error.message) == (
        ORIGINAL, "image is 3,000 × 3,000 = 9,000,000 pixels, more than the limit of 1,000,000; "
        "refused before decoding (decompression bomb guard)",
    )  # fmt: skip
