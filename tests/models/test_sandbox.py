"""The sandbox with real child processes and real onnxruntime: normal models give the same
outputs as in-process onnxruntime; hostile ones end with their outcome class, and the next
sandbox still works."""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest

import models.sandbox as sandbox
from models.outcomes import Outcome
from models.sandbox import Sandbox, SandboxFailure, SandboxLimits, TensorSpec, outcome_of_exit
from tests.models import sandbox_models

SCORES = [TensorSpec("scores", "float32", (1, 4), 4)]
SCORE = [TensorSpec("score", "float32", (1,), 1)]
DETECTION = [
    TensorSpec("boxes", "float32", (None, 4), 4000),
    TensorSpec("scores", "float32", (None,), 1000),
    TensorSpec("labels", "int64", (None,), 1000),
]
FAKE = Path(__file__).with_name("fake_child.py")


def _images(count: int, side: int = 8) -> list[np.ndarray]:
    rng = np.random.default_rng(7)
    return [rng.random((1, 3, side, side), dtype=np.float32) for _ in range(count)]


def _ones() -> np.ndarray:
    return np.ones((1, 3, 8, 8), np.float32)


def _outcome(model: bytes, outputs: list[TensorSpec], limits: SandboxLimits) -> Outcome:
    with pytest.raises(SandboxFailure) as caught, Sandbox(model, "image", outputs, limits) as box:
        box.run(_ones())
    assert str(caught.value) == caught.value.outcome.value  # the message is the outcome only
    return caught.value.outcome


def _still_serves() -> None:
    with Sandbox(sandbox_models.conv_model(), "image", SCORES) as box:
        assert box.run(_ones())["scores"].shape == (1, 4)


def test_outputs_equal_in_process_onnxruntime() -> None:
    model = sandbox_models.conv_model()
    session = ort.InferenceSession(model, providers=["CPUExecutionProvider"])
    images = _images(5)
    expected = [session.run(None, {"image": image})[0] for image in images]
    with Sandbox(model, "image", SCORES) as box:
        single = box.run(images[0])
        mapped = list(box.map(images))
    np.testing.assert_allclose(single["scores"], expected[0], rtol=1e-6)
    assert len(mapped) == 5
    for got, want in zip(mapped, expected, strict=True):
        assert set(got) == {"scores"}
        np.testing.assert_allclose(got["scores"], want, rtol=1e-6)
    assert expected[0].tolist() != expected[1].tolist()  # the images do differ


def test_close_removes_the_working_directory_and_the_child() -> None:
    box = Sandbox(sandbox_models.conv_model(), "image", SCORES)
    workdir = box._workdir
    assert os.path.isdir(workdir) and os.listdir(workdir) == []
    box.close()
    assert not os.path.exists(workdir)
    with pytest.raises(ProcessLookupError):
        os.kill(box.pid, 0)


def test_forty_gigabytes_from_a_dynamic_shape_is_out_of_memory() -> None:
    limits = SandboxLimits(memory_bytes=1 << 30)
    assert (
        _outcome(sandbox_models.huge_constant_model(), SCORE, limits) == Outcome.RAN_OUT_OF_MEMORY
    )
    _still_serves()


def test_a_loop_of_a_trillion_iterations_runs_out_of_cpu_time() -> None:
    limits = SandboxLimits(cpu_seconds=1, wall_seconds=60)
    assert _outcome(sandbox_models.endless_loop_model(), SCORE, limits) == Outcome.RAN_OUT_OF_TIME
    _still_serves()


def test_the_wall_deadline_kills_the_child() -> None:
    limits = SandboxLimits(cpu_seconds=100, wall_seconds=1.5)
    assert _outcome(sandbox_models.endless_loop_model(), SCORE, limits) == Outcome.RAN_OUT_OF_TIME


def test_an_output_far_larger_than_declared_is_refused_unread() -> None:
    model = sandbox_models.many_boxes_model(1e7)  # 160 MB of boxes against N <= 1000
    with Sandbox(model, "image", DETECTION) as box:
        with pytest.raises(SandboxFailure) as caught:
            box.run(_ones())
        assert box.bytes_received < 4096  # the headers only, never the payload
    assert caught.value.outcome == Outcome.WRONG_OUTPUT
    _still_serves()


def test_declared_detection_outputs_pass() -> None:
    model = sandbox_models.many_boxes_model(10)
    with Sandbox(model, "image", DETECTION) as box:
        out = box.run(_ones())
    assert out["boxes"].shape == (10, 4) and out["labels"].dtype == np.int64
    assert np.all(out["scores"] == np.float32(0.9))


def test_total_output_bytes_over_the_limit_is_wrong_output() -> None:
    limits = SandboxLimits(max_output_bytes=100)  # 1000 boxes are 16 kB
    model = sandbox_models.many_boxes_model(1000)
    assert _outcome(model, DETECTION, limits) == Outcome.WRONG_OUTPUT


@pytest.mark.parametrize(
    ("output", "dtype"),
    [("other", sandbox_models.TensorProto.FLOAT), ("score", sandbox_models.TensorProto.INT64)],
)
def test_a_wrong_output_name_or_dtype_is_wrong_output(output: str, dtype: int) -> None:
    model = sandbox_models.mean_model(output, dtype)
    assert _outcome(model, SCORE, SandboxLimits()) == Outcome.WRONG_OUTPUT


def test_a_child_killed_mid_run_is_internal() -> None:
    limits = SandboxLimits(cpu_seconds=100, wall_seconds=100)
    with Sandbox(sandbox_models.endless_loop_model(), "image", SCORE, limits) as box:
        threading.Timer(0.5, os.kill, (box.pid, signal.SIGKILL)).start()
        with pytest.raises(SandboxFailure) as caught:
            box.run(_ones())
        assert caught.value.outcome == Outcome.INTERNAL
        with pytest.raises(SandboxFailure):  # a failed sandbox stays failed
            box.run(_ones())


def test_external_data_finds_no_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    model = sandbox_models.external_data_model("weights.bin")
    (tmp_path / "weights.bin").write_bytes(np.float32(2.0).tobytes())
    (tmp_path / "model.onnx").write_bytes(model)
    # the control: loaded from a path, onnxruntime reads the file beside it
    session = ort.InferenceSession(tmp_path / "model.onnx", providers=["CPUExecutionProvider"])
    assert session.run(None, {"image": _ones()})[0].tolist() == [3.0]
    monkeypatch.chdir(tmp_path)  # from bytes, onnxruntime 1.32 refuses even with the file here
    with pytest.raises(Exception, match="model_path must not be empty"):
        ort.InferenceSession(model, providers=["CPUExecutionProvider"])
    assert _outcome(model, SCORE, SandboxLimits()) == Outcome.INTERNAL


def test_map_keeps_order_and_hands_back_the_callers_error() -> None:
    def images() -> Iterator[np.ndarray]:
        yield from _images(3)
        raise ValueError("the caller's own failure")

    with Sandbox(sandbox_models.conv_model(), "image", SCORES) as box:
        stream = box.map(images())
        got = [next(stream) for _ in range(3)]
        with pytest.raises(ValueError, match="caller's own"):
            next(stream)
        assert len(got) == 3
        assert box.run(_ones())["scores"].shape == (1, 4)  # still in step with its child


def test_stopping_a_map_early_spends_the_sandbox() -> None:
    with Sandbox(sandbox_models.conv_model(), "image", SCORES) as box:
        stream = box.map(_images(50))
        next(stream)
        stream.close()
        with pytest.raises(SandboxFailure):
            box.run(_ones())


@pytest.mark.parametrize(
    ("mode", "outcome"),
    [
        ("garbage", Outcome.INTERNAL),
        ("no-ready", Outcome.INTERNAL),
        ("truncated", Outcome.INTERNAL),
        ("bad-dtype-code", Outcome.INTERNAL),
        ("rank-too-high", Outcome.INTERNAL),
        ("too-many", Outcome.INTERNAL),
        ("huge-dim", Outcome.INTERNAL),
        ("unknown-error", Outcome.INTERNAL),
        ("wrong-name", Outcome.WRONG_OUTPUT),
        ("endless", Outcome.WRONG_OUTPUT),
    ],
)
def test_a_fake_childs_frames_never_crash_the_parent(
    mode: str, outcome: Outcome, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sandbox, "CHILD_COMMAND", (sys.executable, "-I", str(FAKE), mode))
    box = None
    with pytest.raises(SandboxFailure) as caught:
        box = _fake_run()
    assert caught.value.outcome == outcome
    assert _LAST[0] <= 4096 + 16  # bounded: never the endless stream
    assert box is None


_LAST = [0]  # bytes the last fake-child sandbox received


def _fake_run() -> Sandbox:
    with Sandbox(b"x", "image", SCORE, SandboxLimits(wall_seconds=20)) as box:
        try:
            box.run(_ones())
        finally:
            _LAST[0] = box.bytes_received
    return box


def test_exit_codes_map_to_outcomes() -> None:
    assert outcome_of_exit(-signal.SIGXCPU, expired=False) == Outcome.RAN_OUT_OF_TIME
    assert outcome_of_exit(-signal.SIGKILL, expired=True) == Outcome.RAN_OUT_OF_TIME
    assert outcome_of_exit(-signal.SIGKILL, expired=False) == Outcome.INTERNAL
    assert outcome_of_exit(0, expired=False) == Outcome.INTERNAL


def test_limits_are_checked() -> None:
    with pytest.raises(ValueError, match="positive"):
        SandboxLimits(memory_bytes=0)
    with pytest.raises(ValueError, match="threads"):
        SandboxLimits(threads=0)


def test_zero_detections_pass() -> None:
    with Sandbox(sandbox_models.many_boxes_model(0), "image", DETECTION) as box:
        out = box.run(_ones())
    assert out["boxes"].shape == (0, 4) and out["labels"].shape == (0,)
