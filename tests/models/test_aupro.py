"""AUPRO@0.3 against a hand-computed case and a brute-force threshold sweep."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from models.aupro import FPR_LIMIT, ProCurve
from models.errors import MetricInputError


def brute_force(maps: np.ndarray, masks: np.ndarray, limit: float = FPR_LIMIT) -> float:
    """The definition, threshold by threshold: FPR over all defect-free pixels, PRO the mean
    over every region of every image; trapezoids up to ``limit`` (interpolated), / ``limit``."""
    regions = []
    for image, mask in enumerate(masks):
        labels, count = ndimage.label(mask, structure=np.ones((3, 3)))
        regions += [(image, labels == k) for k in range(1, count + 1)]
    normal = ~masks
    xs, ys = [0.0], [0.0]
    for t in np.unique(maps)[::-1]:
        flagged = maps >= t
        xs.append(float(flagged[normal].mean()))
        ys.append(float(np.mean([flagged[i][r].mean() for i, r in regions])))
    x, y = np.array(xs), np.array(ys)
    keep = x <= limit
    xk, yk = list(x[keep]), list(y[keep])
    if xk[-1] < limit:
        j = int(np.argmax(x > limit))
        yk.append(y[j - 1] + (y[j] - y[j - 1]) * (limit - x[j - 1]) / (x[j] - x[j - 1]))
        xk.append(limit)
    return float(np.trapezoid(yk, xk)) / limit


def test_hand_case() -> None:
    """One image of 1 x 10 pixels: a defect of 2 pixels (scores 0.9, 0.3), 8 normal pixels of
    which one scores 0.8 and the rest 0.1 or less. Curve: (0, 0) -> t=0.9 (0, 0.5) -> t=0.8
    (1/8, 0.5) -> t=0.3 (1/8, 1) -> ... FPR beyond 0.3 only at t=0.1 (all 8 normals: FPR 1).
    Area to 0.3: 0.5 * 1/8 (flat at 0.5) + 1 * (0.3 - 1/8) = 0.0625 + 0.175 = 0.2375; / 0.3."""
    maps = np.array([[[0.9, 0.3, 0.8, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1]]])
    masks = np.zeros_like(maps, dtype=bool)
    masks[0, 0, :2] = True
    assert ProCurve.build(maps, masks).aupro() == pytest.approx(0.2375 / 0.3)


def test_perfect_and_inverted_maps() -> None:
    masks = np.zeros((2, 8, 8), dtype=bool)
    masks[0, 2:4, 2:4] = True
    masks[1, 5:7, 1:3] = True
    assert ProCurve.build(masks.astype(float), masks).aupro() == pytest.approx(1.0)
    assert ProCurve.build(1.0 - masks, masks).aupro() == pytest.approx(0.0)


@pytest.mark.parametrize("seed", range(6))
def test_equals_brute_force(seed: int) -> None:
    rng = np.random.default_rng(seed)
    masks = np.zeros((4, 16, 16), dtype=bool)
    masks[0, 2:6, 3:7] = True
    masks[0, 10:12, 10:15] = True  # two regions in one image: each counts alone
    masks[1, 8:9, 8:9] = True  # a one-pixel region weighs as much as a large one
    masks[2, 7:9, 9:11] = True
    masks[2, 9:11, 11:13] = True  # touching at a corner: one region (8-connectivity)
    maps = np.round(rng.random(masks.shape) * 0.7 + masks * rng.random() * 0.6, 2)  # ties
    assert ProCurve.build(maps, masks).aupro() == pytest.approx(brute_force(maps, masks))


def test_weights_equal_repeating_images() -> None:
    rng = np.random.default_rng(1)
    masks = rng.random((5, 12, 12)) > 0.9
    maps = rng.random(masks.shape) + masks * 0.3
    picks = np.array([0, 0, 3, 4, 4, 4])
    weighted = ProCurve.build(maps, masks).aupro(np.bincount(picks, minlength=5))
    assert weighted == pytest.approx(brute_force(maps[picks], masks[picks]))


def test_undefined_and_refused() -> None:
    no_regions = np.zeros((1, 4, 4), dtype=bool)
    assert ProCurve.build(np.random.default_rng(0).random((1, 4, 4)), no_regions).aupro() is None
    with pytest.raises(MetricInputError, match="equal"):
        ProCurve.build(np.zeros((1, 4, 4)), np.zeros((1, 4, 5), dtype=bool))
    with pytest.raises(MetricInputError, match="finite"):
        ProCurve.build(np.full((1, 2, 2), np.nan), np.zeros((1, 2, 2), dtype=bool))
