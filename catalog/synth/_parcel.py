"""Parcel scene: a cardboard box on the conveyor belt of a tunnel scanner, with loose contents.

The box is sized to hold the largest object drawn for the scan, so nothing has to be squeezed.
"""

from __future__ import annotations

import numpy as np

from catalog.synth._materials import MATERIALS
from catalog.synth._physics import LineIntegrals, smooth_field
from catalog.synth._setup import Region, Setup
from catalog.synth._shapes import profile

CARDBOARD_FILL = 0.17  # corrugated board: paper with mostly air
# Unannotated odds and ends: material, size range (mm), thickness range (cm). Metal items (keys,
# coins, chargers) stay small and thin so they do not hide the annotated goods.
DISTRACTORS = (
    ("plastic", (30, 150), (0.5, 4.0)),
    ("water", (60, 200), (3.0, 8.0)),
    ("aluminium", (20, 100), (0.1, 0.6)),
    ("steel", (10, 60), (0.05, 0.3)),
)


def build(
    setup: Setup, need: tuple[int, int], rng: np.random.Generator
) -> tuple[LineIntegrals, Region]:
    """Scene with a box whose inside is at least need = (height, width) pixels where possible."""
    lines = LineIntegrals(setup.height, setup.width, setup.beam)
    tunnel_cm = float(rng.uniform(70, 100))
    belt = setup.height - setup.px_y(60)
    _belt(lines, setup, belt, tunnel_cm)
    depth_cm = float(rng.uniform(10, 30) if setup.conveyance == "post" else rng.uniform(20, 60))
    box = _box(setup, need, belt, rng)
    _cardboard(lines, setup, box, depth_cm)
    inside = _inset(box, setup.px_x(5))
    _contents(lines, setup, inside, depth_cm, rng)
    return lines, inside


def _belt(lines: LineIntegrals, setup: Setup, top: int, tunnel_cm: float) -> None:
    """Belt and its bed plate lie along the beam: a dark band under the parcel."""
    pitch = setup.spacing[1]
    belt = slice(top, top + setup.px_y(5))
    lines.add(MATERIALS["rubber"], belt, slice(None), tunnel_cm * min(1.0, 5.0 / pitch))
    bed = slice(belt.stop, belt.stop + setup.px_y(3))
    lines.add(MATERIALS["steel"], bed, slice(None), tunnel_cm * min(1.0, 2.0 / pitch))


def _box(setup: Setup, need: tuple[int, int], floor: int, rng: np.random.Generator) -> Region:
    small = setup.conveyance == "post"
    width_mm = rng.uniform(150, 400) if small else rng.uniform(250, 900)
    height_mm = rng.uniform(50, 250) if small else rng.uniform(150, 700)
    wall, margin = 2 * setup.px_x(5), setup.px_x(20)
    width = int(np.clip(max(setup.px_x(width_mm), need[1] + wall), 8, setup.width - 2 * margin))
    height = int(np.clip(max(setup.px_y(height_mm), need[0] + wall), 8, floor - margin))
    left = margin + int(rng.integers(0, setup.width - 2 * margin - width + 1))
    return Region(floor - height, floor, left, left + width)


def _inset(box: Region, by: int) -> Region:
    return Region(box.top + by, box.bottom - by, box.left + by, box.right - by)


def _cardboard(lines: LineIntegrals, setup: Setup, box: Region, depth_cm: float) -> None:
    paper, wall = MATERIALS["paper"], setup.px_x(5)
    rows, cols = slice(box.top, box.bottom), slice(box.left, box.right)
    lines.add(paper, rows, cols, 2 * 0.5 * CARDBOARD_FILL)  # front and back, facing the beam
    edge_on = depth_cm * CARDBOARD_FILL * min(1.0, 5.0 / (wall * setup.spacing[0]))
    for side in (slice(box.left, box.left + wall), slice(box.right - wall, box.right)):
        lines.add(paper, rows, side, edge_on)
    for side in (slice(box.top, box.top + wall), slice(box.bottom - wall, box.bottom)):
        lines.add(paper, side, cols, edge_on)


def _contents(
    lines: LineIntegrals, setup: Setup, inside: Region, depth_cm: float, rng: np.random.Generator
) -> None:
    """Clothes and packing (smooth organic clutter) plus a few unannotated small items."""
    h, w = inside.bottom - inside.top, inside.right - inside.left
    if h < 4 or w < 4:
        return
    rows, cols = slice(inside.top, inside.bottom), slice(inside.left, inside.right)
    texture = smooth_field(rng, h, w, cell=max(4, min(h, w) // 6))
    fill = rng.uniform(0.02, 0.1) * depth_cm
    material = MATERIALS["paper" if rng.random() < 0.5 else "plastic"]
    lines.add(material, rows, cols, fill * (0.3 + 1.4 * texture))
    for _ in range(int(rng.integers(0, 4))):
        _distractor(lines, setup, inside, rng)


def _distractor(
    lines: LineIntegrals, setup: Setup, inside: Region, rng: np.random.Generator
) -> None:
    name, size_mm, t_cm = DISTRACTORS[int(rng.integers(len(DISTRACTORS)))]
    h = min(setup.px_y(rng.uniform(*size_mm) / 2), inside.bottom - inside.top)
    w = min(setup.px_x(rng.uniform(*size_mm)), inside.right - inside.left)
    y = inside.top + int(rng.integers(0, inside.bottom - inside.top - h + 1))
    x = inside.left + int(rng.integers(0, inside.right - inside.left - w + 1))
    shape = profile("ellipsoid" if rng.random() < 0.5 else "box", h, w, rng)
    lines.add(MATERIALS[name], slice(y, y + h), slice(x, x + w), rng.uniform(*t_cm) * shape)
