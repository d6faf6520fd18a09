"""The demo detector and the random baseline: valid ONNX, the detection contract, determinism,
and the detector clearly beating the baseline on a held-out synthetic holding (faster-coco-eval).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from faster_coco_eval import COCO, COCOeval_faster

from catalog.synth import CATEGORIES, generate_holding
from models import demo_training
from models.demo_models import (
    DETECTOR_CLASSES,
    RECIPE,
    DemoModel,
    TrainingScan,
    build_demo_detector,
    build_random_baseline,
)
from models.demo_training import TRAINING_SEED, load_holding
from models.preprocess import InputRecipe, preprocess

EVAL_SEED = 7  # the held-out holding; training uses TRAINING_SEED
EVAL_COUNT = 40


@pytest.fixture(scope="module")
def held_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("eval") / "holding"
    generate_holding(folder, kind="parcel", count=EVAL_COUNT, seed=EVAL_SEED)
    return folder


@pytest.fixture(scope="module")
def detector(demo_detector: DemoModel) -> DemoModel:
    return demo_detector  # train_on_synthetic(), trained once per session (tests/models/conftest)


def _session(model: DemoModel) -> ort.InferenceSession:
    return ort.InferenceSession(model.onnx, providers=["CPUExecutionProvider"])


def _recipe(card: dict[str, Any]) -> InputRecipe:
    entry = card["mlm:input"][0]
    _, _, height, width = entry["input"]["shape"]
    return InputRecipe.from_mlm(
        entry["bands"], height, width, entry["value_scaling"], entry["resize_type"]
    )


def _detections(model: DemoModel, holding: Path) -> list[dict[str, Any]]:
    """COCO results of ``model`` on every scan, preprocessed as the enclave does (from the card)."""
    session, recipe = _session(model), _recipe(model.card)
    coco = json.loads((holding / "annotations.json").read_text())
    out = []
    for image, scan in zip(coco["images"], load_holding(holding), strict=True):
        tensor = preprocess(scan.high, scan.low, recipe)
        boxes, scores, labels = session.run(["boxes", "scores", "labels"], {"image": tensor})
        w, h = image["width"], image["height"]
        for (x1, y1, x2, y2), score, label in zip(boxes, scores, labels, strict=True):
            bbox = [float(x1 * w), float(y1 * h), float((x2 - x1) * w), float((y2 - y1) * h)]
            out.append(
                {
                    "image_id": image["id"],
                    "category_id": int(label),
                    "bbox": bbox,
                    "score": float(score),
                }
            )
    return out


def _map(holding: Path, results: list[dict[str, Any]]) -> tuple[float, float]:
    """(mAP@[.5:.95], mAP@0.5) by faster-coco-eval."""
    with contextlib.redirect_stdout(io.StringIO()):
        truth = COCO(str(holding / "annotations.json"))
        run = COCOeval_faster(truth, truth.loadRes(results), "bbox")
        run.evaluate()
        run.accumulate()
        run.summarize()
    return float(run.stats[0]), float(run.stats[1])


def test_both_models_pass_the_full_onnx_check_with_standard_operators_only(
    detector: DemoModel,
) -> None:
    for model in (detector, build_random_baseline(detector.card)):
        proto = onnx.load_from_string(model.onnx)
        onnx.checker.check_model(proto, full_check=True)
        assert {op.domain for op in proto.opset_import} == {""}
        assert {node.domain for node in proto.graph.node} == {""}
        assert [i.name for i in proto.graph.input] == [model.card["mlm:input"][0]["name"]]
        assert [o.name for o in proto.graph.output] == ["boxes", "scores", "labels"]


def test_outputs_follow_the_detection_contract(detector: DemoModel, held_out: Path) -> None:
    values = {c.id for c in DETECTOR_CLASSES}
    scan = load_holding(held_out)[0]
    for model in (detector, build_random_baseline(detector.card)):
        tensor = preprocess(scan.high, scan.low, _recipe(model.card))
        boxes, scores, labels = _session(model).run(None, {"image": tensor})
        n = len(scores)
        assert 0 < n <= 1000
        assert boxes.dtype == np.float32 and boxes.shape == (n, 4)
        assert scores.dtype == np.float32 and labels.dtype == np.int64 and labels.shape == (n,)
        assert np.all((boxes >= 0) & (boxes <= 1))
        assert np.all(boxes[:, 2] > boxes[:, 0]) and np.all(boxes[:, 3] > boxes[:, 1])
        assert set(labels.tolist()) <= values


def test_card_declares_the_recipe_and_hs_coded_classes(detector: DemoModel) -> None:
    card = detector.card
    assert _recipe(card) == RECIPE
    assert card["mlm:framework"] == "ONNX" and card["mlm:tasks"] == ["object-detection"]
    parcel = {c.id: c.hs_code for c in CATEGORIES if c.parcel is not None}
    for output in card["mlm:output"]:
        classes = output["classification:classes"]
        assert {c["value"]: c["name"] for c in classes} == parcel
        assert output["post_processing_function"] is None


def test_the_detector_clearly_beats_the_random_baseline_on_held_out_scans(
    detector: DemoModel, held_out: Path
) -> None:
    det_all, det_50 = _map(held_out, _detections(detector, held_out))
    base_all, base_50 = _map(held_out, _detections(build_random_baseline(), held_out))
    print(
        f"detector mAP@0.5 {det_50:.3f} @[.5:.95] {det_all:.3f}; "
        f"baseline mAP@0.5 {base_50:.4f} @[.5:.95] {base_all:.4f}"
    )
    assert det_50 >= 0.10
    assert det_50 >= 5 * base_50
    assert det_all >= 3 * base_all


def test_training_never_sees_the_evaluation_holding(held_out: Path, tmp_path: Path) -> None:
    assert TRAINING_SEED != EVAL_SEED
    train = tmp_path / "train"
    generate_holding(train, kind="parcel", count=demo_training.TRAINING_COUNT, seed=TRAINING_SEED)

    def digests(folder: Path) -> set[str]:
        return {hashlib.sha256(s.high.tobytes()).hexdigest() for s in load_holding(folder)}

    assert not digests(train) & digests(held_out)


def _scans(n: int) -> list[TrainingScan]:
    rng = np.random.Generator(np.random.PCG64(3))
    scans = []
    for _ in range(n):
        high = rng.integers(20000, 60000, (300, 400), dtype=np.uint16)
        low = (high * 0.8).astype(np.uint16)
        boxes = np.array([[50.0, 60.0, 80.0, 40.0]])
        scans.append(TrainingScan(high, low, boxes, np.array([DETECTOR_CLASSES[0].id])))
    return scans


def test_builds_are_deterministic() -> None:
    assert build_demo_detector(_scans(3)).onnx == build_demo_detector(_scans(3)).onnx
    assert build_random_baseline().onnx == build_random_baseline().onnx
    assert build_random_baseline(seed=1).onnx != build_random_baseline().onnx


def test_no_training_scans_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one training scan"):
        build_demo_detector([])


def test_write_demo_models_writes_both_models_and_cards(
    detector: DemoModel, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(demo_training, "train_on_synthetic", lambda: detector)
    paths = demo_training.write_demo_models(tmp_path / "demo")
    assert sorted(paths) == [
        "baseline.card.json",
        "baseline.onnx",
        "detector.card.json",
        "detector.onnx",
    ]
    assert paths["detector.onnx"].read_bytes() == detector.onnx
    assert json.loads(paths["detector.card.json"].read_text()) == detector.card
    onnx.checker.check_model(onnx.load(paths["baseline.onnx"]), full_check=True)
