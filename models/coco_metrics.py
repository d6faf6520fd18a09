"""Detection metrics with the COCO definitions (faster-coco-eval), and their bootstrap. Pure.

mAP@0.5 and mAP@[.5:.95] are COCO's: bounding-box IoU, 101 recall points, at most 100
detections per image and class (highest scores first), area range "all", the mean over the
evaluated classes that have ground truth — ``COCOeval.summarize()``'s first two numbers, read
from ``eval["precision"]`` so that only the one area range and ``maxDets`` 100 are computed.
Per-class AP@0.5 is the same mean for one class.

Hit rate at a false-alarm rate is image level (what an officer decides: open this container or
not): an image is positive when it holds any ground-truth object of the evaluated classes, its
score is the highest score of a detection of those classes in it (an image without one scores
below every detection), and the hit rate is ``models.hit_rate.hit_rate``.

The bootstrap re-runs faster-coco-eval on each resample (images drawn again get new ids): one
run over 100 images costs about 8 ms, so 200 resamples take under 2 s (docs/enclave.md), and
nothing is re-implemented by hand.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
from faster_coco_eval import COCO, COCOeval_faster
from numpy.typing import NDArray

from models.bootstrap import percentile_bounds
from models.errors import MetricInputError
from models.hit_rate import FAR_RATES, hit_rate
from models.metric_spec import Estimate, MetricSpec, Results, check_task

__all__ = ["MAX_DETECTIONS_PER_IMAGE", "MAX_IMAGES", "detection_metrics"]

MAX_IMAGES: Final = 100_000
MAX_DETECTIONS_PER_IMAGE: Final = 1000
_MAX_OBJECTS: Final = 10_000_000


@dataclass(frozen=True)
class _Data:
    """Ground truth and detections, checked, grouped by image index."""

    images: list[dict[str, Any]]
    categories: list[dict[str, Any]]
    gt: list[list[dict[str, Any]]]
    dt: list[list[dict[str, Any]]]
    classes: dict[int, str]  # evaluated category id -> HS code


def _silent(*_: object) -> None:
    return None


def _box(value: object, what: str) -> list[float]:
    if not isinstance(value, list) or len(value) != 4 or not all(_finite(v) for v in value):
        raise MetricInputError(f"{what} bbox must be [x, y, width, height] of finite numbers")
    box = [float(v) for v in value]
    if box[2] < 0 or box[3] < 0:
        raise MetricInputError(f"{what} bbox width and height must be >= 0")
    return box


def _finite(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _int(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise MetricInputError(f"{what} must be an integer id")
    return value


def _int_id(value: object, known: Mapping[int, object], what: str) -> int:
    found = _int(value, what)
    if found not in known:
        raise MetricInputError(f"{what} names an unknown id")
    return found


def _member(obj: object, name: str) -> object:
    if not isinstance(obj, Mapping):
        raise MetricInputError("ground truth and detections must be lists of JSON objects")
    return obj.get(name)


def _class_code(category: object) -> str:
    return str(_member(category, "hs_code") or _member(category, "name"))[:40]


def _checked(
    ground_truth: Mapping[str, Any], detections: Sequence[Mapping[str, Any]], spec: MetricSpec
) -> _Data:
    images = ground_truth.get("images")
    categories = ground_truth.get("categories")
    annotations = ground_truth.get("annotations")
    if not (
        isinstance(images, list) and isinstance(categories, list) and isinstance(annotations, list)
    ):
        raise MetricInputError("ground truth must hold images, annotations and categories lists")
    if not 0 < len(images) <= MAX_IMAGES or len(annotations) + len(detections) > _MAX_OBJECTS:
        raise MetricInputError(f"ground truth must hold 1 to {MAX_IMAGES} images")
    index = {_int(_member(i, "id"), "image id"): n for n, i in enumerate(images)}
    cats = {_int(_member(c, "id"), "category id"): _class_code(c) for c in categories}
    if len(index) != len(images) or len(cats) != len(categories):
        raise MetricInputError("ground truth names an image or category id twice")
    gt: list[list[dict[str, Any]]] = [[] for _ in images]
    for a in annotations:
        _member(a, "bbox")
        box = _box(a.get("bbox"), "annotation")
        gt[index[_int_id(a.get("image_id"), index, "annotation image_id")]].append({
            "category_id": _int_id(a.get("category_id"), cats, "annotation category_id"),
            "bbox": box, "area": box[2] * box[3], "iscrowd": int(bool(a.get("iscrowd", 0))),
        })  # fmt: skip
    return _Data(
        images=[{"id": i["id"]} for i in images],
        categories=[{"id": c, "name": code} for c, code in cats.items()],
        gt=gt,
        dt=_detections(detections, index, cats),
        classes=_evaluated(cats, spec.classes),
    )


def _detections(
    detections: Sequence[Mapping[str, Any]], index: Mapping[int, int], cats: Mapping[int, str]
) -> list[list[dict[str, Any]]]:
    dt: list[list[dict[str, Any]]] = [[] for _ in index]
    for d in detections:
        _member(d, "image_id")
        where = dt[index[_int_id(d.get("image_id"), index, "detection image_id")]]
        if len(where) >= MAX_DETECTIONS_PER_IMAGE:
            raise MetricInputError(f"more than {MAX_DETECTIONS_PER_IMAGE} detections in an image")
        score = d.get("score")
        if not isinstance(score, int | float) or not _finite(score):
            raise MetricInputError("detection score must be a finite number")
        where.append({
            "category_id": _int_id(d.get("category_id"), cats, "detection category_id"),
            "bbox": _box(d.get("bbox"), "detection"), "score": float(score),
        })  # fmt: skip
    return dt


def _evaluated(cats: Mapping[int, str], wanted: Sequence[str] | None) -> dict[int, str]:
    if wanted is None:
        return dict(cats)
    chosen = {cid: code for cid, code in cats.items() if code in wanted}
    missing = sorted(set(wanted) - set(chosen.values()))
    if missing:
        raise MetricInputError(f"class {missing[0]} is not a category of the ground truth")
    return chosen


def _coco_values(data: _Data, picks: Sequence[int]) -> dict[str, float | None]:
    """mAP@0.5, mAP@[.5:.95] and per-class AP@0.5 on the images ``picks`` (each a new id)."""
    images: list[dict[str, Any]] = []
    gts: list[dict[str, Any]] = []
    dts: list[dict[str, Any]] = []
    for new_id, pick in enumerate(picks, start=1):
        images.append({"id": new_id})
        first = len(gts) + 1
        gts += [{**a, "id": first + k, "image_id": new_id} for k, a in enumerate(data.gt[pick])]
        dts += [{**d, "image_id": new_id} for d in data.dt[pick]]
    gt = COCO(print_function=_silent)
    gt.dataset = {"images": images, "annotations": gts, "categories": data.categories}
    gt.createIndex()
    evaluator = COCOeval_faster(gt, gt.loadRes(dts), "bbox", print_function=_silent)
    evaluator.params.catIds = sorted(data.classes)
    evaluator.params.maxDets = [100]
    evaluator.params.areaRng = [evaluator.params.areaRng[0]]  # "all"
    evaluator.params.areaRngLbl = ["all"]
    evaluator.evaluate()
    evaluator.accumulate()
    precision = evaluator.eval["precision"][:, :, :, 0, 0]  # [iou, recall, class]
    values = {"map50_95": _mean(precision), "map50": _mean(precision[0])}
    for k, cid in enumerate(sorted(data.classes)):
        values[f"ap50:{data.classes[cid]}"] = _mean(precision[0, :, k])
    return values


def _mean(precision: NDArray[np.float64]) -> float | None:
    valid = precision[precision > -1]  # -1: a class without ground truth
    return float(valid.mean()) if valid.size else None


def _image_level(
    data: _Data, picks: Sequence[int]
) -> tuple[NDArray[np.bool_], NDArray[np.float64]]:
    positive = np.array(
        [
            any(a["category_id"] in data.classes and not a["iscrowd"] for a in data.gt[p])
            for p in picks
        ]
    )
    best = [
        max((d["score"] for d in data.dt[p] if d["category_id"] in data.classes), default=None)
        for p in picks
    ]
    floor = min((s for s in best if s is not None), default=0.0) - 1.0
    return positive, np.array([floor if s is None else s for s in best], dtype=np.float64)


def _values(data: _Data, picks: Sequence[int]) -> dict[str, float | None]:
    values = _coco_values(data, picks)
    positive, score = _image_level(data, picks)
    for name, rate in FAR_RATES.items():
        values[name] = hit_rate(positive, score, rate)
    return values


def detection_metrics(
    ground_truth: Mapping[str, Any], detections: Sequence[Mapping[str, Any]], spec: MetricSpec
) -> Results:
    """The spec's detection metrics on a COCO ground truth (images, annotations, categories)
    and COCO detections (image_id, category_id, bbox [x, y, w, h] in pixels, score)."""
    check_task(spec, "object-detection")
    data = _checked(ground_truth, detections, spec)
    everything = list(range(len(data.images)))
    values = _values(data, everything)
    bounds = percentile_bounds(
        lambda picks: _values(data, [int(p) for p in picks]), len(everything),
        spec.bootstrap_samples, spec.seed,
    )  # fmt: skip
    objects = {cid: 0 for cid in data.classes}
    for image in data.gt:
        for a in image:
            if a["category_id"] in objects and not a["iscrowd"]:
                objects[a["category_id"]] += 1
    positive, _ = _image_level(data, everything)
    pos, neg = int(positive.sum()), int((~positive).sum())
    n = {"map50": sum(objects.values()), "map50_95": sum(objects.values())}
    n |= {name: min(pos, neg) for name in FAR_RATES}
    n |= {f"ap50:{data.classes[cid]}": count for cid, count in objects.items()}
    wanted = [
        m
        for m in values
        if m in spec.metrics or (m.startswith("ap50:") and "ap50_per_class" in spec.metrics)
    ]
    return Results(
        metrics={m: Estimate(values[m], *bounds.get(m, (None, None)), n=n[m]) for m in wanted},
        counts={"images": len(everything), "positive_images": pos, "negative_images": neg,
                "objects": sum(objects.values())},
    )  # fmt: skip
