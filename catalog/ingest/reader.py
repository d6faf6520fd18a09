"""Read and validate a holding folder for ``clearance publish``: :func:`read_holding`.

Scan folders are read in sorted order, each file once: sidecar, channel images (hashed while read,
then decoded from the same bytes), the original scanner file (streamed), then ``annotations.json``
is checked against what the scans turned out to be. Every problem is collected (up to 50) and
raised as one :class:`~catalog.ingest.errors.IngestErrors`; nothing is returned unless the whole
folder is valid.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from types import MappingProxyType
from typing import Any

from catalog.ingest import images
from catalog.ingest.coco import REL as COCO_REL
from catalog.ingest.coco import UNKNOWN_SCANS, CocoResult, ScanImage, parse_coco, scan_document
from catalog.ingest.dicos import check_dicom
from catalog.ingest.errors import IngestError, IngestErrors, Problems
from catalog.ingest.jsonio import load_json
from catalog.ingest.model import AssetFile, Energy, Holding, Scan
from catalog.ingest.paths import (
    hash_file,
    open_regular,
    read_file,
    resolve_dir,
    resolve_inside,
)
from catalog.ingest.sidecar import SCAN_ID, EnergyRef, Sidecar, file_refs, parse_sidecar

__all__ = ["DEFAULT_MAX_PIXELS", "read_holding"]

#: Largest image (width × height) accepted by default: 64 megapixels.
DEFAULT_MAX_PIXELS = 64_000_000
_SIDECAR_LIMIT = 1 << 20
_COCO_LIMIT = 1 << 30
_SCANS = PurePosixPath("scans")
_MEDIA_TYPES = {".dcm": "application/dicom", ".tif": "image/tiff", ".tiff": "image/tiff"}


@dataclass
class _ScanParts:
    """What one scan folder gave: its sidecar (None if invalid), image, assets, its own errors."""

    folder: str
    raw_id: str | None = None
    sidecar: Sidecar | None = None
    image: ScanImage = field(default_factory=lambda: ScanImage(None))
    assets: list[AssetFile] = field(default_factory=list)


def read_holding(folder: Path, *, max_pixels: int = DEFAULT_MAX_PIXELS) -> Holding:
    """Validate the holding folder and return it, or raise IngestErrors listing every problem."""
    if max_pixels < 1:
        raise ValueError("max_pixels must be at least 1")
    root = _root(Path(folder))
    problems = Problems()
    names = _scan_folders(root, problems)
    parts: list[_ScanParts] = []
    for name in names or []:
        if problems.full:
            break
        parts.append(_read_scan(root, name, max_pixels, problems))
    _check_duplicate_ids(parts, problems)
    scans = {part.folder: part.image for part in parts} if names is not None else UNKNOWN_SCANS
    coco = None if problems.full else _read_coco(root, scans, problems)
    problems.raise_if_any()
    assert coco is not None
    read = tuple(_assemble(root, part, coco) for part in parts)
    return Holding(root, read, MappingProxyType(coco.categories))


def _root(folder: Path) -> Path:
    try:
        root = folder.resolve(strict=True)
    except (OSError, RuntimeError):
        raise IngestErrors([IngestError(".", None, "holding folder does not exist")]) from None
    if not root.is_dir():
        raise IngestErrors([IngestError(".", None, "holding folder is not a folder")])
    return root


def _scan_folders(root: Path, problems: Problems) -> list[str] | None:
    """The scan folder names, sorted; None (reported) when ``scans`` is not a usable folder."""
    try:
        scans = resolve_dir(root, _SCANS)
    except IngestError as error:
        problems.add_error(error)
        return None
    names = sorted(os.listdir(scans))
    if not names:
        problems.add(str(_SCANS), None, "holds no scan folders")
    return names


def _read_scan(root: Path, name: str, max_pixels: int, problems: Problems) -> _ScanParts:
    """Read one scan folder; its problems go to ``problems``."""
    rel_dir = _SCANS / name
    parts = _ScanParts(name)
    if not SCAN_ID.fullmatch(name):
        message = (
            f"folder name {name!r} is not a valid scan id (^[A-Za-z0-9][A-Za-z0-9._-]{{0,127}}$)"
        )
        problems.add(str(rel_dir), None, message)
        return parts
    try:
        resolve_dir(root, rel_dir)
    except IngestError as error:
        problems.add_error(error)
        return parts
    doc = _load(root, rel_dir / "scan.json", _SIDECAR_LIMIT, problems)
    if doc is None:
        return parts
    before = problems.count
    parts.raw_id = _raw_id(doc)
    sidecar = parse_sidecar(doc, str(rel_dir / "scan.json"), name, problems)
    refs, original = (list(sidecar.energies), sidecar.original) if sidecar else file_refs(doc)
    _read_channels(root, rel_dir, refs, max_pixels, parts, problems)
    dicos = _is_dicos(sidecar, doc, original)
    _read_original(root, rel_dir, original, dicos, max_pixels, parts, problems)
    if sidecar is not None and original is None:
        _check_no_stray_original(root, rel_dir, problems)
    parts.sidecar = sidecar if problems.count == before else None
    return parts


def _raw_id(doc: Any) -> str | None:
    """The sidecar's ``id`` as written (for the duplicate check), if it is a string."""
    value = doc.get("id") if isinstance(doc, dict) else None
    return value if isinstance(value, str) else None


def _check_no_stray_original(root: Path, rel_dir: PurePosixPath, problems: Problems) -> None:
    """An ``original.dcm`` the sidecar does not name would silently not be published."""
    if os.path.lexists(root / rel_dir / "original.dcm"):
        message = "is present but scan.json says original: null"
        problems.add(str(rel_dir / "original.dcm"), None, message)


def _read_channels(
    root: Path,
    rel_dir: PurePosixPath,
    refs: list[EnergyRef],
    max_pixels: int,
    parts: _ScanParts,
    problems: Problems,
) -> None:
    """Read, hash and decode each channel image; record the high channel for COCO."""
    sizes: dict[str, tuple[str, int, int]] = {}
    for ref in refs:
        rel = rel_dir / ref.name
        missing = IngestError(
            str(rel_dir / "scan.json"),
            f"energies[{ref.index}].file",
            f"names {str(ref.name)!r}, which does not exist",
        )
        try:
            path = resolve_inside(root, rel, missing=missing)
            data, digest = read_file(path, str(rel), limit=images.file_limit(max_pixels))
            info = images.check_image(data, str(rel), max_pixels)
        except IngestError as error:
            problems.add_error(error)
            sizes.setdefault(ref.channel, (str(rel), 0, 0))
            continue
        del data
        sizes[ref.channel] = (str(rel), info.width, info.height)
        parts.assets.append(
            AssetFile(ref.channel, root / rel, info.media_type, digest.size, digest.sha256_hex)
        )
    _check_same_size(sizes, problems)
    if "high" in sizes:
        high, width, height = sizes["high"]
        parts.image = ScanImage(high, width or None, height or None)


def _check_same_size(sizes: dict[str, tuple[str, int, int]], problems: Problems) -> None:
    if "high" not in sizes or "low" not in sizes:
        return
    (high, high_w, high_h), (low, low_w, low_h) = sizes["high"], sizes["low"]
    if high_w and low_w and (high_w, high_h) != (low_w, low_h):
        message = (
            f"low channel is {low_w} × {low_h} but the high channel {high!r} is {high_w} × {high_h}"
        )
        problems.add(low, None, f"{message}; both channels must have the same shape")


def _read_original(
    root: Path,
    rel_dir: PurePosixPath,
    name: PurePosixPath | None,
    dicos: bool,
    max_pixels: int,
    parts: _ScanParts,
    problems: Problems,
) -> None:
    """Stream-hash the original scanner file; check it as DICOM when it is DICOS."""
    if name is None:
        return
    rel = rel_dir / name
    missing = IngestError(
        str(rel_dir / "scan.json"), "original", f"names {str(name)!r}, which does not exist"
    )
    try:
        path = resolve_inside(root, rel, missing=missing)
        with open_regular(path, str(rel)) as fh:
            digest = hash_file(fh)
            if dicos:
                check_dicom(fh, digest.size, str(rel), max_pixels)
    except IngestError as error:
        problems.add_error(error)
        return
    media_type = (
        "application/dicom"
        if dicos
        else _MEDIA_TYPES.get(name.suffix.lower(), "application/octet-stream")
    )
    parts.assets.append(
        AssetFile("original", root / rel, media_type, digest.size, digest.sha256_hex)
    )


def _is_dicos(sidecar: Sidecar | None, doc: Any, original: PurePosixPath | None) -> bool:
    """True when the original must be DICOM: DICOS-v03 source format, or a ``.dcm`` name."""
    source_format = (
        sidecar.source_format
        if sidecar
        else (doc.get("source_format") if isinstance(doc, dict) else None)
    )
    return source_format == "DICOS-v03" or (
        original is not None and original.suffix.lower() == ".dcm"
    )


def _check_duplicate_ids(parts: list[_ScanParts], problems: Problems) -> None:
    first: dict[str, str] = {}
    for part in parts:
        if part.raw_id is None:
            continue
        if part.raw_id in first:
            rel = str(_SCANS / part.folder / "scan.json")
            message = (
                f"duplicate scan id {part.raw_id!r} (also in scans/{first[part.raw_id]}/scan.json)"
            )
            problems.add(rel, "id", message)
        else:
            first[part.raw_id] = part.folder


def _read_coco(root: Path, scans: Mapping[str, ScanImage], problems: Problems) -> CocoResult | None:
    doc = _load(root, PurePosixPath(COCO_REL), _COCO_LIMIT, problems)
    if doc is None:
        return None
    return parse_coco(doc, scans, problems)


def _load(root: Path, rel: PurePosixPath, limit: int, problems: Problems) -> Any:
    """Read and decode a JSON file inside the holding; None (reported) when that fails."""
    try:
        path = resolve_inside(root, rel)
        data, _ = read_file(path, str(rel), limit=limit)
        return load_json(data, str(rel))
    except IngestError as error:
        problems.add_error(error)
        return None


def _assemble(root: Path, parts: _ScanParts, coco: CocoResult) -> Scan:
    """Build the Scan of a folder that had no problem at all."""
    sidecar, labels = parts.sidecar, coco.scans[parts.folder]
    assert sidecar is not None
    assert parts.image.width is not None
    assert parts.image.height is not None
    scan_dir = root / _SCANS / parts.folder
    data = scan_document(labels, coco)
    annotations = AssetFile(
        "annotations", None, "application/json", len(data), hashlib.sha256(data).hexdigest(), data
    )
    return Scan(
        sidecar=sidecar,
        energies=tuple(Energy(e.channel, e.kv, scan_dir / e.name) for e in sidecar.energies),
        original=scan_dir / sidecar.original if sidecar.original else None,
        width=parts.image.width,
        height=parts.image.height,
        annotations=tuple(labels.annotations),
        coco=json.loads(data),
        assets=(*parts.assets, annotations),
    )
