"""A valid holding reads back with exact values, hashes and per-scan COCO documents."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from catalog.ingest import Annotation, Category, Energy, Holding, read_holding
from tests.catalog.ingest.builders import CATEGORIES, build_holding, coco


@pytest.fixture
def holding(tmp_path: Path) -> Path:
    return build_holding(tmp_path / "holding")


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_holding_and_categories(holding: Path) -> None:
    result = read_holding(holding)
    assert isinstance(result, Holding)
    assert result.folder == holding.resolve()
    assert [scan.id for scan in result.scans] == ["A001", "B002"]
    assert dict(result.categories) == {
        1: Category(1, "Revolvers and pistols", "9302", "HS2022"),
        2: Category(2, "Cigarettes", "240220", "HS2022"),
        3: Category(3, "Fish, frozen", "0303", "HS2022"),
    }
    with pytest.raises(TypeError):
        result.categories[4] = Category(4, "x", "0101", "HS2022")  # type: ignore[index]
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.scans[0].id = "X"  # type: ignore[misc]


def test_dual_energy_scan_values(holding: Path) -> None:
    scan = read_holding(holding).scans[0]
    folder = holding.resolve() / "scans" / "A001"
    assert scan.sidecar.datetime == datetime(2024, 3, 1, 10, 20, 30, tzinfo=UTC)
    assert (scan.sidecar.modality, scan.sidecar.conveyance, scan.sidecar.container_type) == (
        "transmission-dual-energy", "sea-container", "45G1",
    )  # fmt: skip
    assert scan.sidecar.energy_profile == "linac"
    assert scan.energies == (
        Energy("high", 6000.0, folder / "high.tiff"),
        Energy("low", 4000.0, folder / "low.tiff"),
    )
    assert (scan.sidecar.scanner_manufacturer, scan.sidecar.scanner_model) == (
        "Acme Imaging",
        "LX-6",
    )
    assert scan.sidecar.pixel_spacing_mm == (4.5, 3.75)
    assert scan.sidecar.views == ("side", "top")
    assert (scan.sidecar.source_format, scan.original) == ("DICOS-v03", folder / "original.dcm")
    assert scan.sidecar.declared_hs_codes == ("9302", "240220")
    assert (scan.sidecar.inspection_outcome, scan.sidecar.synthetic) == ("seized", False)
    assert (scan.width, scan.height) == (40, 20)
    assert scan.annotations == (
        Annotation(10, 1, (30.0, 12.0, 10.0, 8.0), 55.5),
        Annotation(11, 2, (0.5, 1.25, 4.0, 2.0), 8.0),
    )


def test_single_energy_png_scan_values(holding: Path) -> None:
    scan = read_holding(holding).scans[1]
    folder = holding.resolve() / "scans" / "B002"
    assert scan.sidecar.datetime == datetime(2024, 3, 1, 22, 0, 0, 500000, tzinfo=UTC)
    assert scan.sidecar.datetime.tzinfo is UTC
    assert scan.sidecar.container_type is None
    assert scan.energies == (Energy("high", 140.0, folder / "high.png"),)
    assert (scan.original, scan.sidecar.declared_hs_codes, scan.sidecar.synthetic) == (
        None,
        (),
        True,
    )
    assert (scan.width, scan.height) == (30, 16)
    assert scan.annotations == (Annotation(12, 1, (1.0, 2.0, 3.0, 4.0), 12.0),)


def test_assets_sizes_hashes_and_media_types(holding: Path) -> None:
    a, b = read_holding(holding).scans
    folder = holding.resolve() / "scans"
    files = {
        "high": folder / "A001" / "high.tiff",
        "low": folder / "A001" / "low.tiff",
        "original": folder / "A001" / "original.dcm",
    }
    assert [asset.key for asset in a.assets] == ["high", "low", "original", "annotations"]
    for asset in a.assets[:3]:
        assert asset.path == files[asset.key]
        assert asset.size == files[asset.key].stat().st_size
        assert asset.sha256_hex == _sha(files[asset.key])
        assert asset.data is None
    types = [asset.media_type for asset in a.assets]
    assert types == ["image/tiff", "image/tiff", "application/dicom", "application/json"]
    assert [(asset.key, asset.media_type) for asset in b.assets] == [
        ("high", "image/png"), ("annotations", "application/json"),
    ]  # fmt: skip
    assert b.assets[0].sha256_hex == _sha(folder / "B002" / "high.png")


def test_per_scan_coco_document(holding: Path) -> None:
    a, b = read_holding(holding).scans
    full = coco()
    annotations = a.assets[-1]
    assert annotations.path is None
    assert annotations.data is not None
    assert annotations.size == len(annotations.data)
    assert annotations.sha256_hex == hashlib.sha256(annotations.data).hexdigest()
    assert json.loads(annotations.data) == a.coco
    assert a.coco == {
        "info": full["info"],
        "licenses": full["licenses"],
        "images": [full["images"][0]],
        "annotations": full["annotations"][:2],
        "categories": CATEGORIES[:2],
    }
    assert b.coco["images"] == [full["images"][1]]
    assert b.coco["annotations"] == [full["annotations"][2]]
    assert b.coco["categories"] == [CATEGORIES[0]]


def test_output_is_deterministic(holding: Path) -> None:
    assert read_holding(holding) == read_holding(holding)


def test_symlink_inside_the_holding_is_followed(holding: Path) -> None:
    low = holding / "scans" / "A001" / "low.tiff"
    shared = holding / "shared"
    shared.mkdir()
    low.rename(shared / "low.tiff")
    os.symlink("../../shared/low.tiff", low)
    scan = read_holding(holding).scans[0]
    assert scan.assets[1].path == holding.resolve() / "scans" / "A001" / "low.tiff"
    assert scan.assets[1].sha256_hex == _sha(shared / "low.tiff")


def test_accepts_a_string_folder(holding: Path) -> None:
    assert len(read_holding(str(holding)).scans) == 2  # type: ignore[arg-type]
