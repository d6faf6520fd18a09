"""The enclave's one shared preprocessing: a model card's declarative input recipe, carried out.

A card says (in STAC MLM terms) which bands the model reads, the input height and width, how
values are scaled (``value_scaling``) and how images are resized (``resize_type``). This module
turns that into a float32 tensor ``(1, bands, height, width)`` from the 16-bit energy channels of
one scan. It is pure: arrays in, array out, no I/O, and no expression or code from a card is ever
evaluated (MLM's ``processing`` scaling is refused where the card is read).

Bands:

- ``high``, ``low``: the raw 16-bit detector values of each energy channel, as float32;
- ``log-ratio``: ``ln((low + 1) / (high + 1))``, the dual-energy ratio that separates organic
  from metallic material at equal attenuation.

Order: bands at the image's own size, then resize (Pillow, one float channel at a time), then
value scaling (one entry for every band, or one per band, in band order).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from models.errors import RecipeError

__all__ = [
    "BANDS",
    "MAX_SIDE",
    "RESIZE_TYPES",
    "InputRecipe",
    "RecipeError",
    "Scaling",
    "preprocess",
]

BANDS: Final = ("high", "low", "log-ratio")
MAX_SIDE: Final = 4096  # an input side above this is refused (a 3-band float tensor of 200 MB)

#: MLM ``resize_type`` values the enclave carries out; ``None`` means "already that size".
RESIZE_TYPES: Final[Mapping[str, Image.Resampling]] = {
    "interpolation-nearest": Image.Resampling.NEAREST,
    "interpolation-linear": Image.Resampling.BILINEAR,
    "interpolation-cubic": Image.Resampling.BICUBIC,
    "interpolation-area": Image.Resampling.BOX,
    "interpolation-lanczos4": Image.Resampling.LANCZOS,
}

# MLM value_scaling type -> the numeric fields it needs, in the order Scaling keeps them.
_SCALING_FIELDS: Final[Mapping[str, tuple[str, ...]]] = {
    "min-max": ("minimum", "maximum"),
    "z-score": ("mean", "stddev"),
    "clip": ("minimum", "maximum"),
    "clip-min": ("minimum",),
    "clip-max": ("maximum",),
    "offset": ("value",),
    "scale": ("value",),
}


def _number(obj: Mapping[str, Any], key: str, where: str) -> float:
    value = obj.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise RecipeError(f"{where}.{key} must be a finite number")
    return float(value)


@dataclass(frozen=True)
class Scaling:
    """One MLM ``value_scaling`` entry (``processing`` expressions are never accepted)."""

    kind: str
    first: float = 0.0
    second: float = 0.0

    def __post_init__(self) -> None:
        if self.kind not in _SCALING_FIELDS:
            known = ", ".join(_SCALING_FIELDS)
            raise RecipeError(f"value_scaling type {self.kind!r} is not one of: {known}")
        if self.kind in ("min-max", "clip") and not self.first < self.second:
            raise RecipeError(f"value_scaling {self.kind}: minimum must be below maximum")
        if self.kind == "z-score" and not self.second > 0:
            raise RecipeError("value_scaling z-score: stddev must be above zero")
        if self.kind == "scale" and self.first == 0:
            raise RecipeError("value_scaling scale: value must not be zero")

    @classmethod
    def from_mlm(cls, obj: object, where: str = "value_scaling") -> Scaling:
        if not isinstance(obj, Mapping):
            raise RecipeError(f"{where} must be an object")
        kind = obj.get("type")
        if kind == "processing":
            raise RecipeError(f"{where}: processing expressions are never run by the enclave")
        if not isinstance(kind, str) or kind not in _SCALING_FIELDS:
            raise RecipeError(f"{where}.type must be one of: {', '.join(_SCALING_FIELDS)}")
        values = [_number(obj, key, where) for key in _SCALING_FIELDS[kind]]
        return cls(kind, *values)

    def to_mlm(self) -> dict[str, Any]:
        fields = _SCALING_FIELDS[self.kind]
        return {"type": self.kind, **dict(zip(fields, (self.first, self.second), strict=False))}

    def apply(self, x: NDArray[np.float32]) -> None:
        """Scale ``x`` in place (MLM semantics: min-max maps [minimum, maximum] to [0, 1])."""
        a, b = np.float32(self.first), np.float32(self.second)
        if self.kind == "min-max":
            x -= a
            x /= b - a
        elif self.kind == "z-score":
            x -= a
            x /= b
        elif self.kind == "clip":
            np.clip(x, a, b, out=x)
        elif self.kind == "clip-min":
            np.maximum(x, a, out=x)
        elif self.kind == "clip-max":
            np.minimum(x, a, out=x)
        elif self.kind == "offset":
            x += a
        else:  # scale: MLM divides by the value
            x /= a


@dataclass(frozen=True)
class InputRecipe:
    """What a card asks of the input: bands, size, scaling, resize."""

    bands: tuple[str, ...]
    height: int
    width: int
    scaling: tuple[Scaling, ...] = ()
    resize: str | None = None

    def __post_init__(self) -> None:
        if not self.bands or len(set(self.bands)) != len(self.bands):
            raise RecipeError("bands must name at least one band, each once")
        unknown = [b for b in self.bands if b not in BANDS]
        if unknown:
            raise RecipeError(f"unknown band {unknown[0]!r}: bands are {', '.join(BANDS)}")
        for side, name in ((self.height, "height"), (self.width, "width")):
            if isinstance(side, bool) or not isinstance(side, int) or not 1 <= side <= MAX_SIDE:
                raise RecipeError(f"input {name} must be an integer from 1 to {MAX_SIDE}")
        if len(self.scaling) not in (0, 1, len(self.bands)):
            raise RecipeError("value_scaling must have one entry, or one per band")
        if self.resize is not None and self.resize not in RESIZE_TYPES:
            raise RecipeError(
                f"resize_type {self.resize!r} is not carried out here; use one of: "
                + ", ".join(RESIZE_TYPES)
                + ", or null for inputs already of the model's size"
            )

    @property
    def needs_low(self) -> bool:
        return "low" in self.bands or "log-ratio" in self.bands

    @classmethod
    def from_mlm(
        cls,
        bands: Sequence[str],
        height: int,
        width: int,
        value_scaling: Sequence[object] | None,
        resize_type: str | None,
    ) -> InputRecipe:
        entries = enumerate(value_scaling or ())
        scaling = tuple(Scaling.from_mlm(obj, f"value_scaling[{i}]") for i, obj in entries)
        return cls(tuple(bands), height, width, scaling, resize_type)


def _band(name: str, high: NDArray[np.uint16], low: NDArray[np.uint16] | None) -> NDArray[Any]:
    if name == "high":
        return high.astype(np.float32)
    if low is None:
        raise RecipeError(f"band {name!r} needs a low-energy channel, and this scan has none")
    if name == "low":
        return low.astype(np.float32)
    ratio = (low.astype(np.float32) + 1.0) / (high.astype(np.float32) + 1.0)
    return np.log(ratio, dtype=np.float32)


def _resized(band: NDArray[np.float32], recipe: InputRecipe) -> NDArray[np.float32]:
    if band.shape == (recipe.height, recipe.width):
        return band
    if recipe.resize is None:
        raise RecipeError(
            f"image is {band.shape[1]}x{band.shape[0]} and the model wants "
            f"{recipe.width}x{recipe.height}, and the card sets no resize_type"
        )
    image = Image.fromarray(np.ascontiguousarray(band, dtype=np.float32))  # mode "F"
    out = image.resize((recipe.width, recipe.height), RESIZE_TYPES[recipe.resize])
    return np.asarray(out, dtype=np.float32)


def preprocess(
    high: NDArray[np.uint16], low: NDArray[np.uint16] | None, recipe: InputRecipe
) -> NDArray[np.float32]:
    """The input tensor ``(1, len(bands), height, width)`` float32 of one scan."""
    if high.ndim != 2 or (low is not None and low.shape != high.shape):
        raise RecipeError("energy channels must be 2-D images of the same size")
    out = np.empty((1, len(recipe.bands), recipe.height, recipe.width), dtype=np.float32)
    for i, name in enumerate(recipe.bands):
        out[0, i] = _resized(_band(name, high, low), recipe)
        if recipe.scaling:
            recipe.scaling[i if len(recipe.scaling) > 1 else 0].apply(out[0, i])
    return out
