"""Small counts of sensitive holdings are shown as "<10"."""

from __future__ import annotations

import pytest

from access.levels import Level
from catalog.whohas import display_count


@pytest.mark.parametrize(
    ("count", "level", "shown"),
    [
        (3, Level.R0, 3),
        (9, Level.R1, 9),
        (9, Level.R2, "<10"),
        (0, Level.R3, "<10"),
        (10, Level.R2, 10),
        (250, Level.R3, 250),
    ],
)
def test_display_count(count: int, level: Level, shown: int | str) -> None:
    assert display_count(count, level) == shown
