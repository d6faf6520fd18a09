""" "What has who got": administration × label class × modality → images and annotated objects.

Computed from per-holding statistics stored at publish time, over the holdings the caller may
discover only. Counts below ``SMALL_COUNT`` are shown as ``"<10"`` for holdings at R2 and above:
small cells of sensitive holdings say too much (e.g. "3 seizures of X at port Y").
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from access.levels import Level
from access.policy import Principal
from catalog.tables import ClassStatRow, CollectionRow
from catalog.visibility import visible_collection_ids

__all__ = ["SMALL_COUNT", "WhoHasRow", "display_count", "who_has"]

SMALL_COUNT = 10


@dataclass(frozen=True)
class WhoHasRow:
    administration: str
    hs_code: str
    class_name: str
    modality: str
    level: Level
    handling: str
    holdings: int
    images: int
    objects: int

    def shown(self, count: int) -> int | str:
        return display_count(count, self.level)

    def as_json(self) -> dict[str, object]:
        return {
            "administration": self.administration,
            "hs_code": self.hs_code,
            "class_name": self.class_name,
            "modality": self.modality,
            "sec:level": self.level.name,
            "sec:handling": self.handling,
            "holdings": self.holdings,
            "images": self.shown(self.images),
            "objects": self.shown(self.objects),
        }


def display_count(count: int, level: Level) -> int | str:
    if level >= Level.R2 and count < SMALL_COUNT:
        return f"<{SMALL_COUNT}"
    return count


def who_has(session: Session, principal: Principal) -> list[WhoHasRow]:
    query = (
        select(
            CollectionRow.owner,
            ClassStatRow.hs_code,
            func.min(ClassStatRow.class_name),
            ClassStatRow.modality,
            CollectionRow.level,
            CollectionRow.handling,
            func.count(CollectionRow.id),
            func.sum(ClassStatRow.images),
            func.sum(ClassStatRow.objects),
        )
        .join(CollectionRow, CollectionRow.id == ClassStatRow.collection_id)
        .where(CollectionRow.id.in_(visible_collection_ids(principal.admin)))
        .group_by(
            CollectionRow.owner,
            ClassStatRow.hs_code,
            ClassStatRow.modality,
            CollectionRow.level,
            CollectionRow.handling,
        )
        .order_by(
            CollectionRow.owner, ClassStatRow.hs_code, ClassStatRow.modality, CollectionRow.level
        )
    )
    return [
        WhoHasRow(owner, code, name, modality, Level(level), handling, int(n), int(img), int(obj))
        for owner, code, name, modality, level, handling, n, img, obj in session.execute(query)
    ]
