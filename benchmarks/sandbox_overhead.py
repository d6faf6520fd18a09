#!/usr/bin/env python
"""Sandbox overhead per image: ``models.sandbox.Sandbox.map`` against in-process
``InferenceSession.run`` on the same tensors, one onnxruntime thread on both sides.

The model is a small conv net built here (3->16->16 channels, 3x3 convs, ReLU, global mean) on a
float32 input of 3 x SIDE x SIDE. Reported: median seconds per image over ``--runs`` runs of
``--n`` images, each way, the difference (the sandbox's cost per image: a 0.75 MB frame each way
through two pipes, parsing, checks), and the sandbox's start-up (spawn, confine, import
onnxruntime, build the session).

Usage: python benchmarks/sandbox_overhead.py [--side 256] [--n 50] [--runs 5]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

from models.sandbox import Sandbox, SandboxLimits, TensorSpec


def _model(side: int) -> bytes:
    rng = np.random.default_rng(0)
    w1 = rng.normal(size=(16, 3, 3, 3)).astype(np.float32)
    w2 = rng.normal(size=(16, 16, 3, 3)).astype(np.float32)
    nodes = [
        helper.make_node("Conv", ["image", "w1"], ["c1"], pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c1"], ["r1"]),
        helper.make_node("Conv", ["r1", "w2"], ["c2"], pads=[1, 1, 1, 1]),
        helper.make_node("GlobalAveragePool", ["c2"], ["p"]),
        helper.make_node("Flatten", ["p"], ["scores"]),
    ]
    graph = helper.make_graph(
        nodes,
        "bench",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, [1, 3, side, side])],
        [helper.make_tensor_value_info("scores", TensorProto.FLOAT, [1, 16])],
        initializer=[numpy_helper.from_array(w1, "w1"), numpy_helper.from_array(w2, "w2")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    return model.SerializeToString()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--side", type=int, default=256)
    parser.add_argument("--n", type=int, default=50)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    model = _model(args.side)
    rng = np.random.default_rng(1)
    images = [rng.random((1, 3, args.side, args.side), dtype=np.float32) for _ in range(args.n)]
    options = ort.SessionOptions()
    options.intra_op_num_threads = options.inter_op_num_threads = 1
    session = ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])
    spec = [TensorSpec("scores", "float32", (1, 16), 16)]
    inproc, boxed, startup = [], [], []
    for _ in range(args.runs):
        start = time.perf_counter()
        for image in images:
            session.run(None, {"image": image})
        inproc.append((time.perf_counter() - start) / args.n)
        start = time.perf_counter()
        with Sandbox(model, "image", spec, SandboxLimits(threads=1)) as box:
            startup.append(time.perf_counter() - start)
            start = time.perf_counter()
            for _out in box.map(images):
                pass
            boxed.append((time.perf_counter() - start) / args.n)
    ms = {
        k: 1000 * statistics.median(v)
        for k, v in (("in-process", inproc), ("sandbox", boxed), ("start-up", startup))
    }
    print(f"input 1x3x{args.side}x{args.side} float32, {args.n} images x {args.runs} runs")
    print(f"in-process session.run : {ms['in-process']:.2f} ms/image (median)")
    print(f"Sandbox.map            : {ms['sandbox']:.2f} ms/image (median)")
    print(f"overhead               : {ms['sandbox'] - ms['in-process']:.2f} ms/image")
    print(f"sandbox start-up       : {ms['start-up']:.0f} ms (spawn, confine, session)")


if __name__ == "__main__":
    main()
