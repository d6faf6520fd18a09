"""The demo models: a parcel detector built here from synthetic scans, and a random baseline.

No weights can be downloaded, so the project trains its own demo detector at build time, with
numpy, on synthetic parcel scans (``catalog.synth``) it is handed. Parcels, not cargo: parcel
goods are 30-400 pixels across at a model input of 320 x 240, where cargo goods shrink to a few
pixels in a 4000-pixel-wide container, and the tube energies of parcel scanners separate metals
from organics clearly. The detector is standard ONNX (default domain, opset 18) and follows the
enclave's object-detection contract; its card declares the input recipe
(``models.preprocess``), and it was trained on exactly that function's output.

The baseline has the same input and outputs but its boxes, scores and labels are fixed random
draws, whatever the image: the floor any model must clear. Both builders are deterministic.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import onnxruntime as ort
from numpy.typing import NDArray
from onnx import TensorProto, helper

from catalog.synth import CATEGORIES, Category
from models.demo_features import (
    DOWN,
    FEATURES,
    INPUT_NAME,
    OPSET,
    anchor_shapes,
    const,
    feature_graph,
)
from models.demo_graph import detector_graph
from models.demo_samples import pixel_labels, sample_pixels
from models.demo_scorer import Mlp, train_mlp
from models.preprocess import InputRecipe, Scaling, preprocess

__all__ = [
    "BASELINE_DETECTIONS",
    "DETECTOR_CLASSES",
    "RECIPE",
    "DemoModel",
    "TrainingScan",
    "build_demo_detector",
    "build_random_baseline",
]

HEIGHT: Final = 240
WIDTH: Final = 320
#: The detector's input recipe: both energy channels, counts / 65535, area-resized.
RECIPE: Final = InputRecipe(
    ("high", "low"), HEIGHT, WIDTH, (Scaling("scale", 65535.0),), "interpolation-area"
)
#: The synthetic categories that occur in parcels; the model's class values are their COCO ids.
DETECTOR_CLASSES: Final[tuple[Category, ...]] = tuple(c for c in CATEGORIES if c.parcel)
BASELINE_DETECTIONS: Final = 100  # the contract allows 1000
SEED: Final = 0


@dataclass(frozen=True)
class DemoModel:
    """An ONNX model and its card (STAC MLM item properties)."""

    onnx: bytes
    card: dict[str, Any]


@dataclass(frozen=True)
class TrainingScan:
    """One annotated scan: 16-bit channels, COCO boxes ``(n, 4)`` x, y, w, h in pixels, ids."""

    high: NDArray[np.uint16]
    low: NDArray[np.uint16]
    boxes: NDArray[np.float64]
    category_ids: NDArray[np.int64]


def build_demo_detector(scans: Sequence[TrainingScan]) -> DemoModel:
    """Train the pixel scorer on ``scans`` and assemble the detector (seconds, deterministic)."""
    if not scans:
        raise ValueError("the demo detector needs at least one training scan")
    x, y = _training_set(scans)
    mlp = train_mlp(x, y, len(DETECTOR_CLASSES), seed=SEED)
    rows, cols = HEIGHT // DOWN, WIDTH // DOWN
    values = [c.id for c in DETECTOR_CLASSES]
    model = detector_graph(mlp, anchor_shapes(rows, cols), HEIGHT, WIDTH, values)
    return DemoModel(model.SerializeToString(), detector_card(_parameters(mlp)))


def _training_set(scans: Sequence[TrainingScan]) -> tuple[NDArray[np.float32], NDArray[np.int64]]:
    """Features (by the detector's own feature graph) and labels of the sampled pixels."""
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1  # one thread: the same sums in the same order, every build
    session = ort.InferenceSession(
        feature_graph(HEIGHT, WIDTH), options, providers=["CPUExecutionProvider"]
    )
    class_of = {c.id: i for i, c in enumerate(DETECTOR_CLASSES, start=1)}
    rng = np.random.Generator(np.random.PCG64(SEED))
    rows, cols = HEIGHT // DOWN, WIDTH // DOWN
    xs, ys = [], []
    for scan in scans:
        tensor = preprocess(scan.high, scan.low, RECIPE)
        features = session.run(None, {INPUT_NAME: tensor})[0].T
        height, width = scan.high.shape
        scale = np.array([cols / width, rows / height, cols / width, rows / height])
        corners = np.concatenate([scan.boxes[:, :2], scan.boxes[:, :2] + scan.boxes[:, 2:]], 1)
        classes = np.array([class_of[int(c)] for c in scan.category_ids], dtype=np.int64)
        labels = pixel_labels(rows, cols, corners.reshape(-1, 4) * scale, classes)
        picked = sample_pixels(labels, features[:, FEATURES.index("att_h")], rng)
        xs.append(features[picked])
        ys.append(labels[picked])
    return np.concatenate(xs).astype(np.float32), np.concatenate(ys)


def _parameters(mlp: Mlp) -> int:
    return int(mlp.w1.size + mlp.b1.size + mlp.w2.size + mlp.b2.size)


def _classes() -> list[dict[str, Any]]:
    return [{"value": c.id, "name": c.hs_code, "description": c.name} for c in DETECTOR_CLASSES]


def _output(name: str, shape: list[int], dims: list[str], data_type: str) -> dict[str, Any]:
    return {
        "name": name,
        "tasks": ["object-detection"],
        "result": {"shape": shape, "dim_order": dims, "data_type": data_type},
        "classification:classes": _classes(),
        "post_processing_function": None,
    }


def detector_card(
    parameters: int, name: str = "clearance-demo-parcel-detector", **extra: Any
) -> dict[str, Any]:
    """The card of a model with the demo detector's input and outputs."""
    return {
        "mlm:name": name,
        "mlm:architecture": "dual-energy pixel MLP with box fitting and NMS",
        "mlm:tasks": ["object-detection"],
        "mlm:framework": "ONNX",
        "mlm:framework_version": "1.18.0",  # the ONNX release that brought opset 18 (semver)
        "mlm:total_parameters": parameters,
        "mlm:pretrained": False,
        "mlm:input": [
            {
                "name": INPUT_NAME,
                "bands": list(RECIPE.bands),
                "input": {
                    "shape": [1, len(RECIPE.bands), HEIGHT, WIDTH],
                    "dim_order": ["batch", "bands", "height", "width"],
                    "data_type": "float32",
                },
                "value_scaling": [s.to_mlm() for s in RECIPE.scaling],
                "resize_type": RECIPE.resize,
                "pre_processing_function": None,
            }
        ],
        "mlm:output": [
            _output("boxes", [-1, 4], ["box", "coordinate"], "float32"),
            _output("scores", [-1], ["box"], "float32"),
            _output("labels", [-1], ["box"], "int64"),
        ],
        **extra,
    }


def build_random_baseline(card: Mapping[str, Any] | None = None, seed: int = SEED) -> DemoModel:
    """A model with the demo detector's input and outputs whose answers ignore the image.

    ``BASELINE_DETECTIONS`` boxes of random place and size with random scores and labels, drawn
    once from ``seed`` and stored as constants; ``card`` (default: the detector's) gives the name.
    """
    rng = np.random.Generator(np.random.PCG64(seed))
    n = BASELINE_DETECTIONS
    centre, size = rng.random((n, 2)), rng.uniform(0.05, 0.5, (n, 2))
    boxes = np.clip(np.concatenate([centre - size / 2, centre + size / 2], 1), 0, 1)
    scores = np.sort(rng.random(n))[::-1]
    labels = rng.choice([c.id for c in DETECTOR_CLASSES], size=n)
    graph = helper.make_graph(
        [
            const("boxes", boxes.astype(np.float32)),
            const("scores", scores.astype(np.float32)),
            const("labels", labels.astype(np.int64)),
        ],
        "clearance-random-baseline",
        [helper.make_tensor_value_info(INPUT_NAME, TensorProto.FLOAT, [1, 2, HEIGHT, WIDTH])],
        [
            helper.make_tensor_value_info("boxes", TensorProto.FLOAT, [n, 4]),
            helper.make_tensor_value_info("scores", TensorProto.FLOAT, [n]),
            helper.make_tensor_value_info("labels", TensorProto.INT64, [n]),
        ],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    name = str((card or {}).get("mlm:name", "clearance-demo-parcel-detector")) + "-random-baseline"
    card_out = detector_card(0, name, description="Random boxes, scores and labels: a floor.")
    card_out["mlm:architecture"] = "constant random detections"
    return DemoModel(model.SerializeToString(), card_out)
