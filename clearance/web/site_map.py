"""A small map of scan sites, drawn as SVG from the shipped site table (``catalog.SITES``): an
equirectangular frame with a 30° graticule, the land outline (``static/vendor/world-atlas/
land.svg``, Natural Earth 1:110m) and one dot per site. No tile server."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from catalog import SITES

__all__ = ["HEIGHT", "WIDTH", "MapPoint", "graticule", "points"]

WIDTH, HEIGHT = 360, 180


@dataclass(frozen=True)
class MapPoint:
    code: str
    name: str
    x: float
    y: float


def _xy(lon: float, lat: float) -> tuple[float, float]:
    return round(lon + 180, 2), round(90 - lat, 2)


def points(codes: Iterable[str]) -> list[MapPoint]:
    found = []
    for code in sorted(set(codes)):
        site = SITES.get(code)
        if site is not None:
            x, y = _xy(site.lon, site.lat)
            found.append(MapPoint(site.code, site.name, x, y))
    return found


def graticule() -> tuple[list[int], list[int]]:
    """x positions of meridians and y positions of parallels, every 30 degrees."""
    return [x for x in range(30, WIDTH, 30)], [y for y in range(30, HEIGHT, 30)]
