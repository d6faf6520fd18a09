"""Classification and anomaly metrics equal scikit-learn on fixed cases; bootstrap bounds."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import average_precision_score, roc_auc_score

from models.errors import MetricInputError
from models.metric_spec import MetricSpec
from models.metrics import anomaly_metrics, classification_metrics

CLASSES = ["9302", "2402", "3004", "2939"]
CLS = ("roc_auc", "pr_auc", "hit_rate_far1", "hit_rate_far5")


def _case(seed: int, images: int = 200) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    labels = rng.random((images, len(CLASSES))) < [0.1, 0.3, 0.2, 0.0]  # 2939 never present
    scores = rng.random(labels.shape) * 0.8 + labels * 0.3
    return labels, scores


def test_classification_equals_sklearn_macro_over_classes_with_both() -> None:
    labels, scores = _case(1)
    spec = MetricSpec("classification", CLS, bootstrap_samples=0)
    results = classification_metrics(labels, scores, CLASSES, spec)
    both = labels[:, :3]  # the never-present class is left out of the macro mean
    roc = np.mean([roc_auc_score(both[:, k], scores[:, k]) for k in range(3)])
    ap = np.mean([average_precision_score(both[:, k], scores[:, k]) for k in range(3)])
    assert results.metrics["roc_auc"].value == pytest.approx(roc, abs=1e-12)
    assert results.metrics["pr_auc"].value == pytest.approx(ap, abs=1e-12)
    assert 0.6 < roc < 0.95
    positive = labels.any(axis=1)
    assert results.metrics["roc_auc"].n == min(positive.sum(), (~positive).sum())
    assert results.counts["images"] == 200


def test_classification_class_subset_and_bounds() -> None:
    labels, scores = _case(2)
    spec = MetricSpec("classification", ("roc_auc",), bootstrap_samples=100, seed=1,
                      classes=("2402",))  # fmt: skip
    estimate = classification_metrics(labels, scores, CLASSES, spec).metrics["roc_auc"]
    assert estimate.value == pytest.approx(roc_auc_score(labels[:, 1], scores[:, 1]))
    assert estimate.low is not None and estimate.high is not None
    assert estimate.low < estimate.value < estimate.high
    assert set(classification_metrics(labels, scores, CLASSES, spec).metrics) == {"roc_auc"}


def test_classification_refuses_bad_shapes_and_unknown_classes() -> None:
    labels, scores = _case(3)
    spec = MetricSpec("classification", ("roc_auc",), bootstrap_samples=0)
    with pytest.raises(MetricInputError, match="shape"):
        classification_metrics(labels, scores[:, :3], CLASSES, spec)
    with pytest.raises(MetricInputError, match="booleans"):
        classification_metrics(scores, scores, CLASSES, spec)
    bad = scores.copy()
    bad[0, 0] = np.inf
    with pytest.raises(MetricInputError, match="finite"):
        classification_metrics(labels, bad, CLASSES, spec)
    other = MetricSpec("classification", ("roc_auc",), classes=("8471",))
    with pytest.raises(MetricInputError, match="8471"):
        classification_metrics(labels, scores, CLASSES, other)


def test_anomaly_auroc_equals_sklearn_and_aupro_is_computed() -> None:
    rng = np.random.default_rng(4)
    labels = rng.random(40) < 0.4
    scores = rng.random(40) + labels * 0.5
    masks = np.zeros((40, 16, 16), dtype=bool)
    for i in np.flatnonzero(labels):
        masks[i, 4:8, 4:9] = True
    maps = rng.random(masks.shape) * 0.8 + masks * 0.4
    spec = MetricSpec("anomaly-detection", ("auroc", "aupro30"), bootstrap_samples=50)
    results = anomaly_metrics(labels, scores, spec, masks=masks, maps=maps)
    assert results.metrics["auroc"].value == pytest.approx(roc_auc_score(labels, scores))
    aupro = results.metrics["aupro30"]
    assert aupro.value is not None and 0.2 < aupro.value < 1
    assert aupro.n == labels.sum() == results.counts["regions"]
    assert (
        aupro.low is not None and aupro.high is not None and aupro.low <= aupro.value <= aupro.high
    )


def test_anomaly_aupro_needs_maps() -> None:
    spec = MetricSpec("anomaly-detection", ("aupro30",))
    with pytest.raises(MetricInputError, match="masks"):
        anomaly_metrics(np.array([True, False]), np.array([0.1, 0.2]), spec)


def test_undefined_metric_has_no_value_and_no_bounds() -> None:
    spec = MetricSpec("anomaly-detection", ("auroc",), bootstrap_samples=20)
    estimate = anomaly_metrics(np.array([True] * 5), np.arange(5.0), spec).metrics["auroc"]
    assert (estimate.value, estimate.low, estimate.high, estimate.n) == (None, None, None, 0)
