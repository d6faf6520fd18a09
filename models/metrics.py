"""The enclave's metrics: arrays and COCO dicts in, :class:`Results` out. Pure, no I/O.

- detection (``models.coco_metrics``): mAP@0.5, mAP@[.5:.95], per-class AP@0.5 (faster-coco-eval),
  image-level hit rate at 1 % and 5 % false alarms;
- classification (multi-label, K classes): ROC-AUC and PR-AUC (scikit-learn ``roc_auc_score`` and
  ``average_precision_score``), each the macro mean over the classes that have both positive and
  negative images; hit rate at 1 %/5 % false alarms on "any evaluated class present" (an image's
  score is its highest class score), as for detection;
- anomaly: image-level AUROC (scikit-learn); pixel-level AUPRO to FPR 0.3 (``models.aupro``).

Each value comes with a 95 % percentile-bootstrap interval over images (``models.bootstrap``)
and ``n``, the number of units it rests on: for a rank metric (AUC, hit rate) the smaller of
positive and negative images, for AUPRO the number of defect regions, for detection APs the
number of ground-truth objects. Release control suppresses a value whose ``n`` is too small.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Final

import numpy as np
from numpy.typing import NDArray
from sklearn.metrics import average_precision_score, roc_auc_score

from models.aupro import ProCurve
from models.bootstrap import Bounds, percentile_bounds
from models.coco_metrics import MAX_IMAGES, detection_metrics
from models.errors import MetricInputError
from models.hit_rate import FAR_RATES, hit_rate
from models.metric_spec import Estimate, MetricSpec, Results, check_task

__all__ = ["anomaly_metrics", "classification_metrics", "detection_metrics"]

_Values = dict[str, float | None]
MAX_CELLS: Final = 50_000_000  # images x classes


def _scores(value: object, shape: tuple[int, ...], what: str) -> NDArray[np.float64]:
    array = np.asarray(value, dtype=np.float64)
    if array.shape != shape or not np.isfinite(array).all():
        raise MetricInputError(f"{what} must be finite numbers of shape {list(shape)}")
    return array


def _truth(value: object, what: str) -> NDArray[np.bool_]:
    array = np.asarray(value)
    if array.dtype != np.bool_ or not 0 < len(array) <= MAX_IMAGES or array.size > MAX_CELLS:
        raise MetricInputError(f"{what} must be booleans for 1 to {MAX_IMAGES} images")
    return array


def _split(positive: NDArray[np.bool_]) -> tuple[int, int]:
    pos = int(positive.sum())
    return pos, len(positive) - pos


def _results(
    values: _Values, n: Mapping[str, int], spec: MetricSpec, bounds: Bounds, counts: dict[str, int]
) -> Results:
    return Results(
        metrics={
            name: Estimate(values[name], *bounds.get(name, (None, None)), n=n[name])
            for name in spec.metrics
        },
        counts=counts,
    )


# --- classification -----------------------------------------------------------------------------


def _classification_values(labels: NDArray[np.bool_], scores: NDArray[np.float64]) -> _Values:
    pos = labels.sum(axis=0)
    both = (pos > 0) & (pos < len(labels))
    values: _Values = {"roc_auc": None, "pr_auc": None}
    if both.any():
        values["roc_auc"] = float(roc_auc_score(labels[:, both], scores[:, both], average="macro"))
        values["pr_auc"] = float(
            average_precision_score(labels[:, both], scores[:, both], average="macro")
        )
    for name, rate in FAR_RATES.items():
        values[name] = hit_rate(np.any(labels, axis=1), np.max(scores, axis=1), rate)
    return values


def classification_metrics(
    labels: object, scores: object, classes: Sequence[str], spec: MetricSpec
) -> Results:
    """Multi-label classification: ``labels`` booleans ``[images, K]`` (class present),
    ``scores`` ``[images, K]`` (higher = more likely), ``classes`` the K HS codes in column
    order; the spec's ``classes`` (if any) choose the columns evaluated."""
    check_task(spec, "classification")
    truth = _truth(labels, "classification labels")
    if truth.ndim != 2 or truth.shape[1] != len(classes) or not classes:
        raise MetricInputError("classification labels must be [images, classes]")
    score = _scores(scores, truth.shape, "classification scores")
    if spec.classes is not None:
        missing = sorted(set(spec.classes) - set(classes))
        if missing:
            raise MetricInputError(f"class {missing[0]} is not one of the model's classes")
        keep = [k for k, code in enumerate(classes) if code in spec.classes]
        truth, score = truth[:, keep], score[:, keep]
    bounds = percentile_bounds(
        lambda picks: _classification_values(truth[picks], score[picks]),
        len(truth), spec.bootstrap_samples, spec.seed,
    )  # fmt: skip
    pos, neg = _split(np.any(truth, axis=1))
    n = {name: min(pos, neg) for name in ("roc_auc", "pr_auc", *FAR_RATES)}
    counts = {"images": len(truth), "positive_images": pos, "negative_images": neg}
    return _results(_classification_values(truth, score), n, spec, bounds, counts)


# --- anomaly ------------------------------------------------------------------------------------


def _auroc(labels: NDArray[np.bool_], scores: NDArray[np.float64]) -> float | None:
    if labels.all() or not labels.any():
        return None
    return float(roc_auc_score(labels, scores))


def anomaly_metrics(
    labels: object,
    scores: object,
    spec: MetricSpec,
    *,
    masks: object | None = None,
    maps: object | None = None,
) -> Results:
    """Anomaly detection: ``labels`` booleans ``[images]`` (anomalous), ``scores`` ``[images]``;
    for ``aupro30`` also ground-truth ``masks`` (booleans) and anomaly ``maps`` (scores), both
    ``[images, H, W]``."""
    check_task(spec, "anomaly-detection")
    truth = _truth(labels, "anomaly labels")
    score = _scores(scores, truth.shape, "anomaly scores")
    curve: ProCurve | None = None
    if "aupro30" in spec.metrics:
        if masks is None or maps is None:
            raise MetricInputError("aupro30 needs ground-truth masks and anomaly maps")
        mask_array = _truth(masks, "anomaly masks")
        if len(mask_array) != len(truth):
            raise MetricInputError("anomaly masks must cover the same images as the labels")
        curve = ProCurve.build(_scores(maps, mask_array.shape, "anomaly maps"), mask_array)

    def values(picks: NDArray[np.intp] | None) -> _Values:
        chosen = slice(None) if picks is None else picks
        found: _Values = {"auroc": _auroc(truth[chosen], score[chosen])}
        if curve is not None:
            weights = None if picks is None else np.bincount(picks, minlength=len(truth))
            found["aupro30"] = curve.aupro(weights)
        return found

    bounds = percentile_bounds(values, len(truth), spec.bootstrap_samples, spec.seed)
    pos, neg = _split(truth)
    regions = 0 if curve is None else len(curve.region_image)
    n = {"auroc": min(pos, neg), "aupro30": regions}
    counts = {"images": len(truth), "positive_images": pos, "negative_images": neg}
    if curve is not None:
        counts["regions"] = regions
    return _results(values(None), n, spec, bounds, counts)
