"""ONNX graphs for the sandbox tests, built with onnx.helper: a small conv model and hostile ones
whose harm depends on the input at run time, so no static gate could see it coming."""

from __future__ import annotations

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = [helper.make_opsetid("", 17)]
IMAGE = helper.make_tensor_value_info("image", TensorProto.FLOAT, [1, 3, 8, 8])


def _model(nodes: list[onnx.NodeProto], outputs: list[onnx.ValueInfoProto], **kw: object) -> bytes:
    graph = helper.make_graph(nodes, "g", [IMAGE], outputs, **kw)  # type: ignore[arg-type]
    model = helper.make_model(graph, opset_imports=OPSET)
    return model.SerializeToString()


def _const(
    name: str, values: list[int] | list[float], dtype: int = TensorProto.INT64
) -> onnx.NodeProto:
    tensor = helper.make_tensor(name + "_t", dtype, [len(values)], values)
    return helper.make_node("Constant", [], [name], value=tensor)


def conv_model(side: int = 8, seed: int = 0) -> bytes:
    """Conv 3->4 channels, ReLU, global mean: a ``scores`` [1, 4] output."""
    weights = np.random.default_rng(seed).normal(size=(4, 3, 3, 3)).astype(np.float32)
    image = helper.make_tensor_value_info("image", TensorProto.FLOAT, [1, 3, side, side])
    nodes = [
        helper.make_node("Conv", ["image", "w"], ["c"], pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c"], ["r"]),
        helper.make_node("GlobalAveragePool", ["r"], ["p"]),
        _const("shape", [1, 4]),
        helper.make_node("Reshape", ["p", "shape"], ["scores"]),
    ]
    out = helper.make_tensor_value_info("scores", TensorProto.FLOAT, [1, 4])
    graph = helper.make_graph(
        nodes, "conv", [image], [out], initializer=[numpy_helper.from_array(weights, "w")]
    )
    return helper.make_model(graph, opset_imports=OPSET).SerializeToString()


def _scaled_count(factor: float) -> list[onnx.NodeProto]:
    """``count`` int64 [1] = round(max(image) * factor): a size only the input decides."""
    return [
        helper.make_node("ReduceMax", ["image"], ["m"], keepdims=0),
        _const("f", [factor], TensorProto.FLOAT),
        helper.make_node("Mul", ["m", "f"], ["mf"]),
        helper.make_node("Cast", ["mf"], ["mi"], to=TensorProto.INT64),
        _const("one", [1]),
        helper.make_node("Reshape", ["mi", "one"], ["count"]),
    ]


def huge_constant_model() -> bytes:
    """ConstantOfShape of 10^10 float32 (40 GB) when max(image) is 1: shape from the input."""
    nodes = [
        *_scaled_count(1e10),
        helper.make_node(
            "ConstantOfShape",
            ["count"],
            ["score"],
            value=helper.make_tensor("v", TensorProto.FLOAT, [1], [1.0]),
        ),
    ]
    return _model(nodes, [helper.make_tensor_value_info("score", TensorProto.FLOAT, ["n"])])


def endless_loop_model() -> bytes:
    """A Loop of max(image) * 10^12 iterations that only adds one each time."""
    body = helper.make_graph(
        [
            helper.make_node("Add", ["acc_in", "step"], ["acc_out"]),
            helper.make_node("Identity", ["cond_in"], ["cond_out"]),
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
        initializer=[numpy_helper.from_array(np.ones(1, np.float32), "step")],
    )
    nodes = [
        *_scaled_count(1e12),
        helper.make_node("Squeeze", ["count"], ["trips"]),
        helper.make_node(
            "Constant", [], ["go"], value=helper.make_tensor("t", TensorProto.BOOL, [], [1])
        ),
        _const("zero", [0.0], TensorProto.FLOAT),
        helper.make_node("Loop", ["trips", "go", "zero"], ["score"], body=body),
    ]
    return _model(nodes, [helper.make_tensor_value_info("score", TensorProto.FLOAT, [1])])


def many_boxes_model(rows: float = 1e7) -> bytes:
    """Detection outputs where ``boxes`` has ``max(image) * rows`` rows (declared N <= 1000)."""
    nodes = [
        *_scaled_count(rows),
        _const("four", [4]),
        helper.make_node("Concat", ["count", "four"], ["bshape"], axis=0),
        helper.make_node(
            "ConstantOfShape",
            ["bshape"],
            ["boxes"],
            value=helper.make_tensor("v", TensorProto.FLOAT, [1], [0.5]),
        ),
        helper.make_node(
            "ConstantOfShape",
            ["count"],
            ["scores"],
            value=helper.make_tensor("s", TensorProto.FLOAT, [1], [0.9]),
        ),
        helper.make_node(
            "ConstantOfShape",
            ["count"],
            ["labels"],
            value=helper.make_tensor("l", TensorProto.INT64, [1], [1]),
        ),
    ]
    outputs = [
        helper.make_tensor_value_info("boxes", TensorProto.FLOAT, ["n", 4]),
        helper.make_tensor_value_info("scores", TensorProto.FLOAT, ["n"]),
        helper.make_tensor_value_info("labels", TensorProto.INT64, ["n"]),
    ]
    return _model(nodes, outputs)


def mean_model(output: str = "score", dtype: int = TensorProto.FLOAT) -> bytes:
    """``output`` [1] = mean of the image, cast to ``dtype``: for wrong-name/dtype cases."""
    nodes = [
        helper.make_node("ReduceMean", ["image"], ["m"], keepdims=0),
        _const("one", [1]),
        helper.make_node("Reshape", ["m", "one"], ["r"]),
        helper.make_node("Cast", ["r"], [output], to=dtype),
    ]
    return _model(nodes, [helper.make_tensor_value_info(output, dtype, [1])])


def external_data_model(location: str = "weights.bin") -> bytes:
    """``score`` = mean(image) + a bias kept in an external file ``location`` (4 bytes)."""
    bias = onnx.TensorProto()
    bias.name, bias.data_type = "bias", TensorProto.FLOAT
    bias.dims.extend([1])
    bias.data_location = TensorProto.EXTERNAL
    for key, value in (("location", location), ("offset", "0"), ("length", "4")):
        bias.external_data.add(key=key, value=value)
    nodes = [
        helper.make_node("ReduceMean", ["image"], ["m"], keepdims=0),
        _const("one", [1]),
        helper.make_node("Reshape", ["m", "one"], ["r"]),
        helper.make_node("Add", ["r", "bias"], ["score"]),
    ]
    outputs = [helper.make_tensor_value_info("score", TensorProto.FLOAT, [1])]
    return _model(nodes, outputs, initializer=[bias])
