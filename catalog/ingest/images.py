"""16-bit greyscale channel images (TIFF or PNG), checked from bytes already read and hashed.

Order of checks, cheapest and safest first: the content must match the name's extension; the
width × height from the header must not exceed ``max_pixels`` (a decompression bomb is refused
before any pixel is decoded); the pixel type must be one unsigned 16-bit grey channel; the pixel
data must be all there (TIFF: every strip inside the file; PNG: ends with IEND); compressed TIFF
strips must not inflate beyond their share of the image; then every pixel is decoded once.
"""

from __future__ import annotations

import io
import struct
import zlib
from dataclasses import dataclass
from typing import Any

import tifffile
from PIL import Image

from catalog.ingest.errors import IngestError

__all__ = ["ImageInfo", "check_image", "file_limit", "media_type_for_name"]

_TIFF_MAGIC = (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")
_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_PNG_IEND = b"\x00\x00\x00\x00IEND\xaeB`\x82"
_SUFFIXES = {".tif": "image/tiff", ".tiff": "image/tiff", ".png": "image/png"}
_NONE, _DEFLATE, _ADOBE_DEFLATE = 1, 32946, 8
_MINISWHITE, _MINISBLACK = 0, 1
_UINT = 1
_PNG_COLOURS = {0: "grey", 2: "RGB", 3: "palette", 4: "grey + alpha", 6: "RGBA"}
_HEADROOM = 16 << 20


@dataclass(frozen=True)
class ImageInfo:
    """Size and media type of a valid channel image."""

    width: int
    height: int
    media_type: str


def file_limit(max_pixels: int) -> int:
    """Largest file accepted as an image of at most ``max_pixels`` 16-bit pixels."""
    return 2 * max_pixels + _HEADROOM


def media_type_for_name(name: str) -> str | None:
    """``image/tiff`` or ``image/png`` from a file name's extension, None for anything else."""
    suffix = name[name.rfind(".") :].lower() if "." in name else ""
    return _SUFFIXES.get(suffix)


def check_image(data: bytes, rel: str, max_pixels: int) -> ImageInfo:
    """Validate a channel image read into ``data`` (raise IngestError naming ``rel``)."""
    expected = media_type_for_name(rel)
    if expected is None:
        raise IngestError(rel, None, "channel images must be .tiff, .tif or .png files")
    actual = _sniff(data)
    if actual is None:
        raise IngestError(rel, None, "is not a TIFF or PNG image (unrecognised content)")
    if actual != expected:
        raise IngestError(
            rel, None, f"content is {_label(actual)} but the name says {_label(expected)}"
        )
    if actual == "image/png":
        width, height = _check_png(data, rel, max_pixels)
    else:
        width, height = _check_tiff(data, rel, max_pixels)
    return ImageInfo(width, height, actual)


def _sniff(data: bytes) -> str | None:
    if data.startswith(_PNG_MAGIC):
        return "image/png"
    return "image/tiff" if data[:4] in _TIFF_MAGIC else None


def _label(media_type: str) -> str:
    return "PNG" if media_type == "image/png" else "TIFF"


def _guard(width: int, height: int, rel: str, max_pixels: int) -> None:
    """Refuse an image whose header claims more than ``max_pixels`` (before decoding)."""
    if width <= 0 or height <= 0:
        raise IngestError(rel, None, f"image header claims an empty image ({width} × {height})")
    if width * height > max_pixels:
        message = (
            f"image is {width:,} × {height:,} = {width * height:,} pixels, more than the limit "
            f"of {max_pixels:,}; refused before decoding (decompression bomb guard)"
        )
        raise IngestError(rel, None, message)


def _check_png(data: bytes, rel: str, max_pixels: int) -> tuple[int, int]:
    if len(data) < 33 or data[12:16] != b"IHDR":
        raise IngestError(rel, None, "unreadable PNG (no IHDR header)")
    width, height, depth, colour = struct.unpack(">IIBB", data[16:26])
    _guard(width, height, rel, max_pixels)
    if depth != 16 or colour != 0:
        kind = _PNG_COLOURS.get(colour, f"colour type {colour}")
        message = f"not 16-bit greyscale (PNG of {depth}-bit {kind}); expected one uint16 channel"
        raise IngestError(rel, None, message)
    if not data.endswith(_PNG_IEND):
        raise IngestError(
            rel, None, "image is truncated (the PNG does not end with its IEND chunk)"
        )
    try:
        with Image.open(io.BytesIO(data), formats=["PNG"]) as image:
            if image.size != (width, height):
                raise IngestError(rel, None, "unreadable PNG (header size disagrees with Pillow)")
            image.load()
    except IngestError:
        raise
    except Image.DecompressionBombError:
        raise IngestError(rel, None, "image is larger than Pillow's MAX_IMAGE_PIXELS") from None
    except Exception as exc:
        raise IngestError(rel, None, _unreadable("PNG", exc)) from None
    return width, height


def _check_tiff(data: bytes, rel: str, max_pixels: int) -> tuple[int, int]:
    try:
        with tifffile.TiffFile(io.BytesIO(data)) as tif:
            return _check_tiff_page(tif, data, rel, max_pixels)
    except IngestError:
        raise
    except Exception as exc:
        raise IngestError(rel, None, _unreadable("TIFF", exc)) from None


def _check_tiff_page(tif: Any, data: bytes, rel: str, max_pixels: int) -> tuple[int, int]:
    count = len(tif.pages)
    if count == 0:
        raise IngestError(rel, None, "unreadable TIFF (no image directory)")
    if count != 1:
        raise IngestError(rel, None, f"TIFF holds {count} images; expected exactly one")
    page = tif.pages.first
    width, height = int(page.imagewidth), int(page.imagelength)
    _guard(width, height, rel, max_pixels)
    _check_tiff_type(page, rel)
    _check_segments(page, len(data), width * height * 2, rel)
    if int(page.compression) != _NONE:
        _check_inflate(page, data, rel)
    pixels = page.asarray()
    if pixels.shape != (height, width) or pixels.dtype.kind != "u" or pixels.dtype.itemsize != 2:
        raise IngestError(rel, None, f"decoded to {pixels.dtype} {pixels.shape}, not uint16")
    return width, height


def _check_tiff_type(page: Any, rel: str) -> None:
    spp, bits = int(page.samplesperpixel), int(page.bitspersample)
    fmt, photometric = int(page.sampleformat), int(page.photometric)
    if int(page.imagedepth) != 1:
        raise IngestError(rel, None, f"TIFF is a volume of depth {page.imagedepth}; expected 2D")
    if spp != 1 or bits != 16 or fmt != _UINT or photometric not in (_MINISBLACK, _MINISWHITE):
        kind = f"{spp} sample(s) of {bits} bits, {_name(tifffile.SAMPLEFORMAT, fmt)}"
        kind += f", {_name(tifffile.PHOTOMETRIC, photometric)}"
        raise IngestError(rel, None, f"not 16-bit greyscale ({kind}); expected one uint16 channel")
    compression = int(page.compression)
    if compression not in (_NONE, _DEFLATE, _ADOBE_DEFLATE):
        name = _name(tifffile.COMPRESSION, compression)
        message = f"TIFF compression {name} is not supported (none or deflate)"
        raise IngestError(rel, None, message)


def _check_segments(page: Any, size: int, raw_bytes: int, rel: str) -> None:
    """Every strip or tile must lie inside the file; uncompressed ones must hold every pixel."""
    offsets, counts = page.dataoffsets, page.databytecounts
    for index, count in enumerate(counts):
        if count == 0:
            raise IngestError(
                rel, None, f"image is incomplete (strip {index} of {len(counts)} has no data)"
            )
    promised = sum(counts)
    expected = max(promised, raw_bytes) if int(page.compression) == _NONE else promised
    found = sum(
        max(0, min(offset + count, size) - offset)
        for offset, count in zip(offsets, counts, strict=True)
    )
    if found < expected:
        message = f"image is truncated (expected {expected:,} bytes of pixel data, found {found:,})"
        raise IngestError(rel, None, message)


def _check_inflate(page: Any, data: bytes, rel: str) -> None:
    """No deflate strip may inflate beyond its share of the image (bounded, nothing kept)."""
    limit = 2
    for extent in page.chunks:
        limit *= int(extent)
    view = memoryview(data)
    for index, (offset, count) in enumerate(
        zip(page.dataoffsets, page.databytecounts, strict=True)
    ):
        inflater = zlib.decompressobj()
        try:
            out = inflater.decompress(view[offset : offset + count], limit + 1)
        except zlib.error as exc:
            raise IngestError(rel, None, f"unreadable TIFF (strip {index}: {exc})") from None
        if len(out) > limit or inflater.unconsumed_tail:
            message = (
                f"compressed strip {index} inflates beyond {limit:,} bytes (decompression bomb)"
            )
            raise IngestError(rel, None, message)


def _name(enum: Any, value: int) -> str:
    """The TIFF enumeration name of a tag value (``UINT``, ``MINISBLACK``), or the number."""
    try:
        return str(enum(value).name)
    except ValueError:
        return str(value)


def _unreadable(kind: str, exc: Exception) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    if "truncated" in text.lower():
        return f"image is truncated ({text[:160]})"
    return f"unreadable {kind} ({text[:160]})"
