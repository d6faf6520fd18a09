"""Training pixels for the demo detector's scorer: labels from COCO boxes, a balanced sample.

A feature-map pixel inside an annotated box takes that box's class (the smallest box, where boxes
overlap); every other pixel is background. Most background is air around the parcel and easy;
the sample takes background from inside the parcel (attenuating pixels) in larger share, since
that clutter is what the scorer must learn to tell from goods.
"""

from __future__ import annotations

from typing import Final

import numpy as np
from numpy.typing import NDArray

__all__ = ["pixel_labels", "sample_pixels"]

OBJECT_PIXELS: Final = 500  # per scan, at most
CLUTTER_PIXELS: Final = 500
AIR_PIXELS: Final = 150
AIR_ATTENUATION: Final = 0.25  # high-channel attenuation below this is air, belt gaps, thin card


def pixel_labels(
    rows: int, cols: int, boxes: NDArray[np.float64], classes: NDArray[np.int64]
) -> NDArray[np.int64]:
    """Flat labels of a rows x cols map; ``boxes`` (n, 4) x1, y1, x2, y2 in map pixels."""
    labels = np.zeros((rows, cols), np.int64)
    areas = np.full((rows, cols), np.inf)
    for (x1, y1, x2, y2), cls in zip(boxes, classes, strict=True):
        # Pixel centres (i + 0.5) inside [y1, y2) x [x1, x2).
        ys = slice(max(0, int(np.ceil(y1 - 0.5))), max(0, int(np.ceil(y2 - 0.5))))
        xs = slice(max(0, int(np.ceil(x1 - 0.5))), max(0, int(np.ceil(x2 - 0.5))))
        smaller = areas[ys, xs] > (x2 - x1) * (y2 - y1)
        labels[ys, xs][smaller] = cls
        areas[ys, xs][smaller] = (x2 - x1) * (y2 - y1)
    return labels.ravel()


def sample_pixels(
    labels: NDArray[np.int64], attenuation: NDArray[np.float32], rng: np.random.Generator
) -> NDArray[np.int64]:
    """Indices of the pixels one scan contributes to training."""
    objects = np.flatnonzero(labels)
    background = labels == 0
    clutter = np.flatnonzero(background & (attenuation > AIR_ATTENUATION))
    air = np.flatnonzero(background & (attenuation <= AIR_ATTENUATION))
    picks = [
        rng.choice(group, size=min(len(group), limit), replace=False)
        for group, limit in ((objects, OBJECT_PIXELS), (clutter, CLUTTER_PIXELS), (air, AIR_PIXELS))
    ]
    return np.sort(np.concatenate(picks))
