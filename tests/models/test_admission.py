"""The admission gate (models.admission): every rule, each refusal with its rule id."""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import helper, numpy_helper

from models.admission import RULES, AdmissionLimits, admit
from models.card import ModelCard, parse_card
from models.errors import AdmissionRefused
from tests.models import onnx_builders as b

DETECTOR = parse_card(b.card_for("object-detection"))


def _refused(data: bytes, rule: str, card: ModelCard = DETECTOR, **limits: int) -> str:
    with pytest.raises(AdmissionRefused) as caught:
        admit(data, card, AdmissionLimits(**limits))
    assert caught.value.rule == rule, str(caught.value)
    assert caught.value.code == "model-refused"
    return str(caught.value)


@pytest.mark.parametrize(
    ("task", "build"),
    [
        ("object-detection", b.detector),
        ("classification", b.classifier),
        ("anomaly-detection", b.anomaly),
    ],
)
def test_valid_models_are_admitted_and_run(task: str, build: Callable[[], bytes]) -> None:
    data = build()
    admitted = admit(data, parse_card(b.card_for(task)))
    assert admitted.sha256 == hashlib.sha256(data).hexdigest()
    assert admitted.opset == b.OPSET
    assert admitted.node_count == len(b.model_of(data).graph.node)
    session = ort.InferenceSession(data, providers=["CPUExecutionProvider"])
    outputs = session.run(None, {"image": np.ones((1, b.C, b.H, b.W), np.float32)})
    assert len(outputs) == len(parse_card(b.card_for(task)).outputs)


@pytest.mark.parametrize("location", ["weights.bin", "../x", "/etc/passwd"])
@pytest.mark.parametrize(
    "build",
    [b.external_initializer, b.external_in_constant, b.external_in_subgraph, b.external_sparse],
)
def test_external_data_is_refused_everywhere(
    build: Callable[[str], bytes], location: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a file of that name next to the working directory must not matter, nor be read
    monkeypatch.chdir(tmp_path)
    (tmp_path / "weights.bin").write_bytes(b"\x00" * 64)
    os.chmod(tmp_path / "weights.bin", 0)  # reading it would fail loudly (unless root)
    _refused(build(location), "external-data")


def test_size_is_checked_before_parsing() -> None:
    message = _refused(b"\x00" * 2048, "model-too-large", max_bytes=1024)
    assert "2048" in message


def test_garbage_is_not_onnx() -> None:
    _refused(b"\xff\xff\xff\xff garbage", "not-onnx")
    _refused(b"", "not-onnx")  # parses as an empty ModelProto: no graph


def test_custom_domains_are_refused() -> None:
    _refused(b.custom_domain(), "domain")
    _refused(b.custom_domain_node_only(), "domain")


def test_model_local_functions_are_refused() -> None:
    _refused(b.local_function(), "local-function")


def test_training_info_is_refused() -> None:
    model = b.detector_model()
    model.training_info.add()
    _refused(model.SerializeToString(), "training-info")


@pytest.mark.parametrize("opset", [7, 12, 99])
def test_opset_out_of_range(opset: int) -> None:
    _refused(b.with_opset(opset), "opset")


def test_ir_version_out_of_range() -> None:
    model = b.detector_model()
    model.ir_version = 3
    _refused(model.SerializeToString(), "ir-version")


def test_node_cap_counts_subgraphs() -> None:
    _refused(b.too_many_nodes(20_001), "too-many-nodes")
    # the Loop's body counts: 8 nodes in all, 6 in the main graph
    loop = b.loop_forever()
    assert len(b.model_of(loop).graph.node) == 6
    admit(loop, DETECTOR, AdmissionLimits(max_nodes=8))
    _refused(loop, "too-many-nodes", max_nodes=7)


def test_node_cap_bounds_the_time() -> None:
    data = b.too_many_nodes(19_990)
    start = time.perf_counter()
    assert admit(data, DETECTOR).node_count == 19_995
    assert time.perf_counter() - start < 5.0


def test_subgraph_depth_cap() -> None:
    model = b.detector_model()
    ok = helper.make_tensor_value_info("branch", onnx.TensorProto.FLOAT, [4])
    inner = helper.make_graph([helper.make_node("Identity", ["zero4"], ["branch"])], "i", [], [ok])
    for _ in range(3):  # If inside If inside If
        node = helper.make_node("If", ["cond"], ["branch"], then_branch=inner, else_branch=inner)
        inner = helper.make_graph([node], "i", [], [ok])
    model.graph.initializer.extend(
        [
            numpy_helper.from_array(np.zeros(4, np.float32), "zero4"),
            numpy_helper.from_array(np.array(True), "cond"),
        ]
    )
    model.graph.node.append(
        helper.make_node("If", ["cond"], ["unused"], then_branch=inner, else_branch=inner)
    )
    data = model.SerializeToString()
    admit(data, DETECTOR)
    _refused(data, "subgraph-depth", max_depth=3)


def test_initializer_bytes_cap() -> None:
    _refused(b.detector(), "initializers-too-large", max_initializer_bytes=16)


def test_constant_of_shape_40gb_is_refused() -> None:
    message = _refused(b.constant_of_shape_40gb(), "constant-too-large")
    assert "1e+10" in message


def test_computed_constant_shape_is_refused_by_inference() -> None:
    model = b.detector_model()
    model.graph.initializer.extend(
        [
            numpy_helper.from_array(np.array([100_000], np.int64), "a"),
            numpy_helper.from_array(np.array([100_000], np.int64), "c"),
        ]
    )
    model.graph.node.extend(
        [
            helper.make_node("Concat", ["a", "c"], ["shape"], axis=0),
            helper.make_node("ConstantOfShape", ["shape"], ["huge"]),
            helper.make_node("ReduceMean", ["huge"], ["huge_mean"], keepdims=0),
        ]
    )
    _refused(model.SerializeToString(), "constant-too-large")


@pytest.mark.parametrize(
    ("op", "inputs", "values"),
    [
        ("Expand", ["one_f", "shape"], [[1.0], [10**6, 10**6]]),
        ("Tile", ["one_f", "shape"], [[1.0], [10**9]]),
        ("Range", ["s", "l", "d"], [0.0, 1e12, 1.0]),
    ],
)
def test_other_constant_shape_ops(op: str, inputs: list[str], values: list[object]) -> None:
    model = b.detector_model()
    for name, value in zip(inputs, values, strict=True):
        dtype = np.float32 if isinstance(value, float) or name == "one_f" else np.int64
        model.graph.initializer.append(numpy_helper.from_array(np.array(value, dtype), name))
    model.graph.node.append(helper.make_node(op, inputs, ["big"]))
    _refused(model.SerializeToString(), "constant-too-large")


def test_loop_of_10_to_the_12_is_admitted_for_the_sandbox() -> None:
    # the gate cannot tell a long loop from a short one without running it: contained later
    assert admit(b.loop_forever(), DETECTOR).node_count == 8


def test_checker_refusals() -> None:
    model = b.detector_model()
    model.graph.node.append(helper.make_node("NoSuchOp", ["mean1"], ["x"]))
    _refused(model.SerializeToString(), "checker")
    model = b.detector_model()
    model.graph.node[1].input[0] = "undefined"
    _refused(model.SerializeToString(), "checker")


def test_shape_inference_refusal() -> None:
    model = b.detector_model()  # Reshape of a scalar to [2]: impossible, strict inference says so
    model.graph.initializer.remove(next(t for t in model.graph.initializer if t.name == "one"))
    model.graph.initializer.append(numpy_helper.from_array(np.array([2], np.int64), "one"))
    rule = "shape-inference"
    with pytest.raises(AdmissionRefused) as caught:
        admit(model.SerializeToString(), DETECTOR)
    assert caught.value.rule in (rule, "checker")  # full_check runs inference too


def test_outputs_must_match_the_card() -> None:
    _refused(b.renamed_output("scores", "score"), "output-mismatch")
    model = b.detector_model()
    model.graph.output[2].type.tensor_type.elem_type = onnx.TensorProto.INT32
    model.graph.node[4].op_type = "Cast"
    model.graph.node[4].attribute.append(helper.make_attribute("to", onnx.TensorProto.INT32))
    _refused(model.SerializeToString(), "output-mismatch")
    # a card asking for more outputs than the graph has
    _refused(b.classifier(), "output-mismatch")


def test_fixed_dims_must_agree() -> None:
    fields = b.card_for("object-detection")
    for out in fields["mlm:output"]:
        out["result"]["shape"][0] = 2  # the graph says 1
    _refused(b.detector(), "output-mismatch", parse_card(fields))


def test_input_must_match_the_card() -> None:
    fields = b.card_for("object-detection")
    fields["mlm:input"][0]["name"] = "pixels"
    _refused(b.detector(), "input-mismatch", parse_card(fields))
    fields = b.card_for("object-detection")
    fields["mlm:input"][0]["input"]["shape"] = [1, 2, 64, 64]
    _refused(b.detector(), "input-mismatch", parse_card(fields))
    model = b.detector_model()  # an initializer listed as a second, overridable input
    model.graph.input.append(helper.make_tensor_value_info("box", onnx.TensorProto.FLOAT, [1, 4]))
    _refused(model.SerializeToString(), "input-mismatch")


def test_every_rule_is_documented() -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "enclave.md").read_text()
    for rule in RULES:
        assert f"`{rule}`" in doc
