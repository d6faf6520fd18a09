"""The who-has-what matrix and bar chart, from who-has rows (pure: no I/O).

Rows are already disclosed (``catalog.disclosure``). Exact counts of one cell are summed;
controlled counts are never added to anything, so a cell lists each controlled count apart.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from access import Level
from catalog import WhoHasRow

__all__ = ["Bar", "Cell", "Matrix", "bars", "filter_rows", "matrix"]


@dataclass
class Cell:
    exact: int = 0
    has_exact: bool = False
    controlled: list[int | str] = field(default_factory=list)
    modalities: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class Matrix:
    admins: list[str]
    classes: list[tuple[str, str]]  # (HS code, name)
    cells: dict[tuple[str, str], Cell]


@dataclass(frozen=True)
class Bar:
    hs_code: str
    name: str
    exact: int
    controlled: int  # how many controlled cells the class also has (never summed)
    y: int
    width: float


def filter_rows(
    rows: Iterable[WhoHasRow], modality: str = "", level: str = "", handling: str = ""
) -> list[WhoHasRow]:
    wanted_level = Level[level] if level in Level.__members__ else None
    return [
        r
        for r in rows
        if (not modality or r.modality == modality)
        and (wanted_level is None or r.level is wanted_level)
        and (not handling or r.handling == handling)
    ]


def matrix(rows: Sequence[WhoHasRow]) -> Matrix:
    cells: dict[tuple[str, str], Cell] = {}
    names: dict[str, str] = {}
    for row in rows:
        names.setdefault(row.hs_code, row.class_name)
        cell = cells.setdefault((row.administration, row.hs_code), Cell())
        cell.modalities.add(row.modality)
        if row.exact and isinstance(row.images, int):
            cell.exact += row.images
            cell.has_exact = True
        else:
            cell.controlled.append(row.images)
    admins = sorted({r.administration for r in rows})
    return Matrix(admins, sorted(names.items()), cells)


def bars(rows: Sequence[WhoHasRow], width: float = 560.0, step: int = 22) -> list[Bar]:
    totals: dict[str, int] = {}
    controlled: dict[str, int] = {}
    names: dict[str, str] = {}
    for row in rows:
        names.setdefault(row.hs_code, row.class_name)
        totals.setdefault(row.hs_code, 0)
        if row.exact and isinstance(row.images, int):
            totals[row.hs_code] += row.images
        else:
            controlled[row.hs_code] = controlled.get(row.hs_code, 0) + 1
    top = max(totals.values(), default=0) or 1
    ordered = sorted(totals, key=lambda code: (-totals[code], code))
    return [
        Bar(code, names[code], totals[code], controlled.get(code, 0), i * step,
            round(width * totals[code] / top, 1))
        for i, code in enumerate(ordered)
    ]  # fmt: skip
