"""A scan's 16-bit energy images as 8-bit PNGs for the viewer (pure: no I/O).

``grey``: one energy channel, contrast stretched between its 0.5 and 99.5 percentiles, dense
(attenuating) material dark as on a screening console. ``material``: the dual-energy view.
With transmission ``I/I0``, the attenuation of a channel is ``mu = -ln(I/I0)``; the ratio
``mu_low / mu_high`` grows with atomic number (photoelectric absorption), so each pixel is
classed organic (orange), mixed / light inorganic (green) or metal (blue), its shade from the
high-energy attenuation, and near-empty pixels are left white. The thresholds are per energy
profile (tube < 160 kV, linac MV), from the material table of the synthetic holdings
(``catalog.synth``: organics 1.2-1.35 and aluminium 2.0, steel 3.2 on a tube; 1.10, 1.15 and
1.22+ on a linac).
"""

from __future__ import annotations

import io

import numpy as np
from numpy.typing import NDArray
from PIL import Image
from scipy.ndimage import uniform_filter

__all__ = ["MATERIAL_COLOURS", "THRESHOLDS", "classify", "grey", "material"]

FULL_SCALE = 65535.0
#: (organic below, mixed below; metal above) of mu_low / mu_high, per energy profile.
THRESHOLDS = {"tube": (1.6, 2.6), "linac": (1.125, 1.185)}
MATERIAL_COLOURS = {
    "organic": (255, 140, 0),  # orange
    "mixed": (40, 170, 60),  # green
    "metal": (40, 90, 225),  # blue
}
_EMPTY_MU = 0.05  # below this high-energy attenuation a pixel is air: white


def _png(array: NDArray[np.uint8]) -> bytes:
    out = io.BytesIO()
    Image.fromarray(array).save(out, format="PNG", optimize=False)
    return out.getvalue()


def grey(image: NDArray[np.uint16]) -> bytes:
    low, high = np.percentile(image, (0.5, 99.5))
    span = max(float(high - low), 1.0)
    scaled = np.clip((image.astype(np.float32) - low) / span, 0.0, 1.0)
    return _png((scaled * 255).astype(np.uint8))


def _mu(image: NDArray[np.uint16]) -> NDArray[np.float32]:
    """Attenuation, against the channel's own open beam (its brightest pixels, air), smoothed
    over 5 x 5 pixels: a ratio of two noisy channels is noisier still, pixel by pixel."""
    smoothed = uniform_filter(image.astype(np.float32), size=5)
    open_beam = max(float(np.percentile(smoothed, 99.9)), 1.0)
    transmission = np.clip(smoothed, 1.0, open_beam) / open_beam
    attenuation: NDArray[np.float32] = -np.log(transmission)
    return attenuation


def classify(high: NDArray[np.uint16], low: NDArray[np.uint16], profile: str) -> NDArray[np.uint8]:
    """Per pixel: 0 air, 1 organic, 2 mixed, 3 metal."""
    mu_high, mu_low = _mu(high), _mu(low)
    organic_below, mixed_below = THRESHOLDS.get(profile, THRESHOLDS["tube"])
    ratio = mu_low / np.maximum(mu_high, 1e-6)
    classes = np.where(ratio < organic_below, 1, np.where(ratio < mixed_below, 2, 3))
    return np.where(mu_high < _EMPTY_MU, 0, classes).astype(np.uint8)


def material(high: NDArray[np.uint16], low: NDArray[np.uint16], profile: str) -> bytes:
    classes = classify(high, low, profile)
    palette = np.array(
        [(255, 255, 255), *MATERIAL_COLOURS.values()], dtype=np.float32
    )  # index = class
    mu_high = _mu(high)
    top = max(float(np.percentile(mu_high, 99.5)), 1e-3)
    shade = 1.0 - 0.6 * np.clip(mu_high / top, 0.0, 1.0)  # thicker: darker
    rgb = palette[classes] * np.where(classes == 0, 1.0, shade)[..., None]
    return _png(np.clip(rgb, 0, 255).astype(np.uint8))
