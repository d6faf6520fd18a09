"""The demo models' I/O: read a synthetic holding folder, write the built models to a folder.

``write_demo_models`` generates its own training holding (``catalog.synth``, seed
``TRAINING_SEED``, never a seed the demo or the tests evaluate on) in a temporary folder, trains
the detector on it and writes ``detector.onnx``, ``detector.card.json``, ``baseline.onnx`` and
``baseline.card.json``. About 10 s on a 2-core machine.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Final

import numpy as np
import tifffile

from catalog.synth import generate_holding
from models.demo_models import DemoModel, TrainingScan, build_demo_detector, build_random_baseline

__all__ = [
    "TRAINING_COUNT",
    "TRAINING_SEED",
    "load_holding",
    "train_on_synthetic",
    "write_demo_models",
]

TRAINING_SEED: Final = 1001
TRAINING_COUNT: Final = 100


def load_holding(folder: Path) -> list[TrainingScan]:
    """The scans of a holding folder (docs/formats.md) with their COCO boxes, in image order."""
    coco = json.loads((folder / "annotations.json").read_text(encoding="utf-8"))
    by_image: dict[int, list[dict[str, object]]] = {}
    for ann in coco["annotations"]:
        by_image.setdefault(ann["image_id"], []).append(ann)
    scans = []
    for image in coco["images"]:
        scan = (folder / image["file_name"]).parent
        anns = by_image.get(image["id"], [])
        scans.append(
            TrainingScan(
                tifffile.imread(scan / "high.tiff"),
                tifffile.imread(scan / "low.tiff"),
                np.array([a["bbox"] for a in anns], dtype=np.float64).reshape(-1, 4),
                np.array([a["category_id"] for a in anns], dtype=np.int64),
            )
        )
    return scans


def train_on_synthetic(count: int = TRAINING_COUNT, seed: int = TRAINING_SEED) -> DemoModel:
    """The demo detector trained on a fresh synthetic parcel holding of ``count`` scans."""
    with tempfile.TemporaryDirectory(prefix="clearance-demo-") as tmp:
        holding = Path(tmp) / "train"
        generate_holding(holding, kind="parcel", count=count, seed=seed)
        scans = load_holding(holding)
    return build_demo_detector(scans)


def write_demo_models(folder: Path) -> dict[str, Path]:
    """Build both demo models and write them with their cards into ``folder`` (created)."""
    folder.mkdir(parents=True, exist_ok=True)
    detector = train_on_synthetic()
    baseline = build_random_baseline(detector.card)
    paths: dict[str, Path] = {}
    for name, model in (("detector", detector), ("baseline", baseline)):
        paths[f"{name}.onnx"] = folder / f"{name}.onnx"
        paths[f"{name}.onnx"].write_bytes(model.onnx)
        paths[f"{name}.card.json"] = folder / f"{name}.card.json"
        card = json.dumps(model.card, indent=2, ensure_ascii=False) + "\n"
        paths[f"{name}.card.json"].write_text(card, encoding="utf-8")
    return paths
