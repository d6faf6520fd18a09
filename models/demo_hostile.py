"""Two hostile models for the demo, with the demo detector's input and outputs.

- :func:`custom_op_detector`: one operator from a custom domain (what a custom op library would
  bring in): the admission gate refuses it before any data is touched.
- :func:`looping_detector`: standard operators only, so the gate admits it, but a Loop of 10^12
  iterations stands between the image and the score: the sandbox's CPU limit ends it and the job
  reports ``ran-out-of-time``, nothing more.
"""

from __future__ import annotations

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from models.demo_features import INPUT_NAME, OPSET
from models.demo_models import RECIPE

__all__ = ["custom_op_detector", "loop_body", "looping_detector"]


def _detector(score_nodes: list[onnx.NodeProto], extra_opsets: tuple[str, ...] = ()) -> bytes:
    image = helper.make_tensor_value_info(
        INPUT_NAME, TensorProto.FLOAT, [1, len(RECIPE.bands), RECIPE.height, RECIPE.width]
    )
    nodes = [
        helper.make_node("ReduceMean", [INPUT_NAME], ["mean"], keepdims=0),
        helper.make_node("Reshape", ["mean", "one"], ["mean1"]),
        *score_nodes,
        helper.make_node("Identity", ["box"], ["boxes"]),
        helper.make_node("Identity", ["label"], ["labels"]),
    ]
    inits = [
        numpy_helper.from_array(np.array([1], np.int64), "one"),
        numpy_helper.from_array(np.array([[0.25, 0.25, 0.75, 0.75]], np.float32), "box"),
        numpy_helper.from_array(np.array([1], np.int64), "label"),
    ]
    outputs = [
        helper.make_tensor_value_info("boxes", TensorProto.FLOAT, [1, 4]),
        helper.make_tensor_value_info("scores", TensorProto.FLOAT, [1]),
        helper.make_tensor_value_info("labels", TensorProto.INT64, [1]),
    ]
    graph = helper.make_graph(nodes, "hostile", [image], outputs, initializer=inits)
    opsets = [helper.make_opsetid("", OPSET), *(helper.make_opsetid(d, 1) for d in extra_opsets)]
    return bytes(helper.make_model(graph, opset_imports=opsets, ir_version=8).SerializeToString())


def custom_op_detector() -> bytes:
    """The score comes from ``com.example.ops:Score``, an operator no standard runtime has."""
    node = helper.make_node("Score", ["mean1"], ["scores"], domain="com.example.ops")
    return _detector([node], ("com.example.ops",))


def loop_body() -> onnx.GraphProto:
    """A Loop body carrying one float [1] along, adding 1e-12 each trip (cheap per trip, so only
    the trip count makes it endless)."""
    return helper.make_graph(
        [
            helper.make_node("Identity", ["cond_in"], ["cond_out"]),
            helper.make_node("Add", ["acc_in", "step"], ["acc_out"]),
        ],
        "body",
        [
            helper.make_tensor_value_info("i", TensorProto.INT64, []),
            helper.make_tensor_value_info("cond_in", TensorProto.BOOL, []),
            helper.make_tensor_value_info("acc_in", TensorProto.FLOAT, [1]),
        ],
        [
            helper.make_tensor_value_info("cond_out", TensorProto.BOOL, []),
            helper.make_tensor_value_info("acc_out", TensorProto.FLOAT, [1]),
        ],
        initializer=[numpy_helper.from_array(np.array([1e-12], np.float32), "step")],
    )


def looping_detector() -> bytes:
    """The score is the image mean plus 10^12 additions of 1e-12 (a Loop body)."""
    nodes = [
        helper.make_node(
            "Constant", [], ["trips"], value=numpy_helper.from_array(np.array(10**12, np.int64))
        ),
        helper.make_node("Constant", [], ["go"], value=numpy_helper.from_array(np.array(True))),
        helper.make_node("Loop", ["trips", "go", "mean1"], ["looped"], body=loop_body()),
        helper.make_node("Sigmoid", ["looped"], ["scores"]),
    ]
    return _detector(nodes)
