""" "What has who got": administration × label class × modality → images and annotated objects.

Computed from per-holding statistics stored at publish time, over the holdings the caller may
discover only, under the one disclosure rule (``catalog.disclosure``): holdings whose items the
caller may see are summed exactly; every other holding keeps a row of its own whose counts are
controlled (suppressed below 10, otherwise rounded to 10) and never added to anything, so neither
sums nor two snapshots taken around a publication reveal a suppressed cell.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from itertools import groupby

from sqlalchemy import select
from sqlalchemy.orm import Session

from access import Level, Principal
from catalog.disclosure import Shown, disclose
from catalog.tables import ClassStatRow, CollectionRow
from catalog.visibility import items_visible, visible_collection_ids

__all__ = ["WhoHasRow", "who_has"]


@dataclass(frozen=True)
class WhoHasRow:
    """One row as the caller may see it: ``images`` and ``objects`` are already disclosed."""

    administration: str
    hs_code: str
    class_name: str
    modality: str
    level: Level
    handling: str
    holdings: int
    images: Shown
    objects: Shown
    exact: bool

    def as_json(self) -> dict[str, object]:
        return {
            "administration": self.administration,
            "hs_code": self.hs_code,
            "class_name": self.class_name,
            "modality": self.modality,
            "sec:level": self.level.name,
            "sec:handling": self.handling,
            "holdings": self.holdings,
            "images": self.images,
            "objects": self.objects,
            "counts": "exact" if self.exact else "controlled",
        }


@dataclass(frozen=True)
class _Cell:
    """One holding × HS code × modality, as stored at publish time."""

    owner: str
    hs_code: str
    class_name: str
    modality: str
    level: int
    handling: str
    holding: str
    images: int
    objects: int
    exact: bool

    def key(self) -> tuple[str, str, str, int, str, bool, str]:
        # Exact cells of one group are summed; each controlled cell stays alone (its holding id
        # is part of the key, never shown).
        return (self.owner, self.hs_code, self.modality, self.level, self.handling,
                not self.exact, "" if self.exact else self.holding)  # fmt: skip


def _row(cells: list[_Cell]) -> WhoHasRow:
    first = cells[0]
    images = sum(c.images for c in cells)
    objects = sum(c.objects for c in cells)
    return WhoHasRow(
        first.owner, first.hs_code, min(c.class_name for c in cells), first.modality,
        Level(first.level), first.handling, len(cells),
        disclose(images, exact=first.exact), disclose(objects, exact=first.exact), first.exact,
    )  # fmt: skip


def _rows(cells: Iterable[_Cell]) -> list[WhoHasRow]:
    ordered = sorted(cells, key=_Cell.key)
    return [_row(list(group)) for _, group in groupby(ordered, key=_Cell.key)]


def who_has(
    session: Session, principal: Principal, holding_id: str | None = None
) -> list[WhoHasRow]:
    """Every row ``principal`` may see; with ``holding_id``, that holding's rows only (its
    label classes with counts, under the same rule)."""
    query = (
        select(
            CollectionRow.owner, ClassStatRow.hs_code, ClassStatRow.class_name,
            ClassStatRow.modality, CollectionRow.level, CollectionRow.handling, CollectionRow.id,
            ClassStatRow.images, ClassStatRow.objects, items_visible(principal),
        )
        .join(CollectionRow, CollectionRow.id == ClassStatRow.collection_id)
        .where(CollectionRow.id.in_(visible_collection_ids(principal.admin)))
    )  # fmt: skip
    if holding_id is not None:
        query = query.where(CollectionRow.id == holding_id)
    return _rows(
        _Cell(o, code, name, mod, int(lvl), hand, hid, int(img), int(obj), bool(exact))
        for o, code, name, mod, lvl, hand, hid, img, obj, exact in session.execute(query)
    )
