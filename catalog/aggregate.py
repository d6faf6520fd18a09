"""The aggregation extension: counts over the same filtered, visibility-restricted item set.

That set holds only items the caller may see (``catalog.search.conditions``), so every count here
is exact under the disclosure rule (``catalog.disclosure``): a holding the caller may only
discover contributes nothing, and its disclosure-controlled counts are served by who-has alone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.orm import Session

from access import Level, Principal, utc_text
from catalog.errors import InvalidQuery
from catalog.search import SearchRequest, conditions
from catalog.tables import ItemClassRow, ItemRow

__all__ = ["AGGREGATIONS", "run_aggregation"]

_MAX_BUCKETS = 200


@dataclass(frozen=True)
class Aggregation:
    data_type: str
    run: Callable[[Session, ColumnElement[bool]], dict[str, Any]]


def _total(session: Session, where: ColumnElement[bool]) -> dict[str, Any]:
    value = session.scalar(select(func.count()).select_from(ItemRow).where(where))
    return {"data_type": "integer", "value": int(value or 0)}


def _datetime(fn: Any) -> Callable[[Session, ColumnElement[bool]], dict[str, Any]]:
    def run(session: Session, where: ColumnElement[bool]) -> dict[str, Any]:
        value = session.scalar(select(fn(ItemRow.datetime)).where(where))
        text = utc_text(value) if value is not None else None
        return {"data_type": "datetime", "value": text}

    return run


def _frequency(column: Any, label: Callable[[Any], str] = str) -> Callable[..., dict[str, Any]]:
    def run(session: Session, where: ColumnElement[bool]) -> dict[str, Any]:
        count = func.count()
        rows = session.execute(
            select(column, count).where(where).group_by(column).order_by(count.desc(), column)
        ).all()
        buckets = [
            {"key": label(k), "data_type": "frequency_distribution", "frequency": int(n)}
            for k, n in rows[:_MAX_BUCKETS]
        ]
        overflow = sum(int(n) for _, n in rows[_MAX_BUCKETS:])
        return {"data_type": "frequency_distribution", "overflow": overflow, "buckets": buckets}

    return run


def _hs_codes(session: Session, where: ColumnElement[bool]) -> dict[str, Any]:
    joined = and_(
        where,
        ItemClassRow.collection_id == ItemRow.collection_id,
        ItemClassRow.item_id == ItemRow.id,
    )
    return _frequency(ItemClassRow.hs_code)(session, joined)


AGGREGATIONS: dict[str, Aggregation] = {
    "total_count": Aggregation("integer", _total),
    "datetime_min": Aggregation("datetime", _datetime(func.min)),
    "datetime_max": Aggregation("datetime", _datetime(func.max)),
    "collection_frequency": Aggregation(
        "frequency_distribution", _frequency(ItemRow.collection_id)
    ),
    "modality_frequency": Aggregation("frequency_distribution", _frequency(ItemRow.modality)),
    "conveyance_frequency": Aggregation("frequency_distribution", _frequency(ItemRow.conveyance)),
    "inspection_outcome_frequency": Aggregation(
        "frequency_distribution", _frequency(ItemRow.inspection_outcome)
    ),
    "level_frequency": Aggregation(
        "frequency_distribution", _frequency(ItemRow.level, lambda v: Level(v).name)
    ),
    "hs_code_frequency": Aggregation("frequency_distribution", _hs_codes),
}


def _names(names: Any) -> list[str]:
    if isinstance(names, str):
        names = [n.strip() for n in names.split(",") if n.strip()]
    if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
        raise InvalidQuery("aggregations: name at least one aggregation; see /aggregations")
    for name in names:
        if name not in AGGREGATIONS:
            raise InvalidQuery(f"aggregations: unknown aggregation {name!r}; see /aggregations")
    return list(dict.fromkeys(names))


def run_aggregation(
    session: Session, principal: Principal, request: SearchRequest, names: Any
) -> list[dict[str, Any]]:
    where = and_(*conditions(request, principal))
    return [{"name": n, **AGGREGATIONS[n].run(session, where)} for n in _names(names)]
