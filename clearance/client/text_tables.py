"""Plain-text tables for the terminal."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["render_table", "who_has_table"]


def render_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    cells = [[str(c) for c in headers], *[[str(c) for c in row] for row in rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def who_has_table(rows: Sequence[Mapping[str, Any]], viewer: str) -> str:
    """Rows as ``GET /whohas`` returns them (``WhoHasRow.as_json``), seen by ``viewer``."""
    title = f"What has who got — as seen by {viewer}"
    if not rows:
        return f"{title}\n(no holdings visible)"
    body = [
        (r["administration"], r["hs_code"], str(r["class_name"])[:34], r["modality"],
         r["sec:level"], r["sec:handling"], r["images"], r["objects"], r["counts"])
        for r in rows
    ]  # fmt: skip
    headers = ("admin", "HS", "class", "modality", "level", "handling", "images", "objects",
               "counts")  # fmt: skip
    return f"{title}\n{render_table(headers, body)}"
