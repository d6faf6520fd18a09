"""Percentile bootstrap confidence intervals over images. Pure (the seed is an argument).

A resample draws as many image indices as there are images, with replacement, from
``numpy.random.default_rng(seed)``; the statistic recomputes every metric on it; the bounds are
the 2.5th and 97.5th percentiles (numpy's default linear interpolation) of the resampled values.
A resample on which a metric is undefined (an AUC without negatives, say) is left out for that
metric; when fewer than half of the resamples define it, its bounds are None rather than an
interval built from a biased subset.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Final

import numpy as np
from numpy.typing import NDArray

__all__ = ["LEVEL", "Bounds", "Statistic", "percentile_bounds"]

LEVEL: Final = 0.95
Statistic = Callable[[NDArray[np.intp]], Mapping[str, float | None]]
Bounds = dict[str, tuple[float | None, float | None]]


def percentile_bounds(statistic: Statistic, units: int, samples: int, seed: int) -> Bounds:
    """Bounds of each metric ``statistic`` returns, over ``samples`` resamples of ``units``
    images. Empty when ``samples`` is 0 or there are no units."""
    if samples <= 0 or units <= 0:
        return {}
    rng = np.random.default_rng(seed)
    draws: dict[str, list[float]] = {}
    for _ in range(samples):
        values = statistic(rng.integers(0, units, size=units))
        for name, value in values.items():
            found = draws.setdefault(name, [])
            if value is not None:
                found.append(value)
    tail = (1 - LEVEL) / 2 * 100
    bounds: Bounds = {}
    for name, found in draws.items():
        if 2 * len(found) < samples:
            bounds[name] = (None, None)
            continue
        low, high = np.percentile(np.asarray(found), [tail, 100 - tail])
        bounds[name] = (float(low), float(high))
    return bounds
