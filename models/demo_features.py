"""The demo detector's per-pixel features and its anchors, as standard ONNX nodes (no I/O).

The detector works on a half-resolution attenuation map, ``-ln(counts / 65535)`` of both energy
channels. Per pixel it measures the attenuation, the ratio of the two channels (metals lift the low
channel far more than organics do), local means at two scales and how far each pixel rises above
the local floor (an object adds attenuation to the clutter it lies on). A small per-pixel scorer
(``models.demo_scorer``) turns these into "background" and class probabilities.

Every feature is computed by the graph, also during training: the builder runs this very feature
graph with onnxruntime on the training images, so training and scoring cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
from numpy.typing import NDArray
from onnx import NodeProto, TensorProto, helper, numpy_helper

__all__ = [
    "DOWN",
    "FEATURES",
    "INPUT_NAME",
    "OPSET",
    "AnchorShape",
    "anchor_shapes",
    "const",
    "feature_graph",
    "feature_nodes",
]

OPSET: Final = 18
INPUT_NAME: Final = "image"
DOWN: Final = 2  # the feature map is the input averaged over DOWN x DOWN blocks
#: Per-pixel feature channels, in order (h = high, l = low channel).
FEATURES: Final = (
    "att_h",
    "att_l",
    "log_ratio",
    "mean5_h",
    "mean5_l",
    "mean17_h",
    "mean17_l",
    "rise17_h",
    "rise17_l",
    "rise_log_ratio",
)
_FLOOR: Final = 1.0 / 65535  # the input is counts / 65535; a zero count is the smallest count
_EPS: Final = 1e-2  # attenuation (or rise) below this is noise, for the ratios
# Anchor sides in feature-map pixels, about sqrt(2) apart so that some anchor overlaps any object
# of these sizes with IoU of 0.5 or more; long sides at most MAX_ASPECT times the short side.
SIDES: Final = (3, 4, 6, 8, 12, 16, 24, 32, 48, 64)
MAX_ASPECT: Final = 4


def const(name: str, value: NDArray[np.generic]) -> NodeProto:
    return helper.make_node(
        "Constant", [], [name], value=numpy_helper.from_array(np.asarray(value), name)
    )


@dataclass(frozen=True)
class AnchorShape:
    """One box size, slid over the feature map at ``stride`` (no padding: boxes stay inside)."""

    height: int
    width: int
    stride: int
    rows: int
    cols: int

    @property
    def margins(self) -> tuple[int, int]:
        """Pixels added on each side for the surround box (height, width)."""
        return max(1, self.height // 4), max(1, self.width // 4)

    @property
    def count(self) -> int:
        return self.rows * self.cols

    def boxes(self) -> NDArray[np.float32]:
        """``(count, 4)`` x1, y1, x2, y2 in feature-map pixels, row-major like the pooled grid."""
        ys = np.arange(self.rows, dtype=np.float32) * self.stride
        xs = np.arange(self.cols, dtype=np.float32) * self.stride
        y, x = np.meshgrid(ys, xs, indexing="ij")
        out = np.stack([x, y, x + self.width, y + self.height], axis=-1)
        return out.reshape(-1, 4).astype(np.float32)


def anchor_shapes(rows: int, cols: int) -> tuple[AnchorShape, ...]:
    """The anchor shapes that fit a feature map of ``rows`` x ``cols`` pixels."""
    shapes = []
    for h in SIDES:
        for w in SIDES:
            if h > rows or w > cols or max(h, w) > MAX_ASPECT * min(h, w):
                continue
            stride = max(1, min(h, w) // 4)
            shapes.append(
                AnchorShape(h, w, stride, (rows - h) // stride + 1, (cols - w) // stride + 1)
            )
    return tuple(shapes)


def _pool(source: str, out: str, side: int) -> NodeProto:
    """A same-size local mean (edges average over the pixels that exist)."""
    half = side // 2
    return helper.make_node(
        "AveragePool",
        [source],
        [out],
        kernel_shape=[side, side],
        pads=[half, half, half, half],
        count_include_pad=0,
    )


def _log_ratio(source: str, out: str) -> list[NodeProto]:
    """``ln(max(low, eps) / max(high, eps))`` of a 2-channel tensor."""
    return [
        helper.make_node("Max", [source, "eps"], [f"{out}_floored"]),
        helper.make_node("Log", [f"{out}_floored"], [f"{out}_log"]),
        helper.make_node("Split", [f"{out}_log"], [f"{out}_h", f"{out}_l"], axis=1, num_outputs=2),
        helper.make_node("Sub", [f"{out}_l", f"{out}_h"], [out]),
    ]


def feature_nodes() -> list[NodeProto]:
    """Nodes from the input [1, 2, H, W] to ``features`` [1, len(FEATURES), H/DOWN, W/DOWN]."""
    return [
        const("floor", np.array(_FLOOR, dtype=np.float32)),
        const("eps", np.array(_EPS, dtype=np.float32)),
        helper.make_node("Max", [INPUT_NAME, "floor"], ["counts"]),
        helper.make_node("Log", ["counts"], ["log_counts"]),
        helper.make_node("Neg", ["log_counts"], ["full_att"]),
        helper.make_node(
            "AveragePool", ["full_att"], ["att"], kernel_shape=[DOWN, DOWN], strides=[DOWN, DOWN]
        ),
        *_log_ratio("att", "ratio"),
        _pool("att", "mean5", 5),
        _pool("att", "mean17", 17),
        helper.make_node("Neg", ["att"], ["neg_att"]),
        helper.make_node(
            "MaxPool", ["neg_att"], ["neg_floor"], kernel_shape=[17, 17], pads=[8, 8, 8, 8]
        ),
        helper.make_node("Add", ["att", "neg_floor"], ["rise"]),
        *_log_ratio("rise", "rise_ratio"),
        helper.make_node(
            "Concat",
            ["att", "ratio", "mean5", "mean17", "rise", "rise_ratio"],
            ["features"],
            axis=1,
        ),
    ]


def feature_graph(height: int, width: int) -> bytes:
    """A model whose one output ``features`` is [len(FEATURES), pixels] (for training)."""
    nodes = feature_nodes()
    nodes += [
        const("flat_shape", np.array([len(FEATURES), -1], dtype=np.int64)),
        helper.make_node("Reshape", ["features", "flat_shape"], ["flat"]),
    ]
    graph = helper.make_graph(
        nodes,
        "demo-features",
        [helper.make_tensor_value_info(INPUT_NAME, TensorProto.FLOAT, [1, 2, height, width])],
        [helper.make_tensor_value_info("flat", TensorProto.FLOAT, [len(FEATURES), None])],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    return bytes(model.SerializeToString())
