"""catalog.synth: holdings match docs/formats.md, are deterministic and physically sane."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import math
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pydicom
import pytest
import tifffile
from hypothesis import given, settings
from hypothesis import strategies as st

from catalog.sites import SERVES, site
from catalog.synth import SynthSummary, generate_holding
from catalog.synth._categories import CATEGORIES
from catalog.synth._materials import MATERIALS
from catalog.synth._scan import make_scan

SIDECAR_KEYS: dict[str, type | tuple[type, ...]] = {
    "id": str,
    "datetime": str,
    "modality": str,
    "conveyance": str,
    "container_type": (str, type(None)),
    "energy_profile": str,
    "energies": list,
    "scanner": dict,
    "pixel_spacing_mm": list,
    "views": list,
    "source_format": str,
    "original": (str, type(None)),
    "declared_hs_codes": list,
    "inspection_outcome": str,
    "synthetic": bool,
    "site": str,
}
SIZES = {"cargo": ((2400, 4100), (520, 860)), "parcel": ((600, 1200), (400, 900))}
FAMILY = {c.id: MATERIALS[c.material].family for c in CATEGORIES}
CONTRABAND = {c.hs_code for c in CATEGORIES if c.contraband}
I0 = 60000.0


def _make(root: Path, name: str, **kwargs: Any) -> tuple[Path, SynthSummary]:
    out = root / name
    return out, generate_holding(out, **kwargs)


@pytest.fixture(scope="module")
def holdings(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, SynthSummary]]:
    root = tmp_path_factory.mktemp("synth")
    cargo = {"kind": "cargo", "count": 4, "seed": 5, "admin": "BEL"}
    parcel = {"kind": "parcel", "count": 12, "seed": 5}
    return {
        "cargo": _make(root, "cargo", **cargo),
        "cargo-again": _make(root, "cargo-again", **cargo),
        "parcel": _make(root, "parcel", **parcel),
        "parcel-again": _make(root, "parcel-again", **parcel),
        "parcel-other-seed": _make(root, "parcel-other", kind="parcel", count=2, seed=6),
    }


def _coco(root: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((root / "annotations.json").read_text())
    return data


def _sidecars(root: Path) -> list[dict[str, Any]]:
    return [json.loads(p.read_text()) for p in sorted(root.glob("scans/*/scan.json"))]


def _digests(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


# --- determinism ---------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["cargo", "parcel"])
def test_same_seed_gives_identical_bytes(holdings: dict[str, Any], kind: str) -> None:
    first, again = _digests(holdings[kind][0]), _digests(holdings[f"{kind}-again"][0])
    assert first == again
    assert any(name.endswith("original.dcm") for name in first)  # DICOS bytes included


def test_same_seed_in_another_process_gives_identical_bytes(tmp_path: Path) -> None:
    """No hash-order, clock or per-process state leaks into the files."""
    code = (
        "import sys; from pathlib import Path; from catalog.synth import generate_holding; "
        "generate_holding(Path(sys.argv[1]), kind='parcel', count=2, seed=9)"
    )
    for name, hash_seed in (("a", "1"), ("b", "2")):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        subprocess.run([sys.executable, "-c", code, str(tmp_path / name)], check=True, env=env)
    assert _digests(tmp_path / "a") == _digests(tmp_path / "b")


def test_other_seed_gives_other_images(holdings: dict[str, Any]) -> None:
    five, six = holdings["parcel"][0], holdings["parcel-other-seed"][0]
    for scan in ("NLD-P-000001", "NLD-P-000002"):
        for channel in ("high.tiff", "low.tiff"):
            a = (five / "scans" / scan / channel).read_bytes()
            assert a != (six / "scans" / scan / channel).read_bytes()


def test_tiff_metadata_comes_from_the_scan_not_the_clock(holdings: dict[str, Any]) -> None:
    root = holdings["cargo"][0]
    for sidecar in _sidecars(root):
        with tifffile.TiffFile(root / "scans" / sidecar["id"] / "high.tiff") as tif:
            tags = {tag.name: tag.value for tag in tif.pages.first.tags.values()}
        acquired = dt.datetime.strptime(sidecar["datetime"], "%Y-%m-%dT%H:%M:%SZ")
        assert tags["DateTime"] == acquired.strftime("%Y:%m:%d %H:%M:%S")
        assert "ImageDescription" not in tags


# --- images --------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["cargo", "parcel"])
def test_images_are_uint16_pairs_within_size_ranges(holdings: dict[str, Any], kind: str) -> None:
    root = holdings[kind][0]
    (w_lo, w_hi), (h_lo, h_hi) = SIZES[kind]
    for image in _coco(root)["images"]:
        high = tifffile.imread(root / image["file_name"])
        low = tifffile.imread(root / image["file_name"].replace("high.tiff", "low.tiff"))
        assert high.dtype == low.dtype == np.uint16
        assert high.shape == low.shape == (image["height"], image["width"])
        assert w_lo <= image["width"] <= w_hi
        assert h_lo <= image["height"] <= h_hi
        assert high.max() > 50000  # air reaches near full scale
        assert high.min() < high.max() // 2  # something attenuates


def _box_ratios(root: Path) -> dict[str, list[float]]:
    """Per annotated box: mean low-channel over mean high-channel log attenuation."""
    coco = _coco(root)
    ratios: dict[str, list[float]] = {"organic": [], "inorganic": []}
    for image in coco["images"]:
        high = tifffile.imread(root / image["file_name"]).astype(np.float64)
        low = tifffile.imread(root / image["file_name"].replace("high", "low")).astype(np.float64)
        l_high, l_low = np.log(I0 / np.maximum(high, 1)), np.log(I0 / np.maximum(low, 1))
        for ann in (a for a in coco["annotations"] if a["image_id"] == image["id"]):
            x, y, w, h = ann["bbox"]
            box = (slice(y, y + h), slice(x, x + w))
            seen = (high[box] > 50) & (l_high[box] > 0.05)  # high channel not saturated
            if seen.any():
                ratio = l_low[box][seen].mean() / l_high[box][seen].mean()
                ratios[FAMILY[ann["category_id"]]].append(float(ratio))
    return ratios


@pytest.mark.parametrize("kind", ["cargo", "parcel"])
def test_metals_have_higher_dual_energy_ratio_than_organics(
    holdings: dict[str, Any], kind: str
) -> None:
    ratios = _box_ratios(holdings[kind][0])
    assert ratios["organic"], "fixture must hold organic objects"
    assert ratios["inorganic"], "fixture must hold metal objects"
    assert np.mean(ratios["inorganic"]) > np.mean(ratios["organic"]) + 0.03


def test_material_table_orders_low_high_ratio_by_family() -> None:
    for profile in ("linac", "tube"):
        ratios = {m.name: m.mu(profile)[1] / m.mu(profile)[0] for m in MATERIALS.values()}
        organic = [r for n, r in ratios.items() if MATERIALS[n].family == "organic"]
        inorganic = [r for n, r in ratios.items() if MATERIALS[n].family == "inorganic"]
        assert min(inorganic) > max(organic), profile


# --- COCO ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["cargo", "parcel"])
def test_coco_ids_unique_and_references_resolve(holdings: dict[str, Any], kind: str) -> None:
    coco = _coco(holdings[kind][0])
    image_ids = [i["id"] for i in coco["images"]]
    ann_ids = [a["id"] for a in coco["annotations"]]
    category_ids = {c["id"] for c in coco["categories"]}
    assert len(set(image_ids)) == len(image_ids)
    assert len(set(ann_ids)) == len(ann_ids)
    assert len(category_ids) == len(coco["categories"]) >= 12
    for ann in coco["annotations"]:
        assert ann["image_id"] in image_ids
        assert ann["category_id"] in category_ids
        assert ann["iscrowd"] == 0
        assert ann["area"] > 0


@pytest.mark.parametrize("kind", ["cargo", "parcel"])
def test_every_bbox_lies_inside_its_image(holdings: dict[str, Any], kind: str) -> None:
    coco = _coco(holdings[kind][0])
    sizes = {i["id"]: (i["width"], i["height"]) for i in coco["images"]}
    assert coco["annotations"]
    for ann in coco["annotations"]:
        x, y, w, h = ann["bbox"]
        width, height = sizes[ann["image_id"]]
        assert min(x, y) >= 0
        assert min(w, h) > 0
        assert x + w <= width
        assert y + h <= height
        assert ann["area"] <= w * h


def test_categories_carry_hs_codes_with_fixed_ids(holdings: dict[str, Any]) -> None:
    cargo, parcel = _coco(holdings["cargo"][0]), _coco(holdings["parcel"][0])
    assert cargo["categories"] == parcel["categories"]  # whole table, same ids everywhere
    for category in cargo["categories"]:
        assert set(category) == {"id", "name", "supercategory", "hs_code", "hs_edition"}
        assert re.fullmatch(r"[0-9]{4}", category["hs_code"])
        assert category["supercategory"] == category["hs_code"][:2]
        assert category["hs_edition"] == "HS2022"
    codes = {c["hs_code"] for c in cargo["categories"]}
    assert {"9302", "9306", "2402", "2403", "2939", "8703", "7108"} <= codes


def test_images_point_at_their_scan_folders(holdings: dict[str, Any]) -> None:
    root = holdings["cargo"][0]
    names = [i["file_name"] for i in _coco(root)["images"]]
    assert names == [f"scans/BEL-C-{n:06d}/high.tiff" for n in range(1, 5)]


# --- sidecars ------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["cargo", "parcel"])
def test_sidecar_has_every_documented_key_with_its_type(
    holdings: dict[str, Any], kind: str
) -> None:
    root = holdings[kind][0]
    for folder in sorted((root / "scans").iterdir()):
        sidecar = json.loads((folder / "scan.json").read_text())
        assert list(sidecar) == list(SIDECAR_KEYS)
        for key, types in SIDECAR_KEYS.items():
            assert isinstance(sidecar[key], types), key
        assert sidecar["id"] == folder.name
        assert re.fullmatch(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$", sidecar["id"])
        _check_values(sidecar, kind, folder)


def _check_values(sidecar: dict[str, Any], kind: str, folder: Path) -> None:
    place = site(sidecar["site"])  # a known site that scans this conveyance
    assert sidecar["conveyance"] in SERVES[place.kind]
    assert re.fullmatch(r"202[45]-\d\d-\d\dT\d\d:\d\d:00Z", sidecar["datetime"])
    assert sidecar["modality"] == "transmission-dual-energy"
    assert [e["channel"] for e in sidecar["energies"]] == ["high", "low"]
    assert all((folder / e["file"]).is_file() for e in sidecar["energies"])
    kv = [e["kv"] for e in sidecar["energies"]]
    assert kv[0] > kv[1] > 0
    assert set(sidecar["scanner"]) == {"manufacturer", "model"}
    assert len(sidecar["pixel_spacing_mm"]) == 2
    assert min(sidecar["pixel_spacing_mm"]) > 0
    assert sidecar["views"] == ["side"]
    assert sidecar["synthetic"] is True
    assert all(re.fullmatch(r"[0-9]{4}([0-9]{2})?", c) for c in sidecar["declared_hs_codes"])
    assert sidecar["inspection_outcome"] in {
        "cleared",
        "seized",
        "further-inspection",
        "not-inspected",
    }
    dicos = sidecar["source_format"] == "DICOS-v03"
    assert sidecar["original"] == ("original.dcm" if dicos else None)
    assert (folder / "original.dcm").exists() == dicos
    if kind == "cargo":
        assert sidecar["energy_profile"] == "linac"
        assert kv[0] >= 3500
        assert sidecar["conveyance"] in {"sea-container", "road-vehicle"}
        assert re.fullmatch(r"[0-9A-Z]{2}[A-Z][0-9A-Z]", sidecar["container_type"])
        assert all(3.0 <= s <= 5.0 for s in sidecar["pixel_spacing_mm"])
    else:
        assert sidecar["energy_profile"] == "tube"
        assert kv[0] <= 160
        assert sidecar["conveyance"] in {"parcel", "post"}
        assert sidecar["container_type"] is None
        assert all(0.8 <= s <= 1.5 for s in sidecar["pixel_spacing_mm"])


@pytest.mark.parametrize("kind", ["cargo", "parcel"])
def test_undeclared_contraband_means_seized(holdings: dict[str, Any], kind: str) -> None:
    root = holdings[kind][0]
    coco = _coco(root)
    code_of = {c["id"]: c["hs_code"] for c in coco["categories"]}
    for image, sidecar in zip(coco["images"], _sidecars(root), strict=True):
        anns = [a for a in coco["annotations"] if a["image_id"] == image["id"]]
        found = {code_of[a["category_id"]] for a in anns}
        hidden = (found - set(sidecar["declared_hs_codes"])) & CONTRABAND
        assert (sidecar["inspection_outcome"] == "seized") == bool(hidden), sidecar["id"]
        assert sidecar["declared_hs_codes"]  # every consignment declares something


# --- DICOS ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["cargo", "parcel"])
def test_dicos_originals_hold_the_high_channel(holdings: dict[str, Any], kind: str) -> None:
    root, summary = holdings[kind]
    originals = sorted(root.glob("scans/*/original.dcm"))
    assert len(originals) == math.ceil(summary.scans / 4)
    for path in originals:
        ds = pydicom.dcmread(path)
        assert ds.SOPClassUID == "1.2.840.10008.5.1.4.1.1.501.2.2"  # DICOS DX, for processing
        assert ds.PhotometricInterpretation == "MONOCHROME2"
        assert ds.BitsStored == 16
        sidecar = json.loads((path.parent / "scan.json").read_text())
        assert ds.Manufacturer == sidecar["scanner"]["manufacturer"]
        high = tifffile.imread(path.parent / "high.tiff")
        assert np.array_equal(ds.pixel_array, high)


def test_dicos_uids_depend_on_the_seed(tmp_path: Path) -> None:
    uids = []
    for seed in (1, 2):
        out = tmp_path / str(seed)
        generate_holding(out, kind="parcel", count=1, seed=seed)
        uids.append(pydicom.dcmread(out / "scans/NLD-P-000001/original.dcm").SOPInstanceUID)
    assert uids[0] != uids[1]


# --- summary -------------------------------------------------------------------------------------


def test_summary_counts_what_was_written(holdings: dict[str, Any]) -> None:
    root, summary = holdings["parcel"]
    coco = _coco(root)
    assert summary == SynthSummary(
        scans=12,
        objects=len(coco["annotations"]),
        categories=len(coco["categories"]),
        bytes_written=sum(p.stat().st_size for p in root.rglob("*") if p.is_file()),
    )
    field = "scans"
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(summary, field, 1)


def test_some_scans_are_empty_and_none_exceeds_eight(holdings: dict[str, Any]) -> None:
    coco = _coco(holdings["parcel"][0])
    per_image = [
        sum(a["image_id"] == image["id"] for a in coco["annotations"]) for image in coco["images"]
    ]
    assert max(per_image) <= 8
    assert 0 in per_image


# --- refusals ------------------------------------------------------------------------------------


def _leftovers(parent: Path) -> list[str]:
    return sorted(p.name for p in parent.iterdir() if p.name.startswith("."))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"kind": "parcel", "count": 0, "seed": 1}, "count"),
        ({"kind": "parcel", "count": -3, "seed": 1}, "count"),
        ({"kind": "truck", "count": 1, "seed": 1}, "unknown kind"),
        ({"kind": "parcel", "count": 1, "seed": -1}, "seed"),
        ({"kind": "parcel", "count": 1, "seed": 1, "admin": "nld"}, "admin"),
        ({"kind": "parcel", "count": 1, "seed": 1, "admin": "NL"}, "admin"),
        ({"kind": "parcel", "count": 1, "seed": 1, "admin": "NLDX"}, "admin"),
    ],
)
def test_bad_arguments_are_refused(tmp_path: Path, kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        generate_holding(tmp_path / "out", **kwargs)
    assert list(tmp_path.iterdir()) == []


def test_refuses_to_overwrite_a_non_empty_folder(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    with pytest.raises(ValueError, match="not empty"):
        generate_holding(out, kind="parcel", count=1, seed=1)
    assert [p.name for p in out.iterdir()] == ["keep.txt"]
    assert _leftovers(tmp_path) == []


def test_refuses_a_file_in_the_way(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.write_text("mine")
    with pytest.raises(ValueError, match="not a folder"):
        generate_holding(out, kind="parcel", count=1, seed=1)
    assert out.read_text() == "mine"


def test_an_existing_empty_folder_is_filled(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    summary = generate_holding(out, kind="parcel", count=1, seed=1)
    assert summary.scans == 1
    assert (out / "annotations.json").is_file()
    assert _leftovers(tmp_path) == []


def test_failure_midway_leaves_nothing_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def flaky(seed: int, kind: Any, admin: str, index: int, dicos: bool) -> Any:
        if index == 2:
            raise RuntimeError("disk on fire")
        return make_scan(seed, kind, admin, index, dicos)

    monkeypatch.setattr("catalog.synth._holding.make_scan", flaky)
    with pytest.raises(RuntimeError, match="disk on fire"):
        generate_holding(tmp_path / "out", kind="parcel", count=3, seed=1)
    assert list(tmp_path.iterdir()) == []


@settings(max_examples=50, deadline=None)
@given(admin=st.text(max_size=5).filter(lambda s: re.fullmatch(r"[A-Z]{3}", s) is None))
def test_any_non_alpha3_admin_is_refused(admin: str) -> None:
    with pytest.raises(ValueError, match="admin"):
        generate_holding(Path("/nonexistent/out"), kind="cargo", count=1, seed=0, admin=admin)
