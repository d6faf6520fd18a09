"""Cargo scene: a steel ISO container (and, for road vehicles, the tractor unit) with loose load.

Sizes are real container dimensions; thicknesses are what the beam crosses. Members that lie along
the beam (roof sheet, floor, end walls) are centimetres of steel for a pixel and show dark; walls
facing the beam are millimetres and barely show, as in real cargo images.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from catalog.synth._materials import MATERIALS
from catalog.synth._physics import Array, LineIntegrals, smooth_field
from catalog.synth._setup import CAB_MM, Container, Region, Setup

INNER_WIDTH_CM = 235.0  # inside width of an ISO container: the beam path through its load
STEEL, WOOD = MATERIALS["steel"], MATERIALS["wood"]
# Loose load: mostly organic goods, some metal (machinery, racks); fills are bulk solid fractions.
LOAD = (
    ("paper", 0.3, 0.05, 0.3),
    ("plastic", 0.25, 0.05, 0.25),
    ("wood", 0.1, 0.1, 0.3),
    ("water", 0.15, 0.05, 0.2),
    ("aluminium", 0.1, 0.01, 0.05),
    ("steel", 0.1, 0.005, 0.02),
)


@dataclass(frozen=True)
class Frame:
    """Where the container sits in the image (pixels)."""

    left: int
    right: int
    top: int
    bottom: int
    cab_left: int


def build(setup: Setup, rng: np.random.Generator) -> tuple[LineIntegrals, Region]:
    assert setup.container is not None
    lines = LineIntegrals(setup.height, setup.width, setup.beam)
    texture = smooth_field(rng, setup.height, setup.width, cell=24)
    frame = _frame(setup, setup.container)
    _walls(lines, setup, frame)
    _floor(lines, setup, frame)
    if setup.container.reefer:
        _reefer_unit(lines, setup, frame, texture)
    if setup.with_cab:
        _cab(lines, setup, frame, texture)
    region = _inside(setup, frame, setup.container)
    _load(lines, setup, region, texture, rng)
    return lines, region


def _frame(setup: Setup, box: Container) -> Frame:
    length, cab = setup.px_x(box.length_mm), setup.px_x(CAB_MM) if setup.with_cab else 0
    left = max(0, (setup.width - length - cab) // 2) + cab
    right = min(setup.width, left + length)
    top = max(0, (setup.height - setup.px_y(box.height_mm)) // 2)
    bottom = min(setup.height, top + setup.px_y(box.height_mm))
    return Frame(left, right, top, bottom, left - cab)


def _inside(setup: Setup, f: Frame, box: Container) -> Region:
    front = 200 + (450 if box.reefer else 0)
    return Region(
        f.top + setup.px_y(80),
        f.bottom - setup.px_y(160),
        f.left + setup.px_x(front),
        f.right - setup.px_x(200),
    )


def _walls(lines: LineIntegrals, setup: Setup, f: Frame) -> None:
    rows, cols = slice(f.top, f.bottom), slice(f.left, f.right)
    # Two corrugated 1.6-2 mm side walls face the beam; corrugation pitch about 280 mm.
    x_mm = np.arange(f.right - f.left, dtype=np.float32) * np.float32(setup.spacing[0])
    wall = (0.4 * (1 + 0.3 * np.abs(np.sin(np.pi * x_mm / 140)))).astype(np.float32)
    lines.add(STEEL, rows, cols, wall[None, :])
    roof_sheet = INNER_WIDTH_CM * min(1.0, 2.0 / setup.spacing[1])  # 2 mm sheet along the beam
    lines.add(STEEL, slice(f.top, f.top + 1), cols, roof_sheet)
    lines.add(STEEL, slice(f.top, f.top + setup.px_y(60)), cols, 3.0)  # top side rails
    for end in (slice(f.left, f.left + setup.px_x(180)), slice(f.right - setup.px_x(180), f.right)):
        lines.add(STEEL, rows, end, 25.0)  # corner posts, end wall / doors edge-on


def _floor(lines: LineIntegrals, setup: Setup, f: Frame) -> None:
    cols = slice(f.left, f.right)
    band = slice(f.bottom - setup.px_y(160), f.bottom)
    lines.add(WOOD, band, cols, INNER_WIDTH_CM * 28 / 160)  # 28 mm plywood spread over the band
    lines.add(STEEL, band, cols, 4.0)  # bottom side rails
    # Cross members every 300 mm: their 4.5 mm webs lie along the beam.
    members = np.zeros(f.right - f.left, np.float32)
    members[:: max(1, setup.px_x(300))] = INNER_WIDTH_CM * min(1.0, 4.5 / setup.spacing[0])
    lines.add(STEEL, slice(f.bottom - setup.px_y(122), f.bottom), cols, members[None, :])
    if setup.with_cab:  # trailer chassis beams below the box
        lines.add(STEEL, slice(f.bottom, min(setup.height, f.bottom + setup.px_y(120))), cols, 6.0)


def _reefer_unit(lines: LineIntegrals, setup: Setup, f: Frame, texture: Array) -> None:
    rows, cols = slice(f.top, f.bottom), slice(f.left, f.left + setup.px_x(450))
    lines.add(STEEL, rows, cols, 10.0 * (0.5 + texture[rows, cols]))  # compressor, coils
    lines.add(MATERIALS["aluminium"], rows, slice(f.left, f.right), 0.6)  # inner skins


def _cab(lines: LineIntegrals, setup: Setup, f: Frame, texture: Array) -> None:
    x0, bottom, px, py = f.cab_left, f.bottom, setup.px_x, setup.px_y

    def part(material: str, x: tuple[int, int], y: tuple[int, int], t: float) -> None:
        rows = slice(max(0, bottom - py(y[1])), bottom - py(y[0]))
        cols = slice(x0 + px(x[0]), x0 + px(x[1]))
        lines.add(MATERIALS[material], rows, cols, t * (0.5 + texture[rows, cols]))

    part("steel", (300, 2600), (0, 2500), 2.0)  # cab shell
    part("steel", (400, 1800), (200, 1300), 25.0)  # engine block and gearbox
    part("water", (2800, 3900), (100, 700), 60.0)  # diesel tank (organic liquid)
    part("steel", (0, 5800), (100, 250), 5.0)  # chassis rails


def _load(
    lines: LineIntegrals, setup: Setup, inside: Region, texture: Array, rng: np.random.Generator
) -> None:
    """Pallet stacks from the front, filling a random share of the length."""
    names, weights = [r[0] for r in LOAD], np.array([r[1] for r in LOAD])
    x = inside.left
    end = inside.left + int(rng.uniform(0.15, 0.95) * (inside.right - inside.left))
    pallet = setup.px_y(150)
    while x < end:
        i = int(rng.choice(len(LOAD), p=weights / weights.sum()))
        cols = slice(x, min(end, x + setup.px_x(rng.uniform(1000, 1250))))
        top = max(inside.top, inside.bottom - setup.px_y(rng.uniform(600, 2200)))
        rows = slice(top, inside.bottom - pallet)
        t = rng.uniform(80, 230) * rng.uniform(LOAD[i][2], LOAD[i][3])
        lines.add(MATERIALS[names[i]], rows, cols, t * (0.6 + 0.8 * texture[rows, cols]))
        lines.add(WOOD, slice(inside.bottom - pallet, inside.bottom), cols, 120 * 0.35)
        x = cols.stop + setup.px_x(rng.uniform(20, 150))
