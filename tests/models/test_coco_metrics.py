"""Detection metrics equal the reference implementations on fixed cases: pycocotools (the
original COCO API) and faster-coco-eval run the standard way, with ``summarize()``."""

from __future__ import annotations

import copy
import time
from typing import Any

import numpy as np
import pytest
from pycocotools.coco import COCO as RefCOCO
from pycocotools.cocoeval import COCOeval as RefCOCOeval

from models.coco_metrics import detection_metrics
from models.errors import MetricInputError, MetricSpecError
from models.metric_spec import MetricSpec

ALL = ("map50", "map50_95", "ap50_per_class", "hit_rate_far1", "hit_rate_far5")
CATEGORIES = [
    {"id": 1, "name": "Firearms", "hs_code": "9302"},
    {"id": 2, "name": "Cigarettes", "hs_code": "2402"},
    {"id": 3, "name": "Pills", "hs_code": "3004"},
]


def _spec(metrics: tuple[str, ...] = ALL, samples: int = 0, **more: Any) -> MetricSpec:
    return MetricSpec("object-detection", metrics, bootstrap_samples=samples, **more)


def synthetic_case(images: int, seed: int) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Several images and classes, no crowd: jittered true boxes, misses and false alarms."""
    rng = np.random.default_rng(seed)
    annotations: list[dict[str, Any]] = []
    detections: list[dict[str, Any]] = []
    for image in range(1, images + 1):
        for _ in range(int(rng.integers(0, 4))):
            x, y = rng.uniform(0, 400, 2)
            w, h = rng.uniform(8, 120, 2)
            cat = int(rng.integers(1, 4))
            box = [float(x), float(y), float(w), float(h)]
            annotations.append({
                "id": len(annotations) + 1, "image_id": image, "category_id": cat, "bbox": box,
                "area": box[2] * box[3], "iscrowd": 0,
            })  # fmt: skip
            if rng.random() < 0.8:
                jitter = [float(v) for v in rng.normal(0, 6, 2)]
                dbox = [box[0] + jitter[0], box[1] + jitter[1], w, h]
                detections.append(
                    {
                        "image_id": image,
                        "category_id": cat,
                        "bbox": dbox,
                        "score": float(rng.uniform(0.3, 1)),
                    }
                )
        for _ in range(int(rng.integers(0, 6))):
            x, y = rng.uniform(0, 400, 2)
            w, h = rng.uniform(8, 120, 2)
            box = [float(x), float(y), float(w), float(h)]
            cat, score = int(rng.integers(1, 4)), float(rng.uniform(0, 0.8))
            detections.append({"image_id": image, "category_id": cat, "bbox": box, "score": score})
    ground_truth = {
        "images": [{"id": i, "width": 512, "height": 512} for i in range(1, images + 1)],
        "annotations": annotations,
        "categories": CATEGORIES,
    }
    return ground_truth, detections


def _pycocotools(
    gt: dict[str, Any], dt: list[dict[str, Any]], cats: list[int] | None = None
) -> RefCOCOeval:
    ref = RefCOCO()
    ref.dataset = copy.deepcopy(gt)
    ref.createIndex()
    evaluator = RefCOCOeval(ref, ref.loadRes(copy.deepcopy(dt)), "bbox")
    if cats is not None:
        evaluator.params.catIds = cats
    evaluator.evaluate()
    evaluator.accumulate()
    evaluator.summarize()
    return evaluator


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_map_equals_pycocotools_summarize(seed: int) -> None:
    gt, dt = synthetic_case(30, seed)
    ref = _pycocotools(gt, dt)
    results = detection_metrics(gt, dt, _spec())
    assert results.metrics["map50_95"].value == pytest.approx(ref.stats[0], abs=1e-12)
    assert results.metrics["map50"].value == pytest.approx(ref.stats[1], abs=1e-12)
    assert 0.05 < ref.stats[1] < 0.95  # a case that is neither trivial nor hopeless


def test_map_equals_faster_coco_eval_run_the_standard_way() -> None:
    from faster_coco_eval import COCO, COCOeval_faster

    gt, dt = synthetic_case(40, 7)
    coco = COCO(copy.deepcopy(gt))
    evaluator = COCOeval_faster(coco, coco.loadRes(copy.deepcopy(dt)), "bbox")
    evaluator.run()
    results = detection_metrics(gt, dt, _spec())
    assert results.metrics["map50_95"].value == pytest.approx(evaluator.stats[0], abs=1e-12)
    assert results.metrics["map50"].value == pytest.approx(evaluator.stats[1], abs=1e-12)


def test_per_class_ap_equals_pycocotools_on_one_class_and_counts_objects() -> None:
    gt, dt = synthetic_case(30, 4)
    results = detection_metrics(gt, dt, _spec())
    for cat in CATEGORIES:
        ref = _pycocotools(gt, dt, cats=[cat["id"]])
        estimate = results.metrics[f"ap50:{cat['hs_code']}"]
        assert estimate.value == pytest.approx(ref.stats[1], abs=1e-12)
        assert estimate.n == sum(a["category_id"] == cat["id"] for a in gt["annotations"])


def test_class_subset_evaluates_only_those_classes() -> None:
    gt, dt = synthetic_case(30, 5)
    ref = _pycocotools(gt, dt, cats=[1, 3])
    results = detection_metrics(gt, dt, _spec(classes=("9302", "3004")))
    assert results.metrics["map50"].value == pytest.approx(ref.stats[1], abs=1e-12)
    assert "ap50:2402" not in results.metrics
    assert results.counts["objects"] == sum(a["category_id"] in (1, 3) for a in gt["annotations"])


def test_perfect_detector_scores_one_and_hit_rate_is_image_level() -> None:
    gt, _ = synthetic_case(20, 6)
    perfect = [
        {
            "image_id": a["image_id"],
            "category_id": a["category_id"],
            "bbox": a["bbox"],
            "score": 0.9,
        }
        for a in gt["annotations"]
    ]
    results = detection_metrics(gt, perfect, _spec())
    assert results.metrics["map50"].value == pytest.approx(1.0)
    assert results.metrics["map50_95"].value == pytest.approx(1.0)
    # every positive image scores 0.9, every negative image has no detection: all hit, no alarm
    assert results.metrics["hit_rate_far1"].value == 1.0
    assert results.counts["positive_images"] + results.counts["negative_images"] == 20


def test_hit_rate_hand_case() -> None:
    """Four images: two with a firearm (best scores 0.9 and 0.4), two without (0.6, none).
    FAR 1 %: no false alarm allowed, so the threshold sits above 0.6: one hit of two -> 0.5."""
    gt = {
        "images": [{"id": i} for i in (1, 2, 3, 4)],
        "annotations": [
            {"id": 1, "image_id": 1, "category_id": 1, "bbox": [0, 0, 10, 10]},
            {"id": 2, "image_id": 2, "category_id": 1, "bbox": [0, 0, 10, 10]},
        ],
        "categories": CATEGORIES,
    }
    dt = [
        {"image_id": 1, "category_id": 1, "bbox": [50, 50, 5, 5], "score": 0.9},
        {"image_id": 2, "category_id": 1, "bbox": [50, 50, 5, 5], "score": 0.4},
        {"image_id": 3, "category_id": 1, "bbox": [50, 50, 5, 5], "score": 0.6},
    ]
    results = detection_metrics(gt, dt, _spec())
    assert results.metrics["hit_rate_far1"].value == 0.5
    assert results.metrics["hit_rate_far1"].n == 2
    assert results.metrics["map50"].value == 0.0  # boxes are in the wrong place


def test_bootstrap_interval_brackets_the_value_and_is_reproducible() -> None:
    gt, dt = synthetic_case(40, 8)
    first = detection_metrics(gt, dt, _spec(samples=50, seed=3))
    again = detection_metrics(gt, dt, _spec(samples=50, seed=3))
    other = detection_metrics(gt, dt, _spec(samples=50, seed=4))
    estimate = first.metrics["map50"]
    assert estimate.low is not None and estimate.high is not None and estimate.value is not None
    assert estimate.low < estimate.value < estimate.high
    assert first == again
    assert other.metrics["map50"].low != estimate.low


def test_bootstrap_cost_100_images_200_resamples_is_bounded() -> None:
    gt, dt = synthetic_case(100, 9)
    start = time.perf_counter()
    detection_metrics(gt, dt, _spec(samples=200))
    elapsed = time.perf_counter() - start
    assert elapsed < 30, elapsed  # measured about 2 s; generous for a loaded machine


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda gt, dt: dt.append(
                {"image_id": 99, "category_id": 1, "bbox": [0, 0, 1, 1], "score": 1}
            ),
            "unknown id",
        ),
        (
            lambda gt, dt: dt.append(
                {"image_id": 1, "category_id": 1, "bbox": [0, 0, -1, 1], "score": 1}
            ),
            ">= 0",
        ),
        (
            lambda gt, dt: dt.append(
                {"image_id": 1, "category_id": 1, "bbox": [0, 0, 1], "score": 1}
            ),
            "bbox",
        ),
        (
            lambda gt, dt: dt.append(
                {"image_id": 1, "category_id": 1, "bbox": [0, 0, 1, 1], "score": float("nan")}
            ),
            "score",
        ),
        (
            lambda gt, dt: dt.append(
                {"image_id": 1, "category_id": 9, "bbox": [0, 0, 1, 1], "score": 1}
            ),
            "unknown id",
        ),
        (lambda gt, dt: dt.append("x"), "JSON objects"),
        (lambda gt, dt: gt["images"].append({"id": 1}), "twice"),
        (lambda gt, dt: gt.pop("categories"), "categories"),
        (
            lambda gt, dt: dt.extend(
                [{"image_id": 1, "category_id": 1, "bbox": [0, 0, 1, 1], "score": 0.1}] * 1001
            ),
            "1000",
        ),
    ],
)
def test_bad_input_is_refused_with_the_rule(change: Any, message: str) -> None:
    gt, dt = synthetic_case(3, 1)
    change(gt, dt)
    with pytest.raises(MetricInputError, match=message):
        detection_metrics(gt, dt, _spec())


def test_unknown_class_and_wrong_task_are_refused() -> None:
    gt, dt = synthetic_case(3, 1)
    with pytest.raises(MetricInputError, match="8471"):
        detection_metrics(gt, dt, _spec(classes=("8471",)))
    with pytest.raises(MetricSpecError, match="task"):
        detection_metrics(gt, dt, MetricSpec("classification", ("roc_auc",)))


def test_no_detections_at_all_scores_zero() -> None:
    gt, _ = synthetic_case(5, 2)
    results = detection_metrics(gt, [], _spec(samples=10))
    assert results.metrics["map50"].value == 0.0
