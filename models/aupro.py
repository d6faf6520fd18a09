"""Pixel-level AUPRO up to a false-positive rate (MVTec AD, Bergmann et al., IJCV 2021). Pure.

Definition (as the MVTec AD evaluation code computes it): the defect regions are the connected
components (8-connectivity, ``scipy.ndimage.label``) of every image's ground-truth mask. At a
threshold ``t`` a pixel is flagged when its anomaly score is ``>= t``; the false-positive rate is
the share of flagged pixels among all defect-free pixels of the data set, and the per-region
overlap (PRO) is the mean, over every region of every image, of the share of that region's pixels
flagged. AUPRO@0.3 is the area under the PRO-over-FPR curve from FPR 0 to 0.3 (trapezoids, the
last point interpolated at 0.3), divided by 0.3 so that a perfect map scores 1.

Why by hand: no well-kept library computes it (scikit-learn and faster-coco-eval have no PRO;
anomalib's ``AUPRO`` pulls in torch and Lightning, far too heavy for the enclave's parent), so
the one-page definition is written out here and tested against a hand-computed case and a
brute-force threshold sweep. One global sort serves every bootstrap resample: a resample only
changes how often each image counts (its weight), which scales its pixels' steps on the curve.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
from numpy.typing import NDArray
from scipy import ndimage

from models.errors import MetricInputError

__all__ = ["FPR_LIMIT", "MAX_PIXELS", "ProCurve"]

FPR_LIMIT: Final = 0.3
MAX_PIXELS: Final = 64 * 1024 * 1024  # about 1 GB of working arrays at most
_EIGHT: Final = np.ones((3, 3), dtype=bool)


@dataclass(frozen=True)
class ProCurve:
    """The sorted pixels of a data set, ready to integrate under any image weights."""

    image: NDArray[np.int32]  # image index of each pixel, by descending score
    normal: NDArray[np.bool_]  # defect-free pixel
    inv_size: NDArray[np.float64]  # 1 / its region's size for a defect pixel, else 0
    group_end: NDArray[np.intp]  # last index of each run of equal scores
    region_image: NDArray[np.intp]  # image index of each region
    images: int

    @classmethod
    def build(cls, maps: NDArray[np.floating], masks: NDArray[np.bool_]) -> ProCurve:
        """``maps`` float scores and ``masks`` ground truth, both ``[images, height, width]``."""
        if maps.ndim != 3 or maps.shape != masks.shape or maps.size == 0:
            raise MetricInputError("anomaly maps and masks must be equal [images, H, W] arrays")
        if maps.size > MAX_PIXELS:
            raise MetricInputError(f"anomaly maps hold more than {MAX_PIXELS} pixels")
        if not np.isfinite(maps).all():
            raise MetricInputError("anomaly maps must hold finite numbers")
        sizes, region_image, region_of = _regions(masks)
        order = np.argsort(-maps.ravel(), kind="stable")
        scores = maps.ravel()[order]
        region = region_of.ravel()[order]
        inv = np.zeros(region.shape, dtype=np.float64)
        inside = region >= 0
        inv[inside] = 1.0 / sizes[region[inside]]
        pixels_per_image = maps.shape[1] * maps.shape[2]
        ends = np.flatnonzero(np.append(scores[1:] != scores[:-1], True))
        return cls(
            image=(order // pixels_per_image).astype(np.int32),
            normal=~inside,
            inv_size=inv,
            group_end=ends,
            region_image=region_image,
            images=maps.shape[0],
        )

    def aupro(self, weights: NDArray[np.int64] | None = None) -> float | None:
        """Normalised AUPRO up to :data:`FPR_LIMIT`; ``weights`` (how often each image counts,
        default once each) serve the bootstrap. None when there is no defect-free pixel or no
        region under these weights."""
        w = np.ones(self.images, dtype=np.float64) if weights is None else weights.astype(float)
        w_pixel = w[self.image]
        normal_total = float(w_pixel[self.normal].sum())
        region_total = float(w[self.region_image].sum())
        if normal_total == 0 or region_total == 0:
            return None
        fpr = np.cumsum(np.where(self.normal, w_pixel, 0.0))[self.group_end] / normal_total
        pro = np.cumsum(w_pixel * self.inv_size)[self.group_end] / region_total
        return _area_to(np.append(0.0, fpr), np.append(0.0, pro), FPR_LIMIT) / FPR_LIMIT


def _regions(
    masks: NDArray[np.bool_],
) -> tuple[NDArray[np.float64], NDArray[np.intp], NDArray[np.intp]]:
    """Region sizes, each region's image, and each pixel's region index (-1 outside any)."""
    region_of = np.full(masks.shape, -1, dtype=np.intp)
    sizes: list[NDArray[np.intp]] = []
    images: list[NDArray[np.intp]] = []
    offset = 0
    for index, mask in enumerate(masks):
        labels, count = ndimage.label(mask, structure=_EIGHT)
        if count:
            inside = labels > 0
            region_of[index][inside] = labels[inside] - 1 + offset
            sizes.append(np.bincount(labels[inside] - 1, minlength=count))
            images.append(np.full(count, index, dtype=np.intp))
            offset += count
    if not sizes:
        return np.zeros(0), np.zeros(0, dtype=np.intp), region_of
    return np.concatenate(sizes).astype(np.float64), np.concatenate(images), region_of


def _area_to(x: NDArray[np.float64], y: NDArray[np.float64], limit: float) -> float:
    """Trapezoid area under the curve ``(x, y)`` (x non-decreasing) from ``x[0]`` to ``limit``,
    the curve interpolated linearly at ``limit``."""
    inside = int(np.searchsorted(x, limit, side="right"))  # points with x <= limit
    xs, ys = x[:inside], y[:inside]
    if inside < len(x) and xs[-1] < limit:
        x0, x1, y0, y1 = x[inside - 1], x[inside], y[inside - 1], y[inside]
        xs = np.append(xs, limit)
        ys = np.append(ys, y0 + (y1 - y0) * (limit - x0) / (x1 - x0))
    return float(np.trapezoid(ys, xs))
