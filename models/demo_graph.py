"""The demo detector's ONNX graph: pixel features, pixel scorer, box fitting, suppression (no I/O).

Boxes: each anchor's score is how much more "object" (1 - background probability) lies inside it
than in a margin around it, which is largest when the box fits an object; class-agnostic
non-maximum suppression keeps the best boxes; each kept box then gets every class, scored by its
box score times the share of that class in the box (RoiAlign over the class probabilities).

Output contract (the enclave's object-detection layout): ``boxes`` float32 [N, 4] x1, y1, x2, y2
normalised to the input's width and height, ``scores`` float32 [N], ``labels`` int64 [N] class
values, N at most ``MAX_DETECTIONS``.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import onnx
from numpy.typing import NDArray
from onnx import NodeProto, TensorProto, helper

from models.demo_features import DOWN, INPUT_NAME, OPSET, AnchorShape, const, feature_nodes
from models.demo_scorer import Mlp

__all__ = ["MAX_DETECTIONS", "detector_graph", "i64"]

MAX_BOXES: Final = 100  # boxes kept by suppression
MAX_DETECTIONS: Final = 1000  # (box, class) pairs returned
IOU: Final = 0.5
MIN_SCORE: Final = 0.02


def i64(*values: int) -> NDArray[np.int64]:
    return np.array(values, dtype=np.int64)


def _scorer_nodes(mlp: Mlp) -> list[NodeProto]:
    """``classes`` [1, K, h, w] class probabilities and ``objectness`` [1, 1, h, w]."""
    n, hidden = mlp.w1.shape
    outputs = mlp.w2.shape[1]
    return [
        const("w1", mlp.w1.T.reshape(hidden, n, 1, 1)),
        const("b1", mlp.b1),
        const("w2", mlp.w2.T.reshape(outputs, hidden, 1, 1)),
        const("b2", mlp.b2),
        helper.make_node("Conv", ["features", "w1", "b1"], ["pre"]),
        helper.make_node("Relu", ["pre"], ["hidden"]),
        helper.make_node("Conv", ["hidden", "w2", "b2"], ["logits"]),
        helper.make_node("Softmax", ["logits"], ["prob"], axis=1),
        const("split_sizes", i64(1, outputs - 1)),
        helper.make_node("Split", ["prob", "split_sizes"], ["background", "classes"], axis=1),
        const("one_f", np.array(1.0, dtype=np.float32)),
        helper.make_node("Sub", ["one_f", "background"], ["objectness"]),
    ]


def _box_nodes(shapes: tuple[AnchorShape, ...]) -> list[NodeProto]:
    """``box_scores`` [1, 1, anchors]: inside mean minus surround mean of the objectness."""
    nodes = [const("flat_scores", i64(1, 1, -1))]
    for i, s in enumerate(shapes):
        mh, mw = s.margins
        nodes += [
            helper.make_node(
                "AveragePool",
                ["objectness"],
                [f"in{i}"],
                kernel_shape=[s.height, s.width],
                strides=[s.stride, s.stride],
            ),
            helper.make_node(
                "AveragePool",
                ["objectness"],
                [f"out{i}"],
                kernel_shape=[s.height + 2 * mh, s.width + 2 * mw],
                strides=[s.stride, s.stride],
                pads=[mh, mw, mh, mw],
                count_include_pad=0,
            ),
            helper.make_node("Sub", [f"in{i}", f"out{i}"], [f"fit{i}"]),
            helper.make_node("Reshape", [f"fit{i}", "flat_scores"], [f"score{i}"]),
        ]
    names = [f"score{i}" for i in range(len(shapes))]
    return [*nodes, helper.make_node("Concat", names, ["box_scores"], axis=2)]


def _suppression_nodes(shapes: tuple[AnchorShape, ...], height: int, width: int) -> list[NodeProto]:
    """``kept_boxes`` [S, 4] normalised, ``kept_map`` [S, 4] map pixels, ``kept_scores`` [S]."""
    boxes = np.concatenate([s.boxes() for s in shapes])
    scale = np.array([width, height, width, height], dtype=np.float32) / DOWN
    return [
        const("anchors", boxes[None]),
        const("box_rows", i64(-1, 4)),
        helper.make_node("Reshape", ["anchors", "box_rows"], ["anchors_map"]),
        const("to_unit", (1 / scale).astype(np.float32)),
        helper.make_node("Mul", ["anchors_map", "to_unit"], ["anchors_norm"]),
        const("max_boxes", i64(MAX_BOXES)),
        const("iou", np.array([IOU], dtype=np.float32)),
        const("min_score", np.array([MIN_SCORE], dtype=np.float32)),
        const("col0", np.array(0, dtype=np.int64)),
        const("col2", np.array(2, dtype=np.int64)),
        # NMS reads corners as [y1, x1, y2, x2]; IoU is the same with x and y swapped.
        helper.make_node(
            "NonMaxSuppression",
            ["anchors", "box_scores", "max_boxes", "iou", "min_score"],
            ["kept"],
        ),
        helper.make_node("Gather", ["kept", "col0"], ["kept_batch"], axis=1),
        helper.make_node("Gather", ["kept", "col2"], ["kept_anchor"], axis=1),
        helper.make_node("GatherND", ["box_scores", "kept"], ["kept_scores"]),
        helper.make_node("Gather", ["anchors_map", "kept_anchor"], ["kept_map"], axis=0),
        helper.make_node("Gather", ["anchors_norm", "kept_anchor"], ["kept_boxes"], axis=0),
    ]


def _labelling_nodes(values: list[int]) -> list[NodeProto]:
    """Every kept box with every class, scored box score x class share; the best pairs."""
    k = len(values)
    return [
        helper.make_node(
            "RoiAlign",
            ["classes", "kept_map", "kept_batch"],
            ["share_grid"],
            mode="avg",
            output_height=2,
            output_width=2,
            sampling_ratio=2,
            spatial_scale=1.0,
        ),
        const("hw_axes", i64(2, 3)),
        const("class_axis", i64(1)),
        helper.make_node("ReduceMean", ["share_grid", "hw_axes"], ["share_raw"], keepdims=0),
        helper.make_node("ReduceSum", ["share_raw", "class_axis"], ["share_total"], keepdims=1),
        helper.make_node("Max", ["share_total", "floor"], ["share_safe"]),
        helper.make_node("Div", ["share_raw", "share_safe"], ["share"]),
        const("col_shape", i64(-1, 1)),
        helper.make_node("Reshape", ["kept_scores", "col_shape"], ["kept_col"]),
        helper.make_node("Mul", ["kept_col", "share"], ["pair_scores"]),
        const("flat", i64(-1)),
        helper.make_node("Reshape", ["pair_scores", "flat"], ["pairs"]),
        helper.make_node("Shape", ["pairs"], ["pair_count"]),
        const("max_pairs", i64(MAX_DETECTIONS)),
        helper.make_node("Min", ["pair_count", "max_pairs"], ["top"]),
        helper.make_node("TopK", ["pairs", "top"], ["scores", "pair"], axis=0),
        const("k", i64(k)),
        helper.make_node("Div", ["pair", "k"], ["pair_box"]),
        helper.make_node("Mod", ["pair", "k"], ["pair_class"]),
        const("class_values", np.array(values, dtype=np.int64)),
        helper.make_node("Gather", ["class_values", "pair_class"], ["labels"], axis=0),
        helper.make_node("Gather", ["kept_boxes", "pair_box"], ["boxes"], axis=0),
    ]


def detector_graph(
    mlp: Mlp, shapes: tuple[AnchorShape, ...], height: int, width: int, values: list[int]
) -> onnx.ModelProto:
    """The whole detector; ``values`` are the class values of the scorer's classes 1..K."""
    nodes = feature_nodes() + _scorer_nodes(mlp) + _box_nodes(shapes)
    nodes += _suppression_nodes(shapes, height, width) + _labelling_nodes(values)
    graph = helper.make_graph(
        nodes,
        "clearance-demo-detector",
        [helper.make_tensor_value_info(INPUT_NAME, TensorProto.FLOAT, [1, 2, height, width])],
        [
            helper.make_tensor_value_info("boxes", TensorProto.FLOAT, ["N", 4]),
            helper.make_tensor_value_info("scores", TensorProto.FLOAT, ["N"]),
            helper.make_tensor_value_info("labels", TensorProto.INT64, ["N"]),
        ],
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
