"""generate_holding: a whole holding folder, written aside and moved into place at the end."""

from __future__ import annotations

import math
import os
import re
import secrets
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

from catalog.synth._categories import CATEGORIES
from catalog.synth._scan import Scan, make_scan
from catalog.synth._setup import KINDS, Kind
from catalog.synth._writers import write_dicos, write_json, write_tiff

MAX_COUNT = 999_999  # scan ids carry six digits
ADMIN_CODE = re.compile(r"[A-Z]{3}")


@dataclass(frozen=True)
class SynthSummary:
    """What generate_holding wrote. `categories` counts the categories listed in annotations.json
    (the whole fixed table), not only those with objects."""

    scans: int
    objects: int
    categories: int
    bytes_written: int


def generate_holding(
    out: Path,
    *,
    kind: Literal["cargo", "parcel"],
    count: int,
    seed: int,
    admin: str = "NLD",
    progress: Callable[[int, int], None] | None = None,
) -> SynthSummary:
    """Write a synthetic holding folder (docs/formats.md) of `count` dual-energy scans at `out`.

    The same arguments give byte-identical files. `out` must not exist or be an empty folder; the
    holding is built in a hidden sibling folder and renamed into place, so a failed run leaves
    nothing behind. ``progress(done, count)`` is called after each scan written.
    """
    out = Path(os.path.abspath(out))  # so that "." or "x/.." still has a real name and parent
    _check(out, kind, count, seed, admin)
    out.parent.mkdir(parents=True, exist_ok=True)
    # Not tempfile.mkdtemp: its 0700 mode would stay on the holding after the rename.
    work = out.parent / f".{out.name}.{secrets.token_hex(6)}.partial"
    work.mkdir()
    try:
        summary = _write_holding(work, kind, count, seed, admin, progress)
        if out.exists():
            out.rmdir()  # empty, checked above; fails loudly if something appeared since
        work.rename(out)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return summary


def _check(out: Path, kind: str, count: int, seed: int, admin: str) -> None:
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}: expected one of {', '.join(KINDS)}")
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_COUNT:
        raise ValueError(f"count must be an integer from 1 to {MAX_COUNT}, got {count!r}")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    if not isinstance(admin, str) or not ADMIN_CODE.fullmatch(admin):
        raise ValueError(f"admin must be 3 upper-case letters (ISO 3166-1 alpha-3), got {admin!r}")
    if out.exists() and not out.is_dir():
        raise ValueError(f"refusing to overwrite {out}: it exists and is not a folder")
    if out.is_dir() and any(out.iterdir()):
        raise ValueError(f"refusing to overwrite {out}: the folder is not empty")


def _write_holding(
    root: Path, kind: Kind, count: int, seed: int, admin: str,
    progress: Callable[[int, int], None] | None,
) -> SynthSummary:  # fmt: skip
    dicos = _dicos_indices(seed, count)
    images: list[dict[str, Any]] = []
    annotations: list[dict[str, Any]] = []
    written = 0
    for index in range(1, count + 1):
        scan = make_scan(seed, kind, admin, index, index in dicos)
        written += _write_scan(root / "scans" / scan.id, scan, seed)
        images.append(_coco_image(index, scan))
        annotations.extend(_coco_annotations(index, len(annotations) + 1, scan))
        if progress is not None:
            progress(index, count)
    coco = {
        "info": {"description": f"Clearance synthetic {kind} holding", "contributor": admin},
        "licenses": [],
        "images": images,
        "annotations": annotations,
        "categories": [c.coco() for c in CATEGORIES],
    }
    written += write_json(root / "annotations.json", coco)
    return SynthSummary(count, len(annotations), len(CATEGORIES), written)


def _dicos_indices(seed: int, count: int) -> set[int]:
    """About one scan in four (at least one) came from a DICOS scanner."""
    rng = np.random.Generator(np.random.PCG64(seed))
    picks = rng.choice(count, size=math.ceil(count / 4), replace=False)
    return {int(i) + 1 for i in picks}


def _write_scan(folder: Path, scan: Scan, seed: int) -> int:
    folder.mkdir(parents=True)
    written = write_tiff(folder / "high.tiff", scan.high, scan)
    written += write_tiff(folder / "low.tiff", scan.low, scan)
    if scan.sidecar["original"] is not None:
        written += write_dicos(folder / scan.sidecar["original"], scan, seed)
    return written + write_json(folder / "scan.json", scan.sidecar)


def _coco_image(image_id: int, scan: Scan) -> dict[str, Any]:
    return {
        "id": image_id,
        "file_name": f"scans/{scan.id}/high.tiff",
        "width": scan.setup.width,
        "height": scan.setup.height,
    }


def _coco_annotations(image_id: int, first_id: int, scan: Scan) -> list[dict[str, Any]]:
    return [
        {
            "id": first_id + n,
            "image_id": image_id,
            "category_id": obj.category.id,
            "bbox": list(obj.bbox),
            "area": obj.area,
            "iscrowd": 0,
        }
        for n, obj in enumerate(scan.objects)
    ]
