"""The one disclosure rule: exact where the caller may see items, else suppressed below 10 and
rounded to 10."""

from __future__ import annotations

import pytest

from catalog.disclosure import disclose


@pytest.mark.parametrize(
    ("count", "exact", "shown"),
    [
        (0, True, 0),
        (3, True, 3),
        (14, True, 14),
        (0, False, "<10"),
        (9, False, "<10"),
        (10, False, 10),
        (14, False, 10),
        (15, False, 20),
        (24, False, 20),
        (250, False, 250),
        (1234, False, 1230),
    ],
)
def test_disclose(count: int, exact: bool, shown: int | str) -> None:
    assert disclose(count, exact=exact) == shown


def test_controlled_counts_never_show_a_value_that_is_not_a_multiple_of_ten() -> None:
    for count in range(0, 500):
        shown = disclose(count, exact=False)
        assert shown == "<10" if count < 10 else (isinstance(shown, int) and shown % 10 == 0)
        assert shown == "<10" or abs(int(shown) - count) <= 5


def test_negative_counts_are_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        disclose(-1, exact=True)
