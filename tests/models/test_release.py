from __future__ import annotations

import pytest

from models.errors import BudgetExhausted, ReleaseError
from models.metric_spec import Estimate, Results
from models.release import (
    Budget,
    LeaderboardEntry,
    ReleasedValue,
    ReleasePolicy,
    ladder_accepts,
    leaderboard_entry,
    release,
    to_grid,
)


def test_to_grid_rounds_half_to_even_in_decimals() -> None:
    assert to_grid(0.125, 0.01) == 0.12
    assert to_grid(0.135, 0.01) == 0.14
    assert to_grid(0.7349999, 0.01) == 0.73
    assert to_grid(0.3, 0.05) == 0.3
    assert to_grid(0.33, 0.05) == 0.35
    assert to_grid(1.0, 0.01) == 1.0


def test_release_rounds_suppresses_and_controls_counts() -> None:
    results = Results(
        metrics={
            "map50": Estimate(0.73456, 0.6912, 0.7788, n=140),
            "ap50:9302": Estimate(0.91, 0.5, 1.0, n=3),
            "hit_rate_far1": Estimate(None, None, None, n=40),
        },
        counts={"images": 123, "positive_images": 7},
    )
    out = release(results, ReleasePolicy())
    assert out.values["map50"] == ReleasedValue(0.73, 0.69, 0.78)
    assert out.values["ap50:9302"] == ReleasedValue(None, None, None)
    assert out.suppressed == ("ap50:9302",)
    assert out.values["hit_rate_far1"] == ReleasedValue(None, None, None)
    assert out.counts == {"images": 120, "positive_images": "<10"}
    assert out.as_json()["values"]["map50"] == {"value": 0.73, "low": 0.69, "high": 0.78}


def test_bounds_round_outward() -> None:
    out = release(Results({"auroc": Estimate(0.5, 0.4449, 0.5551, n=50)}), ReleasePolicy())
    assert out.values["auroc"] == ReleasedValue(0.5, 0.44, 0.56)


def test_policy_bounds() -> None:
    for bad in ({"grid": 0}, {"grid": 0.5}, {"min_count": 0}, {"budget": -1}, {"budget": 10_001}):
        with pytest.raises(ReleaseError):
            ReleasePolicy(**bad)  # type: ignore[arg-type]


def test_budget_spends_until_exhausted() -> None:
    budget = Budget(total=2)
    budget = budget.spend().spend()
    assert (budget.spent, budget.remaining) == (2, 0)
    with pytest.raises(BudgetExhausted) as caught:
        budget.spend()
    assert caught.value.code == "release-budget-exhausted"
    assert "2 of 2" in str(caught.value)
    with pytest.raises(BudgetExhausted):
        Budget(total=3, spent=2).spend(2)
    with pytest.raises(ReleaseError):
        Budget(total=3).spend(0)


def test_ladder() -> None:
    assert ladder_accepts(None, 0.1, 0.01)
    assert ladder_accepts(0.70, 0.71, 0.01)  # exactly one step: shown (exact decimals)
    assert not ladder_accepts(0.70, 0.7099, 0.01)
    assert not ladder_accepts(0.70, 0.60, 0.01)
    assert not ladder_accepts(None, float("nan"), 0.01)
    assert not ladder_accepts(0.5, float("inf"), 0.01)
    assert leaderboard_entry(0.70, 0.7099, 0.01) == LeaderboardEntry(0.70, False)
    assert leaderboard_entry(0.70, 0.7261, 0.01) == LeaderboardEntry(0.73, True)
    assert leaderboard_entry(None, 0.4449, 0.01) == LeaderboardEntry(0.44, True)
    assert leaderboard_entry(0.5, None, 0.01) == LeaderboardEntry(0.5, False)


def test_ladder_stops_a_probing_submitter() -> None:
    """A submitter nudging the score by 0.4 of a step each time sees the board move only when
    the score is a full step above what it shows, not at each nudge."""
    best: float | None = None
    shown = []
    for k in range(10):
        entry = leaderboard_entry(best, round(0.5 + k * 0.004, 3), 0.01)
        best = entry.shown
        shown.append(best)
    assert shown == [0.5, 0.5, 0.5, 0.51, 0.51, 0.52, 0.52, 0.52, 0.53, 0.53]
