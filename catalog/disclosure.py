"""The one disclosure rule for every count the catalogue returns.

A count about a holding whose items the caller may see (``access.policy.may_see_items``: the
owner, anyone for R0/R1, REL TO administrations cleared to the level for R2/R3) is exact: the caller
could count the items anyway. Any other count is *controlled*: below ``THRESHOLD`` it is suppressed
(rendered ``"<10"``), otherwise rounded to the nearest multiple of ``BASE`` (halves up).

Controlled counts are computed per holding and never summed with anything: a sum of several
holdings' rounded cells, or a difference between two answers (two who-has snapshots around a new
publication, or two filters), could then only ever reveal rounded values, never a suppressed cell.
Controlled counts also come only from the statistics fixed at publish time, never from a query the
caller shapes (filters, date windows): sliding a filter over a rounded count would reveal the exact
item at which it crosses a rounding boundary (a "tracker" attack), so item-level queries
(search, aggregation) only ever run over items the caller may see.
"""

from __future__ import annotations

__all__ = ["BASE", "SUPPRESSED", "THRESHOLD", "Shown", "disclose"]

THRESHOLD = 10
BASE = 10
SUPPRESSED = f"<{THRESHOLD}"

#: A count as returned: an integer (exact, or a multiple of ``BASE`` when controlled) or
#: ``SUPPRESSED``.
Shown = int | str


def disclose(count: int, *, exact: bool) -> Shown:
    """``count`` as a caller may see it; ``exact`` is the READ_ITEMS decision for its holding."""
    if count < 0:
        raise ValueError("a count cannot be negative")
    if exact:
        return count
    if count < THRESHOLD:
        return SUPPRESSED
    return BASE * ((count + BASE // 2) // BASE)
