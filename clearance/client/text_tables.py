"""Plain-text tables for the terminal."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # types only: the client commands need no database layer to start
    from access import Principal
    from catalog import WhoHasRow

__all__ = ["render_table", "who_has_table"]


def render_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    cells = [[str(c) for c in headers], *[[str(c) for c in row] for row in rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def who_has_table(rows: Sequence[WhoHasRow], principal: Principal) -> str:
    title = f"What has who got — as seen by {principal.user} ({principal.admin})"
    if not rows:
        return f"{title}\n(no holdings visible)"
    body = [
        (r.administration, r.hs_code, r.class_name[:34], r.modality, r.level.name, r.handling,
         r.images, r.objects, "exact" if r.exact else "controlled")
        for r in rows
    ]  # fmt: skip
    headers = ("admin", "HS", "class", "modality", "level", "handling", "images", "objects",
               "counts")  # fmt: skip
    return f"{title}\n{render_table(headers, body)}"
