"""Relative thickness profiles (0..1) of object shapes, as seen from the side, fully vectorised.

A profile times the object's depth and fill gives the material thickness the beam crosses at each
pixel, so the shape of the profile is what makes a bottle look round and a pallet look boxy.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

from catalog.synth._categories import Shape

Array = NDArray[np.float32]
Profile = Callable[[int, int, np.random.Generator], Array]


def _axes(h: int, w: int) -> tuple[Array, Array]:
    """Pixel-centre coordinates in [0, 1]: u across (1, w), v down (h, 1)."""
    u = ((np.arange(w, dtype=np.float32) + 0.5) / np.float32(w))[None, :]
    v = ((np.arange(h, dtype=np.float32) + 0.5) / np.float32(h))[:, None]
    return u, v


def _dome(x: Array) -> Array:
    """Chord length of a unit circle at x in [-1, 1]: a cylinder's thickness across its axis."""
    out: Array = np.sqrt(np.maximum(1.0 - x * x, 0.0)).astype(np.float32)
    return out


def box(h: int, w: int, rng: np.random.Generator) -> Array:
    return np.ones((h, w), np.float32)


def ellipsoid(h: int, w: int, rng: np.random.Generator) -> Array:
    u, v = _axes(h, w)
    return _dome(np.sqrt((2 * u - 1) ** 2 + (2 * v - 1) ** 2))


def cylinder(h: int, w: int, rng: np.random.Generator) -> Array:
    """A cylinder lying along the image x axis (bottle, roll)."""
    _, v = _axes(h, w)
    return np.broadcast_to(_dome(2 * v - 1), (h, w)).astype(np.float32)


def _cells(
    h: int, w: int, rows: int, cols: int
) -> tuple[NDArray[np.intp], NDArray[np.intp], Array, Array]:
    """Cell indices and in-cell coordinates in [0, 1] of a rows x cols grid."""
    u, v = _axes(h, w)
    cu, cv = u * cols, v * rows
    ci, ri = np.minimum(cu.astype(np.intp), cols - 1), np.minimum(cv.astype(np.intp), rows - 1)
    return ri, ci, (cu - ci).astype(np.float32), (cv - ri).astype(np.float32)


def cartons(h: int, w: int, rng: np.random.Generator) -> Array:
    """Stacked boxes with thin gaps; each box filled a little differently."""
    rows, cols = int(rng.integers(1, 4)), int(rng.integers(1, 4))
    ri, ci, fu, fv = _cells(h, w, rows, cols)
    level = rng.uniform(0.75, 1.0, (rows, cols)).astype(np.float32)
    gap = (fu > 0.03) & (fu < 0.97) & (fv > 0.03) & (fv < 0.97)
    return np.where(gap, level[ri, ci], np.float32(0)).astype(np.float32)


def cartridges(h: int, w: int, rng: np.random.Generator) -> Array:
    """Rows of upright cartridges: small cylinders with a tapered bullet at the top."""
    rows = int(rng.integers(1, 4))
    cols = int(np.clip(w // 4, 2, 40))
    _, _, fu, fv = _cells(h, w, rows, cols)
    radius = np.clip(0.35 + 2.5 * fv, 0.0, 0.9)  # the top 20% of each cartridge narrows
    return np.where(np.abs(2 * fu - 1) < radius, _dome((2 * fu - 1) / radius), 0).astype(np.float32)


def pills(h: int, w: int, rng: np.random.Generator) -> Array:
    """A loose lattice of tablets, some places empty."""
    rows = int(rng.integers(3, 9))
    cols = max(1, round(rows * w / h))
    ri, ci, fu, fv = _cells(h, w, rows, cols)
    present = rng.random((rows, cols)) < 0.8
    r2 = (2 * fu - 1) ** 2 + (2 * fv - 1) ** 2
    tablet = np.sqrt(np.clip(1.0 - r2 / 0.64, 0.0, None))
    return np.where(present[ri, ci], tablet, 0).astype(np.float32)


def pistol(h: int, w: int, rng: np.random.Generator) -> Array:
    """Slide and barrel on top, a raked grip at the rear, a trigger guard between."""
    u, v = _axes(h, w)
    slide = (v < 0.38) & (u > 0.02)
    rake = 0.15 * (v - 0.38)
    grip = (v >= 0.38) & (u > 0.66 + rake) & (u < 0.95 + rake)
    ring = np.hypot((u - 0.52) * w / h, v - 0.5)
    guard = (np.abs(ring - 0.14) < 0.035) & (v > 0.38)
    out = np.where(slide, 1.0, np.where(grip, 0.8, np.where(guard, 0.5, 0.0)))
    return _maybe_flip(out.astype(np.float32), rng)


def vehicle(h: int, w: int, rng: np.random.Generator) -> Array:
    """Thin body and cabin shell, a dense engine block at the front, wheels with rims."""
    u, v = _axes(h, w)
    body = (v > 0.35) & (v < 0.8) & (u > 0.02) & (u < 0.98)
    slope = 0.12 * (0.35 - v) / 0.35
    cabin = (v <= 0.35) & (v > 0.03) & (u > 0.28 + slope) & (u < 0.8 - slope)
    engine = (u > 0.04) & (u < 0.24) & (v > 0.4) & (v < 0.75)
    out = np.where(engine, 1.0, np.where(body, 0.12, np.where(cabin, 0.06, 0.0)))
    for centre in (0.18, 0.82):
        wheel = np.hypot((u - centre) * w / h, (v - 0.8) / 1.0) < 0.2
        out = np.where(wheel, np.maximum(out, 0.35), out)
    return _maybe_flip(out.astype(np.float32), rng)


def _maybe_flip(profile: Array, rng: np.random.Generator) -> Array:
    return profile[:, ::-1] if rng.random() < 0.5 else profile


SHAPES: dict[Shape, Profile] = {
    "box": box,
    "ellipsoid": ellipsoid,
    "cylinder": cylinder,
    "cartons": cartons,
    "cartridges": cartridges,
    "pills": pills,
    "pistol": pistol,
    "vehicle": vehicle,
}


def profile(shape: Shape, h: int, w: int, rng: np.random.Generator) -> Array:
    """Thickness profile of `shape` in an h x w pixel box (h, w >= 1)."""
    return SHAPES[shape](h, w, rng)
