"""The real pipeline end to end: a published enclave-only holding, an evaluate grant, registered
models, a worker running jobs through ``clearance.enclave.enclave_runner`` (decrypt in memory,
preprocess, sandbox, metrics, release control) and receipts signed at release.

Also: hostile models that pass the gate are contained with their outcome class, and the worker
goes on serving the next job; a model whose outputs copy the input pixels releases nothing but
aggregates.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pytest

from access import Conditions, Level, Mode, NewRequest, Principal, PurposeCode, Role
from catalog.synth import generate_holding
from clearance.enclave import enclave_runner
from clearance.node import Node, open_node
from clearance.publishing.folder import publish_folder
from clearance.settings import EnclaveSettings, Settings
from models import Worker, verify_receipt
from models.demo_models import DemoModel, build_random_baseline
from models.evaluation import NewEvaluation, Split
from tests.models import onnx_builders

HOLDING = "GBR-post-enclave"
NOW = datetime(2026, 12, 6, tzinfo=UTC)
SPEC = {"metrics": ["map50", "map50_95", "hit_rate_far5"], "bootstrap_samples": 50}


@dataclass
class World:
    node: Node
    researcher: Principal
    grant: str

    def submit_model(self, data: bytes, card: dict[str, Any]) -> str:
        return self.node.models.submit(self.researcher, data, card, NOW).id

    def evaluate(self, model_id: str, spec: dict[str, Any] | None = None) -> str:
        new = NewEvaluation(model_id, HOLDING, Split.ALL, dict(spec or SPEC), self.grant)
        return self.node.evaluations.submit(self.researcher, new).id

    def run_next(self) -> dict[str, Any]:
        worker = Worker(self.node.jobs, enclave_runner(self.node), self.node.clock, "test-worker")
        assert worker.run_once()
        return self.state()

    def state(self) -> dict[str, Any]:
        rows = self.node.evaluations.mine(self.researcher)
        return max(rows, key=lambda e: e["created"])  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    root = tmp_path_factory.mktemp("enclave")
    settings = Settings(
        data_dir=root / "data", database_url=f"sqlite:///{root}/db.sqlite",
        enclave=EnclaveSettings(memory_mib=2048, cpu_seconds=20, wall_seconds=40),
    )  # fmt: skip
    node = open_node(settings)
    for code in ("GBR", "NLD"):
        node.directory.add_administration(code, code)
    node.directory.add_user("nld-r", admin="NLD", roles=[Role.RESEARCHER], clearance=Level.R2)
    node.directory.add_user("gbr-s", admin="GBR", roles=[Role.STEWARD], clearance=Level.R3)
    generate_holding(root / "h", kind="parcel", count=20, seed=7, admin="GBR")  # not training's
    publish_folder(
        node, root / "h", admin="GBR", holding_id=HOLDING, title="t", description="d",
        level="R2", marking="OFFICIAL-SENSITIVE", rel_to="NLD", handling="enclave-only",
        discovery="partners",
    )  # fmt: skip
    researcher = node.directory.user("nld-r").principal()
    steward = node.directory.user("gbr-s").principal()
    new = NewRequest(HOLDING, "score", PurposeCode.MODEL_EVALUATION, Mode.EVALUATION, 30)
    asked = node.requests.create(researcher, new)
    approved = node.requests.approve(steward, asked.id, Conditions(), "ok")
    assert approved.grant is not None
    yield World(node, researcher, approved.grant)
    node.engine.dispose()


@pytest.fixture(scope="module")
def demo_ids(world: World, demo_detector: DemoModel) -> dict[str, str]:
    detector = demo_detector  # train_on_synthetic(), once per session (tests/models/conftest)
    baseline = build_random_baseline(detector.card)
    return {
        "detector": world.submit_model(detector.onnx, detector.card),
        "baseline": world.submit_model(baseline.onnx, baseline.card),
    }


def _value(evaluation: dict[str, Any], name: str) -> float:
    value = evaluation["released"]["values"][name]["value"]
    assert isinstance(value, float)
    return value


@pytest.fixture(scope="module")
def scored(world: World, demo_ids: dict[str, str]) -> dict[str, dict[str, Any]]:
    """The demo detector and the random baseline, each evaluated once (whichever test of this
    module asks first runs them: no test depends on another having run)."""
    out = {}
    for name in ("detector", "baseline"):
        world.evaluate(demo_ids[name])
        out[name] = world.run_next()
    return out


def test_the_demo_detector_is_scored_released_and_signed(
    world: World, scored: dict[str, dict[str, Any]]
) -> None:
    detector, baseline = scored["detector"], scored["baseline"]
    assert detector["state"] == "released", detector
    assert baseline["state"] == "released", baseline
    # the demo detector beats the random baseline clearly, on data it never saw
    assert _value(detector, "map50") >= 0.05
    assert _value(detector, "map50") >= 5 * _value(baseline, "map50") + 0.02
    print(f"demo detector map50 {_value(detector, 'map50')}, baseline {_value(baseline, 'map50')}")
    # values are on the release grid
    for name, entry in detector["released"]["values"].items():
        if entry["value"] is not None:
            assert round(entry["value"] / 0.01, 6) == round(entry["value"] / 0.01), name
    receipt = world.node.evaluations.receipt(world.researcher, detector["id"])
    verified = verify_receipt(json.dumps(receipt).encode(), world.node.directory.jwks("GBR"))
    assert verified.issuer == "GBR"
    assert verified.predicate["released"] == detector["released"]
    assert verified.predicate["budget"]["spent"] >= 1
    assert verified.predicate["dataset_manifest_sha256"] == world.node.manifests.sha256(HOLDING, 1)


def test_a_receipt_with_one_changed_value_fails_verification(
    world: World, scored: dict[str, dict[str, Any]]
) -> None:
    import base64

    from models import ReceiptInvalid

    assert scored["detector"]["state"] == "released", scored["detector"]
    receipt = world.node.evaluations.receipt(world.researcher, scored["detector"]["id"])
    verify_receipt(json.dumps(receipt).encode(), world.node.directory.jwks("GBR"))  # as issued
    statement = json.loads(base64.b64decode(receipt["payload"]))
    statement["predicate"]["released"]["values"]["map50"]["value"] += 0.01
    forged = {**receipt, "payload": base64.b64encode(json.dumps(statement).encode()).decode()}
    with pytest.raises(ReceiptInvalid):
        verify_receipt(json.dumps(forged).encode(), world.node.directory.jwks("GBR"))


def _pixel_copier() -> bytes:
    """A "detector" whose outputs are the input's pixels: every value of the 2x32x32 input is
    a box coordinate, the first 512 are also the scores."""
    from onnx import TensorProto, helper, numpy_helper

    nodes = [
        helper.make_node("Reshape", ["image", "as_boxes"], ["boxes"]),
        helper.make_node("Reshape", ["image", "flat"], ["pixels"]),
        helper.make_node("Slice", ["pixels", "zero", "n"], ["scores"]),
        helper.make_node("Identity", ["zeros"], ["labels"]),
    ]
    inits = [
        numpy_helper.from_array(np.array([512, 4], np.int64), "as_boxes"),
        numpy_helper.from_array(np.array([2048], np.int64), "flat"),
        numpy_helper.from_array(np.array([0], np.int64), "zero"),
        numpy_helper.from_array(np.array([512], np.int64), "n"),
        numpy_helper.from_array(np.zeros(512, np.int64), "zeros"),
    ]
    image = helper.make_tensor_value_info("image", TensorProto.FLOAT, [1, 2, 32, 32])
    outputs = [
        helper.make_tensor_value_info("boxes", TensorProto.FLOAT, [512, 4]),
        helper.make_tensor_value_info("scores", TensorProto.FLOAT, [512]),
        helper.make_tensor_value_info("labels", TensorProto.INT64, [512]),
    ]
    graph = helper.make_graph(nodes, "copier", [image], outputs, initializer=inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)], ir_version=8)
    return bytes(model.SerializeToString())


def test_a_model_copying_its_input_releases_only_aggregates(world: World) -> None:
    """Its outputs hold every pixel; what leaves is the spec's metric names with values on the
    grid, the suppression list and counts under the disclosure rule: nothing per image."""
    card = {**onnx_builders.card_for("object-detection"), "mlm:name": "pixel copier"}
    model_id = world.submit_model(_pixel_copier(), card)
    world.evaluate(model_id, {"metrics": ["map50", "ap50_per_class"], "bootstrap_samples": 0})
    done = world.run_next()
    assert done["state"] == "released", done
    released = done["released"]
    assert set(released) == {"values", "suppressed", "counts", "grid"}
    assert set(released["values"]) <= {"map50", "ap50:9302", "ap50:300490"}
    for entry in released["values"].values():
        assert set(entry) == {"value", "low", "high"}
        assert entry["value"] is None or isinstance(entry["value"], float)
    assert len(json.dumps(released)) < 1000  # 2,048 pixels a scan could not fit


def test_hostile_models_are_contained_and_the_worker_goes_on(
    world: World, demo_ids: dict[str, str]
) -> None:
    loop = onnx_builders.loop_forever()
    card = onnx_builders.card_for("object-detection")
    looping = world.submit_model(loop, {**card, "mlm:name": "loop"})
    world.evaluate(looping, {"metrics": ["map50"], "bootstrap_samples": 0})
    assert world.run_next()["outcome"] == "ran-out-of-time"
    world.evaluate(demo_ids["baseline"], {"metrics": ["map50"], "bootstrap_samples": 0})
    assert world.run_next()["state"] == "released"  # the next job is served


def test_a_pinned_model_that_changed_is_an_internal_failure(world: World) -> None:
    from models.enclave_runner import EnclaveRunner

    runner = enclave_runner(world.node)
    assert isinstance(runner, EnclaveRunner)
    model_id = world.submit_model(
        onnx_builders.classifier(), onnx_builders.card_for("classification")
    )
    world.evaluate(model_id, {"metrics": ["roc_auc"], "bootstrap_samples": 0})
    claim = world.node.jobs.claim("w-pinned")
    assert claim is not None
    tampered = replace(claim.job, model_sha256="0" * 64)
    assert runner.run(tampered).outcome.value == "internal"  # type: ignore[union-attr]
    world.node.jobs.finish(claim, runner.run(claim.job))
    assert world.state()["state"] in ("released", "failed")


def test_nothing_of_the_run_is_written_to_the_data_folder(world: World) -> None:
    """Plaintext never reaches disk: outside the key files, nothing in the data folder is an
    image or a COCO document (blobs are Crypt4GH, the database holds no pixels)."""
    data = world.node.settings.data_dir
    files = [p for p in data.rglob("*") if p.is_file() and "keys" not in p.relative_to(data).parts]
    assert files, "the node stored nothing at all?"
    for path in files:
        head = path.read_bytes()[:8]
        assert not head.startswith((b"II*\x00", b"MM\x00*", b"\x89PNG")), path
        assert b'"annotations"' not in path.read_bytes(), path


def test_only_the_items_the_grant_covers_are_read(world: World) -> None:
    """A steward's item filter fixes the approved items: the runner decrypts no other scan."""
    from models.enclave_runner import EnclaveRunner

    runner = enclave_runner(world.node)
    assert isinstance(runner, EnclaveRunner)
    approved = world.node.grants.granted_items(world.grant)
    assert approved is not None and len(approved) > 4
    covered = sorted(approved)[:4]
    read: list[str] = []

    def spy(entry: Any) -> bytes:
        read.append(entry.item)
        return world.node.objects.read_verified(entry)

    narrowed = replace(runner, granted_items=lambda jti: covered, read=spy)
    card = {**onnx_builders.card_for("classification"), "mlm:name": "classifier two"}
    model_id = world.submit_model(onnx_builders.classifier(), card)
    world.evaluate(model_id, {"metrics": ["roc_auc"], "bootstrap_samples": 0})
    claim = world.node.jobs.claim("w-items")
    assert claim is not None
    narrowed.run(claim.job)
    assert read and set(read) <= set(covered)
    world.node.jobs.finish(claim, runner.run(claim.job))
