"""Release control: what of an evaluation may leave the enclave, and how often. Pure.

- **Grid.** Every released number is rounded to ``grid`` (default 0.01): the value half to even
  (no drift up or down over many releases; exact decimal arithmetic, so 0.125 on a 0.01 grid is
  0.12 and never a float artefact), the bootstrap bounds outward (low down, high up), so that
  rounding never narrows an interval. Each value then carries at most log2(1/grid + 1) ≈ 6.7 bits.
- **Minimum count.** A value whose ``n`` (``models.metric_spec.Estimate``) is under
  ``min_count`` (default 10) is suppressed: no value, no bounds, its name listed in
  ``suppressed``. An AUC over fewer than ten negatives, or a per-class AP over three objects, says
  more about those few images than about the model.
- **Aggregates only.** Only the spec's named metrics leave, and the image and object counts as the
  catalogue's controlled counts (``catalog.disclose``: under 10 suppressed, else to the nearest
  10); nothing per image.
- **Budget.** Each (administration, holding) has ``budget`` releases (default 20), and every
  release and every failure spends one (:class:`Budget`); an adaptive submitter learns at most
  that many rounded answers. Twenty is enough for a vendor's model iterations over a project and
  small next to the hundreds of queries reconstruction attacks on aggregates need.
- **Ladder** (Blum & Hardt, "The Ladder: A Reliable Leaderboard for Machine Learning
  Competitions", ICML 2015): the leaderboard shows a new score only when it beats the best shown
  so far by at least the grid step; otherwise it keeps showing the previous best. Small
  score-probing improvements (overfitting the holding by resubmitting) therefore reveal nothing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_EVEN, Decimal
from typing import Any, Final

from catalog import disclose
from models.errors import BudgetExhausted, ReleaseError
from models.metric_spec import Estimate, Results

__all__ = [
    "PRIMARY_METRIC",
    "Budget",
    "LeaderboardEntry",
    "ReleasePolicy",
    "Released",
    "ReleasedValue",
    "ladder_accepts",
    "leaderboard_entry",
    "release",
    "to_grid",
]

#: The one metric a task's leaderboard ranks by (higher is better for each).
PRIMARY_METRIC: Final = {
    "object-detection": "map50",
    "classification": "roc_auc",
    "anomaly-detection": "auroc",
}


@dataclass(frozen=True)
class ReleasePolicy:
    grid: float = 0.01
    min_count: int = 10
    budget: int = 20

    def __post_init__(self) -> None:
        if not 0.0001 <= self.grid <= 0.1:
            raise ReleaseError("release grid must be from 0.0001 to 0.1")
        if not 1 <= self.min_count <= 100_000:
            raise ReleaseError("release min_count must be from 1 to 100000")
        if not 0 <= self.budget <= 10_000:  # 0: the holding's stewards stopped all releases
            raise ReleaseError("release budget must be from 0 to 10000")


def to_grid(value: float, grid: float, rounding: str = ROUND_HALF_EVEN) -> float:
    """``value`` rounded to a multiple of ``grid``, in exact decimal arithmetic."""
    step = Decimal(repr(grid))
    steps = (Decimal(repr(value)) / step).to_integral_value(rounding=rounding)
    return float(steps * step)


@dataclass(frozen=True)
class ReleasedValue:
    value: float | None
    low: float | None
    high: float | None


@dataclass(frozen=True)
class Released:
    values: dict[str, ReleasedValue]
    suppressed: tuple[str, ...]
    counts: dict[str, int | str]
    grid: float

    def as_json(self) -> dict[str, Any]:
        return {
            "values": {
                name: {"value": v.value, "low": v.low, "high": v.high}
                for name, v in sorted(self.values.items())
            },
            "suppressed": list(self.suppressed),
            "counts": dict(sorted(self.counts.items())),
            "grid": self.grid,
        }


def _rounded(estimate: Estimate, grid: float) -> ReleasedValue:
    def maybe(value: float | None, rounding: str) -> float | None:
        return None if value is None else to_grid(value, grid, rounding)

    return ReleasedValue(
        maybe(estimate.value, ROUND_HALF_EVEN),
        maybe(estimate.low, ROUND_FLOOR),
        maybe(estimate.high, ROUND_CEILING),
    )


def release(results: Results, policy: ReleasePolicy) -> Released:
    """What may leave: rounded values, suppressed small slices, controlled counts."""
    values: dict[str, ReleasedValue] = {}
    suppressed = []
    for name, estimate in sorted(results.metrics.items()):
        if estimate.n < policy.min_count:
            suppressed.append(name)
            values[name] = ReleasedValue(None, None, None)
        else:
            values[name] = _rounded(estimate, policy.grid)
    counts = {name: disclose(count, exact=False) for name, count in results.counts.items()}
    return Released(values, tuple(suppressed), counts, policy.grid)


@dataclass(frozen=True)
class Budget:
    """Releases (and failures) allowed and spent for one (administration, holding)."""

    total: int
    spent: int = 0

    def __post_init__(self) -> None:
        if self.total < 0 or self.spent < 0:
            raise ReleaseError("a budget's total and spent must not be negative")

    @property
    def remaining(self) -> int:
        return max(self.total - self.spent, 0)

    def spend(self, cost: int = 1) -> Budget:
        """The budget after spending ``cost``; :class:`BudgetExhausted` if it does not cover it."""
        if cost < 1:
            raise ReleaseError("a release costs at least 1")
        if self.spent + cost > self.total:
            raise BudgetExhausted(self.total, self.spent)
        return Budget(self.total, self.spent + cost)


def ladder_accepts(best: float | None, score: float, grid: float) -> bool:
    """Whether ``score`` beats the best shown so far by at least ``grid`` (exact decimals): the
    Ladder (Blum & Hardt, 2015), so adaptive submissions cannot climb the board by noise below
    the grid. A score that is not a finite number is never shown."""
    if not math.isfinite(score):
        return False
    if best is None:
        return True
    return Decimal(repr(score)) - Decimal(repr(best)) >= Decimal(repr(grid))


@dataclass(frozen=True)
class LeaderboardEntry:
    shown: float | None  # what the board shows for this submission
    improved: bool  # whether it is a new best


def leaderboard_entry(best: float | None, score: float | None, grid: float) -> LeaderboardEntry:
    """The Ladder's answer to a submission scoring ``score`` when the board's best is ``best``:
    the new score on the grid if it beats ``best`` by a grid step, else ``best`` again."""
    if score is None or not ladder_accepts(best, score, grid):
        return LeaderboardEntry(best, False)
    return LeaderboardEntry(to_grid(score, grid), True)
