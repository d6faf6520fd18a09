"""Beer-Lambert imaging: line integrals per channel, then detector counts with noise.

Everything is accumulated as line integrals L = sum(mu * t) in two float32 images (high, low), so
memory is two images per scan whatever the number of objects, and overlapping objects simply add,
as they do in a transmission image.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from catalog.synth._materials import Material, Profile

Array = NDArray[np.float32]
FULL_SCALE = 65535


@dataclass(frozen=True)
class Beam:
    profile: Profile
    hardness: float  # scales every mu: a harder beam (9/6 MV) attenuates less
    i0: float  # flat-field counts in air
    counts_per_photon: float  # photon noise: variance = counts * counts_per_photon
    electronic_sigma: float  # Gaussian read noise in counts
    dose_jitter: float  # relative pulse-to-pulse dose variation (one value per image column)


class LineIntegrals:
    """Accumulates sum(mu * t) for the high and low channel of one scan."""

    def __init__(self, height: int, width: int, beam: Beam) -> None:
        self.beam = beam
        self.high: Array = np.zeros((height, width), np.float32)
        self.low: Array = np.zeros((height, width), np.float32)

    @property
    def shape(self) -> tuple[int, int]:
        h, w = self.high.shape
        return int(h), int(w)

    def add(self, material: Material, rows: slice, cols: slice, t_cm: Array | float) -> None:
        """Add thickness t_cm (broadcastable to the rows x cols patch) of `material`."""
        mu_high, mu_low = material.mu(self.beam.profile)
        k = self.beam.hardness
        self.high[rows, cols] += np.float32(mu_high * k) * t_cm
        self.low[rows, cols] += np.float32(mu_low * k) * t_cm


def smooth_field(rng: np.random.Generator, height: int, width: int, cell: int) -> Array:
    """Low-frequency noise in [0, 1]: a coarse random grid, bilinearly interpolated.

    Interpolating by broadcasting over (knots, cell) rather than gathering per pixel keeps this
    a few milliseconds for a full cargo image.
    """
    grid = rng.random((height // cell + 2, width // cell + 2), dtype=np.float32)
    f = np.arange(cell, dtype=np.float32) / np.float32(cell)
    cols = grid[:-1, None, :] * (1 - f)[None, :, None] + grid[1:, None, :] * f[None, :, None]
    cols = cols.reshape(-1, grid.shape[1])[:height]  # (height, knots across)
    fine = cols[:, :-1, None] * (1 - f) + cols[:, 1:, None] * f
    out: Array = fine.reshape(height, -1)[:, :width]
    return out


def expose(lines: LineIntegrals, rng: np.random.Generator) -> tuple[NDArray[np.uint16], ...]:
    """Detector images (high, low): I0 exp(-L), with dose jitter, photon and read noise."""
    return tuple(_channel(L, lines.beam, rng) for L in (lines.high, lines.low))


def _channel(lines: Array, beam: Beam, rng: np.random.Generator) -> NDArray[np.uint16]:
    height, width = lines.shape
    dose = rng.standard_normal((width,), dtype=np.float32)  # one linac pulse per column
    dose *= np.float32(beam.dose_jitter)
    dose += np.float32(1)
    counts = np.exp(-lines)
    counts *= np.float32(beam.i0) * dose[None, :]
    # Photon noise approximated by a Gaussian of the Poisson variance (counts are large) plus
    # electronic noise; float32 and in place to keep a 4000 x 860 channel fast.
    sigma = counts * np.float32(beam.counts_per_photon)
    sigma += np.float32(beam.electronic_sigma**2)
    np.sqrt(sigma, out=sigma)
    sigma *= rng.standard_normal((height, width), dtype=np.float32)
    counts += sigma
    np.rint(counts, out=counts)
    np.clip(counts, 0, FULL_SCALE, out=counts)
    return counts.astype(np.uint16)
