"""Make clearance/web/static/vendor/world-atlas/land.svg, the site map's outline, from world-atlas's
land-110m.json (Natural Earth 1:110m land, TopoJSON): equirectangular, x = lon + 180,
y = 90 - lat, in a 360 x 180 box, one path. Run: python scripts/web_land_svg.py land-110m.json"""

from __future__ import annotations

import json
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "clearance/web/static/vendor/world-atlas/land.svg"


def _arcs(topology: dict) -> list[list[tuple[float, float]]]:
    (sx, sy), (tx, ty) = topology["transform"]["scale"], topology["transform"]["translate"]
    decoded = []
    for arc in topology["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x, y = x + dx, y + dy
            points.append((x * sx + tx, y * sy + ty))
        decoded.append(points)
    return decoded


def _ring(arcs: list[list[tuple[float, float]]], indexes: list[int]) -> list[tuple[float, float]]:
    ring: list[tuple[float, float]] = []
    for index in indexes:
        points = arcs[index] if index >= 0 else arcs[~index][::-1]
        ring.extend(points if not ring else points[1:])
    return ring


def _path(ring: list[tuple[float, float]]) -> str:
    """The ring as SVG path data; where it crosses the antimeridian (a jump of more than 180
    degrees of longitude) it moves instead of drawing a line across the whole map."""
    out, previous = [], None
    for lon, lat in ring:
        jump = previous is None or abs(lon - previous) > 180
        out.append(("M" if jump else "L") + f"{lon + 180:.1f} {90 - lat:.1f}")
        previous = lon
    return "".join(out)


def main(source: str) -> None:
    topology = json.loads(Path(source).read_text())
    arcs = _arcs(topology)
    parts = []
    for geometry in topology["objects"]["land"]["geometries"]:
        polygons = geometry["arcs"] if geometry["type"] == "MultiPolygon" else [geometry["arcs"]]
        for polygon in polygons:
            for indexes in polygon:
                parts.append(_path(_ring(arcs, indexes)))
    OUT.write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 360 180">'
        f'<path fill="#dfe7d8" stroke="#7f8f7a" stroke-width="0.3" d="{"".join(parts)}"/></svg>\n'
    )


if __name__ == "__main__":
    main(sys.argv[1])
