"""A holding made by catalog.synth reads back; a 20-scan cargo holding reads in about a second."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from catalog.ingest import read_holding
from tests.catalog.ingest.builders import pixels, sidecar_a, write_json

synth = pytest.importorskip("catalog.synth")


@pytest.mark.parametrize("kind", ["cargo", "parcel"])
def test_reads_a_synth_holding(tmp_path: Path, kind: str) -> None:
    folder = tmp_path / kind
    synth.generate_holding(folder, kind=kind, count=3, seed=11)
    holding = read_holding(folder)
    coco = json.loads((folder / "annotations.json").read_text())
    assert [scan.id for scan in holding.scans] == sorted(
        p.name for p in (folder / "scans").iterdir()
    )
    assert sum(len(scan.annotations) for scan in holding.scans) == len(coco["annotations"])
    assert set(holding.categories) == {category["id"] for category in coco["categories"]}
    for scan in holding.scans:
        assert scan.sidecar.synthetic
        assert scan.sidecar.datetime.utcoffset() is not None
        for asset in scan.assets:
            data = asset.data if asset.path is None else asset.path.read_bytes()
            assert data is not None
            assert (asset.size, asset.sha256_hex) == (len(data), hashlib.sha256(data).hexdigest())


def _cargo_holding(root: Path, count: int, shape: tuple[int, int]) -> Path:
    """``count`` dual-energy scans of ``shape`` (height, width) uint16 TIFFs, no original."""
    import tifffile

    images, annotations = [], []
    for n in range(1, count + 1):
        scan_id = f"C{n:03d}"
        folder = root / "scans" / scan_id
        folder.mkdir(parents=True)
        sidecar = sidecar_a() | {"id": scan_id, "original": None, "source_format": "TIFF16"}
        write_json(folder / "scan.json", sidecar)
        tifffile.imwrite(folder / "high.tiff", pixels(*shape, seed=n))
        tifffile.imwrite(folder / "low.tiff", pixels(*shape, seed=100 + n))
        images.append(
            {"id": n, "file_name": f"scans/{scan_id}/high.tiff", "width": shape[1],
             "height": shape[0]}
        )  # fmt: skip
        annotations.append({"id": n, "image_id": n, "category_id": 1, "bbox": [10, 10, 90, 40]})
    category = {"id": 1, "name": "Pistols", "hs_code": "9302", "hs_edition": "HS2022"}
    write_json(
        root / "annotations.json",
        {"images": images, "annotations": annotations, "categories": [category]},
    )
    return root


def test_twenty_cargo_size_scans_are_read_whole(tmp_path: Path) -> None:
    # Speed is measured by benchmarks/, not asserted here.
    folder = _cargo_holding(tmp_path / "cargo", 20, (700, 3000))
    holding = read_holding(folder)
    assert len(holding.scans) == 20
    assert (holding.scans[0].width, holding.scans[0].height) == (3000, 700)
