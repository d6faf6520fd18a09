"""Annotated objects: which goods a scan holds, where they sit, and their tight bounding boxes."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from catalog.synth._categories import CATEGORIES, Category, Fit
from catalog.synth._materials import MATERIALS
from catalog.synth._physics import LineIntegrals
from catalog.synth._setup import Region, Setup
from catalog.synth._shapes import Array, profile

MAX_OBJECTS = 8
EMPTY_SHARE = 0.15  # scans with nothing of interest in them
# Reefers carry frozen goods, and are a known route for cocaine; dry boxes never carry frozen fish.
REEFER_BIAS = {"0303": 6.0, "2939": 3.0}
DRY_BIAS = {"0303": 0.0}


@dataclass(frozen=True)
class Draft:
    category: Category
    fit: Fit
    height: int  # pixels, after any rotation
    width: int
    depth_cm: float
    fill: float
    turned: bool  # rotated a quarter turn (parcels only: their pixels are square)


@dataclass(frozen=True)
class Placed:
    category: Category
    bbox: tuple[int, int, int, int]  # x, y, width, height
    area: int  # pixels the object covers


def draw(setup: Setup, rng: np.random.Generator) -> list[Draft]:
    """The objects of one scan (0-8), with sizes in pixels."""
    if rng.random() < EMPTY_SHARE:
        return []
    count = min(MAX_OBJECTS, 1 + int(rng.binomial(7, 0.3 if setup.kind == "cargo" else 0.2)))
    pool, weights = _pool(setup)
    picks = rng.choice(len(pool), size=count, p=weights / weights.sum())
    return [_draft(pool[int(i)], setup, rng) for i in picks]


def _pool(setup: Setup) -> tuple[list[Category], NDArray[np.float64]]:
    bias = REEFER_BIAS if setup.container is not None and setup.container.reefer else DRY_BIAS
    fits = [(c, c.fit(setup.kind)) for c in CATEGORIES]
    pool = [(c, fit.weight * bias.get(c.hs_code, 1.0)) for c, fit in fits if fit is not None]
    return [c for c, _ in pool], np.array([w for _, w in pool])


def _draft(category: Category, setup: Setup, rng: np.random.Generator) -> Draft:
    fit = category.fit(setup.kind)
    assert fit is not None
    height, width = setup.px_y(rng.uniform(*fit.height_mm)), setup.px_x(rng.uniform(*fit.length_mm))
    turned = setup.kind == "parcel" and rng.random() < 0.25
    if turned:
        height, width = width, height
    depth_cm = float(rng.uniform(*fit.depth_mm)) / 10
    return Draft(category, fit, height, width, depth_cm, float(rng.uniform(*fit.fill)), turned)


def place(
    drafts: list[Draft], inside: Region, lines: LineIntegrals, rng: np.random.Generator
) -> list[Placed]:
    """Composite each object into the line integrals; return those that show."""
    placed: list[Placed] = []
    for draft in drafts:
        item = _place_one(draft, inside, lines, [p.bbox for p in placed], rng)
        if item is not None:
            placed.append(item)
    return placed


def _place_one(
    draft: Draft,
    inside: Region,
    lines: LineIntegrals,
    taken: list[tuple[int, int, int, int]],
    rng: np.random.Generator,
) -> Placed | None:
    room_h, room_w = inside.bottom - inside.top, inside.right - inside.left
    scale = min(1.0, room_h / draft.height, room_w / draft.width)  # shrink what cannot fit
    h, w = max(2, int(draft.height * scale)), max(2, int(draft.width * scale))
    shape = _profile(draft, h, w, rng)
    y, x = _position(h, w, draft.fit.grounded, inside, taken, rng)
    t = np.float32(draft.depth_cm * draft.fill) * shape
    lines.add(MATERIALS[draft.category.material], slice(y, y + h), slice(x, x + w), t)
    rows, cols = np.flatnonzero(shape.any(axis=1)), np.flatnonzero(shape.any(axis=0))
    if rows.size == 0:
        return None
    left, top = x + int(cols[0]), y + int(rows[0])
    bbox = (left, top, int(cols[-1] - cols[0]) + 1, int(rows[-1] - rows[0]) + 1)
    return Placed(draft.category, bbox, int(np.count_nonzero(shape)))


def _profile(draft: Draft, h: int, w: int, rng: np.random.Generator) -> Array:
    if draft.turned:  # draw in the object's own axes, then turn
        turned: Array = np.rot90(profile(draft.fit.shape, w, h, rng))
        return turned
    return profile(draft.fit.shape, h, w, rng)


def _position(
    h: int,
    w: int,
    grounded: bool,
    inside: Region,
    taken: list[tuple[int, int, int, int]],
    rng: np.random.Generator,
) -> tuple[int, int]:
    """Top-left corner; a few tries to avoid covering an earlier object (overlap is allowed)."""
    y, x = inside.top, inside.left
    for _ in range(12):
        x = inside.left + int(rng.integers(0, inside.right - inside.left - w + 1))
        y = inside.bottom - h
        if not grounded:
            y = inside.top + int(rng.integers(0, inside.bottom - inside.top - h + 1))
        if all(_iou((x, y, w, h), other) < 0.2 for other in taken):
            break
    return y, x


def _iou(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> float:
    ix = max(0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    iy = max(0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    inter = ix * iy
    return inter / (a[2] * a[3] + b[2] * b[3] - inter)
