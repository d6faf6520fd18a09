"""Hit rate at a fixed false-alarm rate: the figure customs officers ask for. Pure.

Given one score and one truth per image (positive: the image holds what is looked for), flag an
image when its score is ``>= t``. For each threshold ``t`` among the scores (and above them all)
the false-alarm rate is the share of negative images flagged and the hit rate the share of
positive images flagged. The hit rate at a false-alarm rate ``r`` is the highest hit rate of a
threshold whose false-alarm rate is ``<= r`` — the most permissive threshold that keeps false
alarms within ``r``. Tied scores are flagged together (no threshold splits a tie), so ties cannot
buy a hit rate the ranking does not support. The points are scikit-learn's ``roc_curve`` with
every threshold kept (``drop_intermediate=False``). Undefined (None) without both positives and
negatives.
"""

from __future__ import annotations

from typing import Final

import numpy as np
from numpy.typing import NDArray
from sklearn.metrics import roc_curve

__all__ = ["FAR_RATES", "hit_rate"]

#: Metric name -> false-alarm rate.
FAR_RATES: Final = {"hit_rate_far1": 0.01, "hit_rate_far5": 0.05}


def hit_rate(positive: NDArray[np.bool_], score: NDArray[np.float64], rate: float) -> float | None:
    """The hit rate at false-alarm rate ``rate`` (see the module docstring)."""
    if positive.all() or not positive.any():
        return None
    fpr, tpr, _ = roc_curve(positive, score, drop_intermediate=False)
    return float(tpr[fpr <= rate].max())
