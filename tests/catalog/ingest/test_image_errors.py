"""Channel images: unreadable, truncated, wrong pixel type, too large (refused before decoding)."""

from __future__ import annotations

import zlib
from pathlib import Path

import numpy as np
import pytest
import tifffile
from PIL import Image

from catalog.ingest import IngestError, read_holding
from catalog.ingest import images as ingest_images
from tests.catalog.ingest.builders import (
    A_SHAPE,
    build_holding,
    edit_json,
    errors_of,
    only_error,
    png_header_only,
    raw_tiff,
    write_tiff,
)

LOW = "scans/A001/low.tiff"
PNG = "scans/B002/high.png"


@pytest.fixture
def holding(tmp_path: Path) -> Path:
    return build_holding(tmp_path / "holding")


def _low(holding: Path) -> Path:
    return holding / "scans" / "A001" / "low.tiff"


def _png(holding: Path) -> Path:
    return holding / "scans" / "B002" / "high.png"


@pytest.fixture
def no_decoding(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail if any pixel decoder runs."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("pixels were decoded")

    monkeypatch.setattr(Image, "open", refuse)
    monkeypatch.setattr(tifffile.TiffPage, "asarray", refuse)


def test_truncated_tiff(holding: Path) -> None:
    write_tiff(holding / "scans" / "A001" / "high.tiff", 300, 700)
    write_tiff(_low(holding), 300, 700)
    edit_json(holding / "annotations.json", lambda d: d["images"][0].update(width=700, height=300))
    _low(holding).write_bytes(_low(holding).read_bytes()[:-20_000])
    error = only_error(holding)
    assert (error.path, error.field, error.message) == (
        LOW, None, "image is truncated (expected 420,000 bytes of pixel data, found 400,000)",
    )  # fmt: skip
    assert str(error) == (
        "scans/A001/low.tiff: image is truncated (expected 420,000 bytes of pixel data, "
        "found 400,000)"
    )


def test_truncated_compressed_tiff(holding: Path) -> None:
    data = _low(holding).read_bytes()
    _low(holding).write_bytes(data[:-40])
    error = only_error(holding)
    assert error.path == LOW
    assert error.message.startswith("image is truncated (expected ")


def test_truncated_png(holding: Path) -> None:
    data = _png(holding).read_bytes()
    _png(holding).write_bytes(data[:-30])
    assert only_error(holding).message == (
        "image is truncated (the PNG does not end with its IEND chunk)"
    )


def test_unreadable_tiff(holding: Path) -> None:
    _low(holding).write_bytes(b"II*\x00" + b"\xff" * 100)
    error = only_error(holding)
    assert (error.path, error.field) == (LOW, None)
    assert error.message == "unreadable TIFF (no image directory)"


def test_not_an_image(holding: Path) -> None:
    _low(holding).write_bytes(b"hello world")
    assert only_error(holding).message == "is not a TIFF or PNG image (unrecognised content)"


def test_png_content_under_tiff_name(holding: Path) -> None:
    _low(holding).write_bytes(_png(holding).read_bytes())
    assert only_error(holding).message == "content is PNG but the name says TIFF"


def test_8_bit_tiff(holding: Path) -> None:
    tifffile.imwrite(_low(holding), np.zeros(A_SHAPE, np.uint8))
    assert only_error(holding).message == (
        "not 16-bit greyscale (1 sample(s) of 8 bits, UINT, MINISBLACK); "
        "expected one uint16 channel"
    )


def test_signed_16_bit_tiff(holding: Path) -> None:
    tifffile.imwrite(_low(holding), np.zeros(A_SHAPE, np.int16))
    assert "INT, MINISBLACK" in only_error(holding).message


def test_rgb_tiff(holding: Path) -> None:
    tifffile.imwrite(_low(holding), np.zeros((*A_SHAPE, 3), np.uint16), photometric="rgb")
    assert only_error(holding).message == (
        "not 16-bit greyscale (3 sample(s) of 16 bits, UINT, RGB); expected one uint16 channel"
    )


def test_multi_page_tiff(holding: Path) -> None:
    tifffile.imwrite(_low(holding), np.zeros((2, *A_SHAPE), np.uint16))
    assert only_error(holding).message == "TIFF holds 2 images; expected exactly one"


def test_8_bit_png(holding: Path) -> None:
    Image.fromarray(np.zeros((16, 30), np.uint8)).save(_png(holding), format="PNG")
    assert only_error(holding).message == (
        "not 16-bit greyscale (PNG of 8-bit grey); expected one uint16 channel"
    )


def test_rgb_png(holding: Path) -> None:
    Image.fromarray(np.zeros((16, 30, 3), np.uint8)).save(_png(holding), format="PNG")
    assert only_error(holding).path == PNG
    assert only_error(holding).message == (
        "not 16-bit greyscale (PNG of 8-bit RGB); expected one uint16 channel"
    )


def test_high_and_low_of_different_shapes(holding: Path) -> None:
    write_tiff(_low(holding), 21, 40)
    assert (only_error(holding).path, only_error(holding).message) == (
        LOW,
        "low channel is 40 × 21 but the high channel 'scans/A001/high.tiff' is 40 × 20; "
        "both channels must have the same shape",
    )


def test_png_decompression_bomb_refused_before_decoding(holding: Path) -> None:
    png_header_only(_png(holding), 30_000, 30_000)
    assert _png(holding).stat().st_size < 200
    error = only_error(holding)  # refused from the header (test_*_never_reaches_* below)
    assert (error.path, error.field, error.message) == (
        PNG, None,
        "image is 30,000 × 30,000 = 900,000,000 pixels, more than the limit of 64,000,000; "
        "refused before decoding (decompression bomb guard)",
    )  # fmt: skip


def test_png_bomb_never_reaches_pillow(tmp_path: Path, no_decoding: None) -> None:
    png_header_only(tmp_path / "bomb.png", 30_000, 30_000)
    with pytest.raises(IngestError, match="refused before decoding"):
        ingest_images.check_image((tmp_path / "bomb.png").read_bytes(), "bomb.png", 64_000_000)


def test_tiff_header_bomb_refused_before_decoding(holding: Path) -> None:
    raw_tiff(_low(holding), 100_000, 50_000, zlib.compress(b"\x00" * 4096))
    error = only_error(holding)
    assert (error.path, error.message) == (
        LOW, "image is 100,000 × 50,000 = 5,000,000,000 pixels, more than the limit of "
        "64,000,000; refused before decoding (decompression bomb guard)",
    )  # fmt: skip


def test_tiff_bomb_never_reaches_the_decoder(tmp_path: Path, no_decoding: None) -> None:
    raw_tiff(tmp_path / "bomb.tiff", 100_000, 50_000, zlib.compress(b"\x00" * 4096))
    with pytest.raises(IngestError, match="refused before decoding"):
        ingest_images.check_image((tmp_path / "bomb.tiff").read_bytes(), "bomb.tiff", 64_000_000)


def test_compressed_strip_bomb_is_bounded(holding: Path) -> None:
    """A 40 × 20 header whose one deflate strip would inflate to 64 MiB."""
    bomb = zlib.compress(b"\x00" * (64 << 20), 9)
    assert len(bomb) < 100_000
    raw_tiff(_low(holding), 40, 20, bomb)
    error = only_error(holding)  # refused from the header (test_*_never_reaches_* below)
    assert error.message == "compressed strip 0 inflates beyond 1,600 bytes (decompression bomb)"


def test_valid_hand_made_deflate_tiff_is_accepted(holding: Path) -> None:
    """The raw_tiff helper itself makes a readable image when the strip is right."""
    pixels = np.arange(800, dtype="<u2").reshape(20, 40)
    raw_tiff(_low(holding), 40, 20, zlib.compress(pixels.tobytes()))
    assert read_holding(holding).scans[0].assets[1].size == _low(holding).stat().st_size


def test_max_pixels_is_configurable(holding: Path) -> None:
    errors = errors_of(holding, max_pixels=700)
    assert [(e.path, e.message) for e in errors] == [
        ("scans/A001/high.tiff", "image is 40 × 20 = 800 pixels, more than the limit of 700; "
         "refused before decoding (decompression bomb guard)"),
        (LOW, "image is 40 × 20 = 800 pixels, more than the limit of 700; "
         "refused before decoding (decompression bomb guard)"),
        ("scans/A001/original.dcm", "image is 40 × 20 = 800 pixels, more than the limit of 700; "
         "refused before decoding (decompression bomb guard)"),
    ]  # fmt: skip


def test_file_larger_than_any_allowed_image(holding: Path) -> None:
    limit = ingest_images.file_limit(10)
    with _low(holding).open("r+b") as fh:
        fh.truncate(limit + 1)
    errors = errors_of(holding, max_pixels=10)
    low = [e for e in errors if e.path == LOW]
    assert low[0].message == f"file is too large ({limit + 1:,} bytes, limit {limit:,})"


def test_unsupported_extension(holding: Path) -> None:
    (holding / "scans" / "A001" / "low.tiff").rename(holding / "scans" / "A001" / "low.jpg")
    edit_json(
        holding / "scans" / "A001" / "scan.json",
        lambda d: d["energies"][1].__setitem__("file", "low.jpg"),
    )
    error = only_error(holding)
    assert (error.path, error.message) == (
        "scans/A001/low.jpg", "channel images must be .tiff, .tif or .png files",
    )  # fmt: skip
