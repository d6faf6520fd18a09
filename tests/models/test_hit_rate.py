from __future__ import annotations

import numpy as np
import pytest

from models.hit_rate import hit_rate


def test_hand_case() -> None:
    """Scores of 10 negatives 0.0..0.9 and 4 positives 0.95, 0.85, 0.55, 0.05.
    FAR 0 % (threshold above 0.9): one hit (0.95) -> 0.25. FAR 10 % (one alarm allowed:
    threshold 0.85, flagging 0.95, 0.9 and 0.85) -> 0.5. FAR 20 % (threshold 0.8): still 0.5.
    FAR 50 % (threshold 0.5): 0.95, 0.85, 0.55 -> 0.75."""
    negatives = [i / 10 for i in range(10)]
    positives = [0.95, 0.85, 0.55, 0.05]
    truth = np.array([False] * 10 + [True] * 4)
    score = np.array(negatives + positives)
    assert hit_rate(truth, score, 0.0) == 0.25
    assert hit_rate(truth, score, 0.01) == 0.25
    assert hit_rate(truth, score, 0.1) == 0.5
    assert hit_rate(truth, score, 0.2) == 0.5
    assert hit_rate(truth, score, 0.5) == 0.75
    assert hit_rate(truth, score, 1.0) == 1.0


def test_ties_are_flagged_together() -> None:
    # a positive tied with the only negative: flagging it costs a 100 % false-alarm rate
    truth = np.array([True, False, True])
    score = np.array([0.5, 0.5, 0.9])
    assert hit_rate(truth, score, 0.5) == 0.5
    assert hit_rate(truth, score, 1.0) == 1.0


@pytest.mark.parametrize("seed", range(5))
def test_equals_a_brute_force_threshold_sweep(seed: int) -> None:
    rng = np.random.default_rng(seed)
    truth = rng.random(300) < 0.3
    score = np.round(rng.random(300) + truth * 0.4, 2)  # rounded: many ties
    for rate in (0.01, 0.05, 0.2):
        best = 0.0
        for t in np.append(np.unique(score), np.inf):
            flagged = score >= t
            if flagged[~truth].mean() <= rate:
                best = max(best, float(flagged[truth].mean()))
        assert hit_rate(truth, score, rate) == pytest.approx(best)


def test_undefined_without_both_kinds() -> None:
    assert hit_rate(np.array([True, True]), np.array([0.1, 0.2]), 0.05) is None
    assert hit_rate(np.array([False, False]), np.array([0.1, 0.2]), 0.05) is None
