"""The admission gate: an ONNX model is checked here before any data is touched.

``admit(data, card, limits)`` returns an ``AdmittedModel`` or raises ``AdmissionRefused`` with
the stable ``rule`` it broke (the rules table in docs/enclave.md "Admission gate"). Pure: bytes
in, verdict out; nothing is written, and no file is ever read: the bytes are parsed with
protobuf alone (``ModelProto.ParseFromString``), which never follows external data, and every
tensor is checked for external data before onnx's checker or shape inference sees the model.

Order, cheapest and most dangerous first: size; parse; IR version, opset and domains; no
model-local functions or training info; every graph, subgraphs included, walked once with a
node cap (no external data, standard domains only, initializer bytes); constant shapes that
ask for too many elements; ``onnx.checker`` (full check, all domains); strict shape inference;
the graph's input and outputs against the card; inferred static shapes under the element cap.
The node cap bounds the work of every later step.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Final

import numpy as np
import onnx
from google.protobuf.message import DecodeError
from onnx import numpy_helper, shape_inference

from models.card import ModelCard, OutputSpec
from models.errors import AdmissionRefused
from models.limits import MAX_MODEL_BYTES

__all__ = ["DOMAINS", "RULES", "AdmissionLimits", "AdmittedModel", "admit"]

DOMAINS: Final = frozenset({"", "ai.onnx.ml"})

#: Every rule id the gate refuses with, and what it refuses (docs/enclave.md has the why).
RULES: Final[Mapping[str, str]] = {
    "model-too-large": "a model file over the size cap",
    "not-onnx": "bytes that are not an ONNX ModelProto",
    "ir-version": "an ONNX IR version outside the supported range",
    "opset": "a default-domain opset outside the supported range, or none",
    "domain": "an operator domain other than '' and 'ai.onnx.ml' (custom op libraries)",
    "local-function": "model-local functions",
    "training-info": "training information (graphs the enclave never runs)",
    "too-many-nodes": "more nodes than the cap, subgraphs included",
    "subgraph-depth": "subgraphs nested deeper than the cap",
    "external-data": "a tensor whose data lives outside the model, anywhere",
    "initializers-too-large": "more initializer bytes than the cap",
    "constant-too-large": "a constant shape asking for more elements than the cap",
    "checker": "a model onnx.checker (full check) refuses",
    "shape-inference": "a model strict shape inference refuses",
    "input-mismatch": "a graph input other than the card's one float32 [1, C, H, W] input",
    "output-mismatch": "graph outputs that differ from the card's (names, types, ranks, dims)",
}

_ELEM_TYPES: Final = {"float32": onnx.TensorProto.FLOAT, "int64": onnx.TensorProto.INT64}
_MAX_SHAPE_CONSTANT: Final = 64  # elements of a constant read as a shape (shapes are short)


@dataclass(frozen=True)
class AdmissionLimits:
    """The gate's caps. ``max_static_elements`` bounds any tensor whose size is known before
    the run (1 GiB of float32 by default); dynamic sizes are the sandbox's to contain."""

    max_bytes: int = MAX_MODEL_BYTES
    max_nodes: int = 20_000
    max_depth: int = 8
    min_opset: int = 13
    max_opset: int = onnx.defs.onnx_opset_version()
    min_ir_version: int = 7
    max_ir_version: int = onnx.IR_VERSION
    max_initializer_bytes: int = 64 << 20
    max_static_elements: int = 1 << 28


@dataclass(frozen=True)
class AdmittedModel:
    """What the gate learnt of an admitted model."""

    sha256: str
    size: int
    ir_version: int
    opset: int
    node_count: int
    initializer_bytes: int


def _refuse(rule: str, message: str) -> AdmissionRefused:
    assert rule in RULES, rule
    return AdmissionRefused(rule, message)


def _parse(data: bytes, limits: AdmissionLimits) -> onnx.ModelProto:
    if len(data) > limits.max_bytes:
        raise _refuse(
            "model-too-large", f"the model has {len(data)} bytes; the cap is {limits.max_bytes}"
        )
    model = onnx.ModelProto()
    try:
        model.ParseFromString(data)  # protobuf only: external data is never followed
    except (DecodeError, RuntimeError, ValueError):
        raise _refuse(
            "not-onnx", "the file is not an ONNX model (protobuf does not parse)"
        ) from None
    if not model.HasField("graph"):
        raise _refuse("not-onnx", "the file is not an ONNX model (it has no graph)")
    return model


def _check_header(model: onnx.ModelProto, limits: AdmissionLimits) -> int:
    if len(model.functions):
        raise _refuse("local-function", "model-local functions are not admitted")
    if len(model.training_info):
        raise _refuse("training-info", "training information is not admitted")
    if not limits.min_ir_version <= model.ir_version <= limits.max_ir_version:
        raise _refuse(
            "ir-version",
            f"IR version {model.ir_version} is outside "
            f"{limits.min_ir_version}..{limits.max_ir_version}",
        )
    versions: dict[str, int] = {}
    for entry in model.opset_import:
        if entry.domain not in DOMAINS:
            raise _refuse("domain", f"opset domain {entry.domain[:64]!r} is not a standard one")
        versions[entry.domain] = entry.version
    opset = versions.get("")
    if opset is None or not limits.min_opset <= opset <= limits.max_opset:
        raise _refuse(
            "opset",
            f"default-domain opset {opset} is outside {limits.min_opset}..{limits.max_opset}",
        )
    return opset


# ------------------------------------------------------------------ tensors and graphs


def _tensors_of(attribute: onnx.AttributeProto) -> Iterator[onnx.TensorProto]:
    if attribute.HasField("t"):
        yield attribute.t
    yield from attribute.tensors
    for sparse in (
        *([attribute.sparse_tensor] if attribute.HasField("sparse_tensor") else []),
        *attribute.sparse_tensors,
    ):
        yield sparse.values
        yield sparse.indices


def _check_tensor(tensor: onnx.TensorProto) -> int:
    """The tensor's data bytes; refused when any of it is external."""
    if tensor.data_location == onnx.TensorProto.EXTERNAL or len(tensor.external_data):
        raise _refuse("external-data", f"tensor {tensor.name[:64]!r} refers to external data")
    size: int = tensor.ByteSize()
    return size


def _graph_tensors(graph: onnx.GraphProto) -> Iterator[onnx.TensorProto]:
    yield from graph.initializer
    for sparse in graph.sparse_initializer:
        yield sparse.values
        yield sparse.indices


def _walk(model: onnx.ModelProto, limits: AdmissionLimits) -> tuple[int, int]:
    """Every graph once (subgraphs of If/Loop/Scan, recursively): node count, tensor bytes."""
    nodes = size = 0
    stack: list[tuple[onnx.GraphProto, int]] = [(model.graph, 0)]
    while stack:
        graph, depth = stack.pop()
        if depth > limits.max_depth:
            raise _refuse("subgraph-depth", f"subgraphs nest deeper than {limits.max_depth}")
        size += sum(_check_tensor(t) for t in _graph_tensors(graph))
        nodes += len(graph.node)
        if nodes > limits.max_nodes:
            raise _refuse("too-many-nodes", f"more than {limits.max_nodes} nodes")
        for node in graph.node:
            if node.domain not in DOMAINS:
                raise _refuse("domain", f"node domain {node.domain[:64]!r} is not a standard one")
            for attribute in node.attribute:
                size += sum(_check_tensor(t) for t in _tensors_of(attribute))
                stack.extend((g, depth + 1) for g in attribute.graphs)
                if attribute.HasField("g"):
                    stack.append((attribute.g, depth + 1))
    if size > limits.max_initializer_bytes:
        raise _refuse(
            "initializers-too-large",
            f"{size} bytes of constants; the cap is {limits.max_initializer_bytes}",
        )
    return nodes, size


def _all_graphs(graph: onnx.GraphProto) -> Iterator[onnx.GraphProto]:
    yield graph
    for node in graph.node:
        for attribute in node.attribute:
            if attribute.HasField("g"):
                yield from _all_graphs(attribute.g)
            for sub in attribute.graphs:
                yield from _all_graphs(sub)


# ------------------------------------------------------------------ constant shapes


def _constants(graph: onnx.GraphProto) -> dict[str, onnx.TensorProto]:
    """Small constants of one graph: initializers and Constant nodes' tensors."""
    out = {t.name: t for t in graph.initializer}
    for node in graph.node:
        if node.op_type == "Constant" and node.domain == "" and node.output:
            for a in node.attribute:
                if a.name == "value" and a.HasField("t"):
                    out[node.output[0]] = a.t
                elif a.name == "value_ints":
                    out[node.output[0]] = numpy_helper.from_array(np.array(a.ints, np.int64))
    return out


def _values(constants: Mapping[str, onnx.TensorProto], name: str) -> list[float] | None:
    tensor = constants.get(name)
    if tensor is None or math.prod(tensor.dims) > _MAX_SHAPE_CONSTANT:
        return None
    try:
        return [float(v) for v in numpy_helper.to_array(tensor).reshape(-1)]
    except (ValueError, TypeError):
        return None  # the checker reports a malformed tensor


def _asked_elements(node: onnx.NodeProto, constants: Mapping[str, onnx.TensorProto]) -> float:
    """Elements a node's constant shape input asks for (a lower bound), 0 when unknown."""
    inputs = list(node.input)
    at = {"ConstantOfShape": 0, "Expand": 1, "Tile": 1, "Resize": 3}.get(node.op_type)
    if at is not None and len(inputs) > at and inputs[at]:
        shape = _values(constants, inputs[at])
        return math.prod(max(d, 0) for d in shape) if shape else 0
    if node.op_type == "Range" and len(inputs) == 3:
        start, limit, delta = (_values(constants, n) for n in inputs)
        if start and limit and delta and delta[0] != 0:
            return max(math.ceil((limit[0] - start[0]) / delta[0]), 0)
    return 0


def _check_constant_shapes(model: onnx.ModelProto, limits: AdmissionLimits) -> None:
    for graph in _all_graphs(model.graph):
        constants = _constants(graph)
        for node in graph.node:
            asked = _asked_elements(node, constants) if node.domain == "" else 0
            if not asked <= limits.max_static_elements:  # also refuses inf and nan
                raise _refuse(
                    "constant-too-large",
                    f"{node.op_type} node {node.name[:64]!r} "
                    f"asks for {asked:.3g} elements; the cap is "
                    f"{limits.max_static_elements}",
                )


def _check_inferred_sizes(model: onnx.ModelProto, limits: AdmissionLimits) -> None:
    for graph in _all_graphs(model.graph):
        for info in (*graph.value_info, *graph.output):
            dims = info.type.tensor_type.shape.dim
            if dims and all(d.HasField("dim_value") for d in dims):
                count = math.prod(d.dim_value for d in dims)
                if count > limits.max_static_elements:
                    raise _refuse(
                        "constant-too-large",
                        f"tensor {info.name[:64]!r} would have "
                        f"{count} elements; the cap is "
                        f"{limits.max_static_elements}",
                    )


# ------------------------------------------------------------------ checker and inference


def _check_and_infer(data: bytes) -> onnx.ModelProto:
    try:
        onnx.checker.check_model(data, full_check=True, check_custom_domain=True)
    except (onnx.checker.ValidationError, shape_inference.InferenceError, ValueError) as exc:
        raise _refuse("checker", _first_line(exc)) from None
    try:
        return shape_inference.infer_shapes(data, check_type=True, strict_mode=True, data_prop=True)
    except (shape_inference.InferenceError, onnx.checker.ValidationError, ValueError) as exc:
        raise _refuse("shape-inference", _first_line(exc)) from None


def _first_line(exc: Exception) -> str:
    """onnx's own message, first line, cut: it names the node and the rule."""
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:300]


# ------------------------------------------------------------------ the card


def _dims(value: onnx.ValueInfoProto) -> tuple[int | None, ...]:
    return tuple(
        d.dim_value if d.HasField("dim_value") else None for d in value.type.tensor_type.shape.dim
    )


def _check_input(graph: onnx.GraphProto, card: ModelCard) -> None:
    if len(graph.input) != 1:
        raise _refuse("input-mismatch", f"the graph has {len(graph.input)} inputs; exactly one")
    value = graph.input[0]
    recipe = card.recipe
    want = (1, len(recipe.bands), recipe.height, recipe.width)
    dims = _dims(value)
    fits = len(dims) == 4 and all(d is None or d == w for d, w in zip(dims, want, strict=True))
    if value.name != card.input_name or value.type.tensor_type.elem_type != onnx.TensorProto.FLOAT:
        raise _refuse("input-mismatch", f"the graph input must be float32 {card.input_name!r}")
    if not fits:
        raise _refuse(
            "input-mismatch", f"the graph input is {_shape_text(dims)}; the card says {list(want)}"
        )


def _check_outputs(graph: onnx.GraphProto, card: ModelCard) -> None:
    declared = {o.name: o for o in card.outputs}
    names = [o.name for o in graph.output]
    if sorted(names) != sorted(declared):
        raise _refuse(
            "output-mismatch",
            f"graph outputs {sorted(names)[:5]} are not the card's {sorted(declared)}",
        )
    for value in graph.output:
        spec: OutputSpec = declared[value.name]
        if value.type.tensor_type.elem_type != _ELEM_TYPES.get(spec.data_type):
            raise _refuse("output-mismatch", f"output {value.name!r} is not {spec.data_type}")
        dims = _dims(value)
        if len(dims) != len(spec.shape) or any(
            d is not None and s is not None and d != s
            for d, s in zip(dims, spec.shape, strict=True)
        ):
            raise _refuse(
                "output-mismatch",
                f"output {value.name!r} is {_shape_text(dims)}; "
                f"the card says {_shape_text(spec.shape)}",
            )


def _shape_text(dims: tuple[int | None, ...]) -> str:
    return "[" + ", ".join("?" if d is None else str(d) for d in dims) + "]"


def admit(data: bytes, card: ModelCard, limits: AdmissionLimits | None = None) -> AdmittedModel:
    """``data`` checked against every rule, and against ``card``; see the module docstring."""
    limits = limits or AdmissionLimits()
    model = _parse(data, limits)
    opset = _check_header(model, limits)
    nodes, size = _walk(model, limits)
    _check_constant_shapes(model, limits)
    inferred = _check_and_infer(data)
    _check_input(inferred.graph, card)
    _check_outputs(inferred.graph, card)
    _check_inferred_sizes(inferred, limits)
    digest = hashlib.sha256(data).hexdigest()
    return AdmittedModel(digest, len(data), model.ir_version, opset, nodes, size)
