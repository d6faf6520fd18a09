"""Template filters: dates, levels and counts as people read them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from jinja2 import Environment

from access import Level

__all__ = ["install_filters"]

_LEVEL_NAMES = {
    Level.R0: "R0 PUBLIC",
    Level.R1: "R1 OFFICIAL",
    Level.R2: "R2 SENSITIVE",
    Level.R3: "R3 PROTECTED",
    Level.R4: "R4 CLASSIFIED",
}


def level_name(value: Any) -> str:
    try:
        level = Level[value] if isinstance(value, str) else Level(value)
    except (KeyError, ValueError):
        return str(value)
    return _LEVEL_NAMES[level]


def when(value: Any) -> str:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M UTC")
    return "" if value is None else str(value).replace("T", " ")[:16] + " UTC"


def install_filters(environment: Environment) -> None:
    environment.filters["level"] = level_name
    environment.filters["when"] = when
