"""Tiny ONNX models built with ``onnx.helper``, and their model cards, for the enclave's tests.

Valid ones: one per task (``detector``, ``classifier``, ``anomaly``), each with ``card_for``.
Hostile ones: external data (plain name, ``../``, absolute path; in an initializer, a Constant
attribute, a sparse initializer, a subgraph), a custom-domain op, a ConstantOfShape asking for
40 GB, a Loop of 10^12 iterations, too many nodes, a wrong opset, a model-local function.
Every builder returns the serialised bytes; ``model_of`` gives the ``ModelProto`` to tamper with.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from models.demo_hostile import loop_body

OPSET = 17
C, H, W = 2, 32, 32
BANDS = ["high", "log-ratio"]
CLASSES = [
    {"value": 0, "name": "9302", "description": "revolvers and pistols"},
    {"value": 1, "name": "300490", "description": "medicaments, packaged"},
]


def _image() -> onnx.ValueInfoProto:
    return helper.make_tensor_value_info("image", TensorProto.FLOAT, ["batch", C, H, W])


def _model(
    nodes: list[onnx.NodeProto],
    outputs: list[onnx.ValueInfoProto],
    initializers: list[onnx.TensorProto] | None = None,
    opset: int = OPSET,
    extra_opsets: list[onnx.OperatorSetIdProto] | None = None,
) -> onnx.ModelProto:
    graph = helper.make_graph(nodes, "g", [_image()], outputs, initializer=initializers or [])
    opsets = [helper.make_opsetid("", opset), *(extra_opsets or [])]
    return helper.make_model(graph, opset_imports=opsets, ir_version=8)


def _bytes(model: onnx.ModelProto) -> bytes:
    return model.SerializeToString()


def model_of(data: bytes) -> onnx.ModelProto:
    model = onnx.ModelProto()
    model.ParseFromString(data)
    return model


# ------------------------------------------------------------------ valid models


def detector_model() -> onnx.ModelProto:
    """One box at a fixed place; its score rises with the mean of the image."""
    nodes = [
        helper.make_node("ReduceMean", ["image"], ["mean"], keepdims=0),
        helper.make_node("Reshape", ["mean", "one"], ["mean1"]),
        helper.make_node("Sigmoid", ["mean1"], ["scores"]),
        helper.make_node("Identity", ["box"], ["boxes"]),
        helper.make_node("Identity", ["label"], ["labels"]),
    ]
    inits = [
        numpy_helper.from_array(np.array([1], np.int64), "one"),
        numpy_helper.from_array(np.array([[0.1, 0.1, 0.5, 0.5]], np.float32), "box"),
        numpy_helper.from_array(np.array([0], np.int64), "label"),
    ]
    outputs = [
        helper.make_tensor_value_info("boxes", TensorProto.FLOAT, [1, 4]),
        helper.make_tensor_value_info("scores", TensorProto.FLOAT, [1]),
        helper.make_tensor_value_info("labels", TensorProto.INT64, [1]),
    ]
    return _model(nodes, outputs, inits)


def detector() -> bytes:
    return _bytes(detector_model())


def classifier() -> bytes:
    """Scores [1, 2]: a linear map of the per-band means, through a sigmoid."""
    nodes = [
        helper.make_node("GlobalAveragePool", ["image"], ["pooled"]),
        helper.make_node("Flatten", ["pooled"], ["flat"]),
        helper.make_node("Gemm", ["flat", "w", "b"], ["logits"]),
        helper.make_node("Sigmoid", ["logits"], ["scores"]),
    ]
    inits = [
        numpy_helper.from_array(np.array([[0.5, -0.5], [1.0, 2.0]], np.float32), "w"),
        numpy_helper.from_array(np.array([0.0, 0.1], np.float32), "b"),
    ]
    outputs = [helper.make_tensor_value_info("scores", TensorProto.FLOAT, [1, 2])]
    return _bytes(_model(nodes, outputs, inits))


def anomaly() -> bytes:
    """score [1] (mean of the image) and anomaly_map [1, H, W] (mean over bands)."""
    nodes = [
        helper.make_node("ReduceMean", ["image"], ["map"], axes=[1], keepdims=0),
        helper.make_node("Identity", ["map"], ["anomaly_map"]),
        helper.make_node("ReduceMean", ["image"], ["m"], keepdims=0),
        helper.make_node("Reshape", ["m", "one"], ["score"]),
    ]
    inits = [numpy_helper.from_array(np.array([1], np.int64), "one")]
    outputs = [
        helper.make_tensor_value_info("score", TensorProto.FLOAT, [1]),
        helper.make_tensor_value_info("anomaly_map", TensorProto.FLOAT, [1, H, W]),
    ]
    return _bytes(_model(nodes, outputs, inits))


# ------------------------------------------------------------------ cards


def _output(name: str, shape: list[int], dtype: str, classes: bool) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": name,
        "tasks": ["object-detection"],
        "result": {
            "shape": shape,
            "dim_order": ["n", "v"][: len(shape)]
            if len(shape) < 3
            else ["batch", "height", "width"],
            "data_type": dtype,
        },
        "post_processing_function": None,
    }
    if classes:
        out["classification:classes"] = copy.deepcopy(CLASSES)
    return out


def card_for(task: str) -> dict[str, Any]:
    """A valid card (MLM item properties) for the builder of ``task``."""
    if task == "object-detection":
        outputs = [
            _output("boxes", [-1, 4], "float32", False),
            _output("scores", [-1], "float32", False),
            _output("labels", [-1], "int64", True),
        ]
    elif task == "classification":
        outputs = [_output("scores", [1, 2], "float32", True)]
    else:
        outputs = [
            _output("score", [1], "float32", False),
            _output("anomaly_map", [1, H, W], "float32", False),
        ]
    for out in outputs:
        out["tasks"] = [task]
    return {
        "mlm:name": f"tiny {task}",
        "mlm:architecture": "hand-built ONNX graph",
        "mlm:tasks": [task],
        "mlm:framework": "ONNX",
        "mlm:framework_version": "1.17.0",
        "mlm:input": [
            {
                "name": "image",
                "bands": list(BANDS),
                "input": {
                    "shape": [1, C, H, W],
                    "dim_order": ["batch", "bands", "height", "width"],
                    "data_type": "float32",
                },
                "value_scaling": [{"type": "scale", "value": 65535}],
                "resize_type": "interpolation-linear",
                "pre_processing_function": None,
            }
        ],
        "mlm:output": outputs,
    }


# ------------------------------------------------------------------ hostile models


def _external(tensor: onnx.TensorProto, location: str) -> None:
    tensor.ClearField("raw_data")
    tensor.ClearField("float_data")
    tensor.ClearField("int64_data")
    tensor.data_location = TensorProto.EXTERNAL
    entry = tensor.external_data.add()
    entry.key, entry.value = "location", location


def external_initializer(location: str) -> bytes:
    """The detector with its box initializer's data "in" ``location``."""
    model = detector_model()
    _external(next(t for t in model.graph.initializer if t.name == "box"), location)
    return _bytes(model)


def external_in_constant(location: str) -> bytes:
    """The box as a Constant node whose tensor attribute names external data."""
    model = detector_model()
    box = next(t for t in model.graph.initializer if t.name == "box")
    model.graph.initializer.remove(box)
    tensor = copy.deepcopy(box)
    _external(tensor, location)
    model.graph.node.insert(0, helper.make_node("Constant", [], ["box"], value=tensor))
    return _bytes(model)


def external_in_subgraph(location: str) -> bytes:
    """An If whose then-branch holds an initializer with external data."""
    model = detector_model()
    inner = numpy_helper.from_array(np.zeros(4, np.float32), "inner")
    _external(inner, location)
    out = helper.make_tensor_value_info("branch", TensorProto.FLOAT, [4])
    then = helper.make_graph(
        [helper.make_node("Identity", ["inner"], ["branch"])],
        "then",
        [],
        [out],
        initializer=[inner],
    )
    other = helper.make_graph(
        [helper.make_node("Identity", ["zero4"], ["branch"])], "else", [], [out]
    )
    model.graph.initializer.append(numpy_helper.from_array(np.zeros(4, np.float32), "zero4"))
    model.graph.initializer.append(numpy_helper.from_array(np.array(True), "cond"))
    model.graph.node.append(
        helper.make_node("If", ["cond"], ["unused"], then_branch=then, else_branch=other)
    )
    return _bytes(model)


def external_sparse(location: str) -> bytes:
    """A sparse initializer whose values are external."""
    model = detector_model()
    values = numpy_helper.from_array(np.array([1.0], np.float32), "sp")
    _external(values, location)
    indices = numpy_helper.from_array(np.array([0], np.int64), "sp_idx")
    model.graph.sparse_initializer.append(helper.make_sparse_tensor(values, indices, [4]))
    return _bytes(model)


def custom_domain() -> bytes:
    """The detector's sigmoid as an op of a custom domain (a custom op library's)."""
    model = detector_model()
    node = next(n for n in model.graph.node if n.op_type == "Sigmoid")
    node.domain = "com.evil"
    model.opset_import.append(helper.make_opsetid("com.evil", 1))
    return _bytes(model)


def custom_domain_node_only() -> bytes:
    """A custom-domain node without declaring its opset (the node walk must see it)."""
    model = detector_model()
    next(n for n in model.graph.node if n.op_type == "Sigmoid").domain = "com.microsoft"
    return _bytes(model)


def constant_of_shape_40gb() -> bytes:
    """The detector plus a ConstantOfShape of 10^10 float32 (40 GB) from a constant shape."""
    model = detector_model()
    model.graph.initializer.append(numpy_helper.from_array(np.array([10**10], np.int64), "big"))
    model.graph.node.append(helper.make_node("ConstantOfShape", ["big"], ["huge"]))
    model.graph.node.append(helper.make_node("ReduceMean", ["huge"], ["huge_mean"], keepdims=0))
    return _bytes(model)


def loop_forever() -> bytes:
    """A Loop of 10^12 iterations feeding the detector's score (only the sandbox stops it)."""
    model = detector_model()
    body = loop_body()
    model.graph.initializer.extend(
        [
            numpy_helper.from_array(np.array(10**12, np.int64), "trips"),
            numpy_helper.from_array(np.array(True), "go"),
        ]
    )
    sig = next(n for n in model.graph.node if n.op_type == "Sigmoid")
    sig.input[0] = "looped"
    model.graph.node.insert(
        2, helper.make_node("Loop", ["trips", "go", "mean1"], ["looped"], body=body)
    )
    return _bytes(model)


def too_many_nodes(count: int) -> bytes:
    """The detector with ``count`` Identity nodes chained before its sigmoid."""
    model = detector_model()
    sig = next(n for n in model.graph.node if n.op_type == "Sigmoid")
    previous = "mean1"
    chain = []
    for i in range(count):
        chain.append(helper.make_node("Identity", [previous], [f"id{i}"]))
        previous = f"id{i}"
    sig.input[0] = previous
    model.graph.node.insert(2, chain[0])
    for offset, node in enumerate(chain[1:], start=3):
        model.graph.node.insert(offset, node)
    return _bytes(model)


def with_opset(opset: int) -> bytes:
    model = detector_model()
    model.opset_import[0].version = opset
    return _bytes(model)


def local_function() -> bytes:
    """The detector's sigmoid moved into a model-local function."""
    model = detector_model()
    fn = helper.make_function(
        "local",
        "MySigmoid",
        ["x"],
        ["y"],
        [helper.make_node("Sigmoid", ["x"], ["y"])],
        [helper.make_opsetid("", OPSET)],
    )
    node = next(n for n in model.graph.node if n.op_type == "Sigmoid")
    node.op_type, node.domain = "MySigmoid", "local"
    model.functions.append(fn)
    model.opset_import.append(helper.make_opsetid("local", 1))
    return _bytes(model)


def renamed_output(old: str, new: str) -> bytes:
    model = detector_model()
    for node in model.graph.node:
        node.output[:] = [new if o == old else o for o in node.output]
    next(o for o in model.graph.output if o.name == old).name = new
    return _bytes(model)
