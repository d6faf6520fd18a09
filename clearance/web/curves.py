"""The hit-rate-versus-false-alarm curve of a released evaluation, from released aggregates only
(pure: no I/O). The enclave releases hit rates at fixed false-alarm rates (``hit_rate_far1``,
``hit_rate_far5``: 1 % and 5 %), rounded to the release grid; the curve joins them with the two
ends every such curve has, (0, 0) and (1, 1). Nothing per image is ever behind it. The false-
alarm axis is logarithmic between 0.1 % and 100 %, where screening operating points lie."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

__all__ = ["OPERATING_POINTS", "Curve", "curve"]

OPERATING_POINTS = {"hit_rate_far1": 0.01, "hit_rate_far5": 0.05}
WIDTH, HEIGHT, PAD = 320, 220, 36
_LOG_MIN = math.log10(0.001)


@dataclass(frozen=True)
class Curve:
    points: list[tuple[float, float]]  # (false-alarm rate, hit rate) as released
    polyline: str  # SVG points
    marks: list[tuple[float, float, str]]  # x, y, label of each released point


def _xy(far: float, hit: float) -> tuple[float, float]:
    position = (math.log10(max(far, 0.001)) - _LOG_MIN) / -_LOG_MIN
    x = PAD + position * (WIDTH - PAD - 10)
    y = HEIGHT - PAD - hit * (HEIGHT - PAD - 10)
    return round(x, 1), round(y, 1)


def curve(released: dict[str, Any] | None) -> Curve | None:
    """The curve of ``released`` (an evaluation's released values), or None when it released
    no operating point."""
    values = (released or {}).get("values", {})
    found = []
    for name, far in OPERATING_POINTS.items():
        entry = values.get(name)
        value = entry.get("value") if isinstance(entry, dict) else None
        if isinstance(value, int | float):
            found.append((far, float(value)))
    if not found:
        return None
    ends = [(0.001, 0.0), *sorted(found), (1.0, 1.0)]
    polyline = " ".join(f"{x},{y}" for x, y in (_xy(f, h) for f, h in ends))
    marks = [(*_xy(f, h), f"{h:.2f} at {f:.0%}") for f, h in sorted(found)]
    return Curve(sorted(found), polyline, marks)
