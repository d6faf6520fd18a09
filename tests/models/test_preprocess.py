"""The shared preprocessing (models.preprocess): bands, scaling, resize, errors."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from models.errors import RecipeError
from models.preprocess import InputRecipe, Scaling, preprocess

RNG = np.random.default_rng(7)
HIGH = RNG.integers(0, 65535, size=(6, 8), dtype=np.uint16)
LOW = RNG.integers(0, 65535, size=(6, 8), dtype=np.uint16)


def _recipe(bands: tuple[str, ...], scaling: tuple[Scaling, ...] = ()) -> InputRecipe:
    return InputRecipe(bands, 6, 8, scaling)


def test_bands_by_hand() -> None:
    out = preprocess(HIGH, LOW, _recipe(("high", "low", "log-ratio")))
    assert out.shape == (1, 3, 6, 8) and out.dtype == np.float32
    np.testing.assert_array_equal(out[0, 0], HIGH.astype(np.float32))
    np.testing.assert_array_equal(out[0, 1], LOW.astype(np.float32))
    expected = np.log((LOW.astype(np.float64) + 1) / (HIGH.astype(np.float64) + 1))
    np.testing.assert_allclose(out[0, 2], expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(
    ("mlm", "by_hand"),
    [
        ({"type": "min-max", "minimum": 100, "maximum": 60000}, lambda x: (x - 100) / 59900),
        ({"type": "z-score", "mean": 30000, "stddev": 5000}, lambda x: (x - 30000) / 5000),
        ({"type": "clip", "minimum": 1000, "maximum": 50000}, lambda x: np.clip(x, 1000, 50000)),
        ({"type": "clip-min", "minimum": 1000}, lambda x: np.maximum(x, 1000)),
        ({"type": "clip-max", "maximum": 50000}, lambda x: np.minimum(x, 50000)),
        ({"type": "offset", "value": -32768}, lambda x: x - 32768),
        ({"type": "scale", "value": 65535}, lambda x: x / 65535),
    ],
)
def test_every_scaling_type_against_numpy(mlm: dict[str, object], by_hand: object) -> None:
    scaling = Scaling.from_mlm(mlm)
    assert scaling.to_mlm() == {k: float(v) if k != "type" else v for k, v in mlm.items()}  # type: ignore[arg-type]
    out = preprocess(HIGH, None, _recipe(("high",), (scaling,)))
    expected = by_hand(HIGH.astype(np.float64))  # type: ignore[operator]
    np.testing.assert_allclose(out[0, 0], expected, rtol=1e-5, atol=1e-5)


def test_one_scaling_per_band() -> None:
    per_band = (Scaling("scale", 2.0), Scaling("offset", 1.0))
    out = preprocess(HIGH, LOW, _recipe(("high", "low"), per_band))
    np.testing.assert_allclose(out[0, 0], HIGH / 2.0, rtol=1e-6)
    np.testing.assert_allclose(out[0, 1], LOW + 1.0, rtol=1e-6)


def test_resize_uses_pillow_on_float_channels() -> None:
    recipe = InputRecipe(("high",), 3, 4, (), "interpolation-linear")
    out = preprocess(HIGH, None, recipe)
    image = Image.fromarray(HIGH.astype(np.float32))
    expected = np.asarray(image.resize((4, 3), Image.Resampling.BILINEAR), np.float32)
    np.testing.assert_array_equal(out[0, 0], expected)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: InputRecipe((), 4, 4), "at least one band"),
        (lambda: InputRecipe(("high", "high"), 4, 4), "each once"),
        (lambda: InputRecipe(("red",), 4, 4), "unknown band"),
        (lambda: InputRecipe(("high",), 0, 4), "height"),
        (lambda: InputRecipe(("high",), 4, 5000), "width"),
        (lambda: InputRecipe(("high",), 4, 4, (Scaling("scale", 1.0),) * 2), "one per band"),
        (lambda: InputRecipe(("high",), 4, 4, (), "crop"), "resize_type"),
        (lambda: Scaling("min-max", 5.0, 5.0), "minimum must be below"),
        (lambda: Scaling("z-score", 0.0, 0.0), "stddev"),
        (lambda: Scaling("scale", 0.0), "zero"),
        (lambda: Scaling.from_mlm({"type": "processing", "expression": "x"}), "never run"),
        (lambda: Scaling.from_mlm({"type": "offset", "value": float("inf")}), "finite"),
        (lambda: Scaling.from_mlm({"type": "offset", "value": True}), "finite"),
        (lambda: Scaling.from_mlm("scale"), "object"),
    ],
)
def test_recipe_errors(make: object, message: str) -> None:
    with pytest.raises(RecipeError, match=message):
        make()  # type: ignore[operator]


def test_preprocess_errors() -> None:
    with pytest.raises(RecipeError, match="has none"):
        preprocess(HIGH, None, _recipe(("log-ratio",)))
    with pytest.raises(RecipeError, match="same size"):
        preprocess(HIGH, LOW[:3], _recipe(("high",)))
    with pytest.raises(RecipeError, match="no resize_type"):
        preprocess(HIGH, None, InputRecipe(("high",), 3, 3))
    assert _recipe(("log-ratio",)).needs_low and not _recipe(("high",)).needs_low
