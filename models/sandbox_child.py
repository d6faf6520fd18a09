"""The sandbox child: ``python -I -m models.sandbox_child --memory B --cpu S --threads N
--isolation strict|relaxed``, started only by ``models.sandbox``.

It confines itself (``models.confine``), reads one model frame from stdin, builds an onnxruntime
session from the bytes, answers ``R``, then for each tensor frame on stdin writes the outputs as a
tensor frame on stdout, until stdin ends. Any failure is one ``E`` frame with a coarse code, then
exit: no text, no traceback leaves this process (stderr is the parent's /dev/null).
"""

from __future__ import annotations

import argparse
import io
import os
import sys
from collections.abc import Sequence
from typing import Any, Final

import numpy as np

from models import frames
from models.confine import confine
from models.errors import ConfinementError, FrameError

MAX_MODEL_BYTES: Final = 1 << 31  # the gate caps far lower; this only bounds the read
_OOM_MARKERS: Final = ("bad_alloc", "Failed to allocate", "allocate memory")


def _arguments(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="models.sandbox_child")
    parser.add_argument("--memory", type=int, required=True)
    parser.add_argument("--cpu", type=int, required=True)
    parser.add_argument("--threads", type=int, required=True)
    parser.add_argument("--isolation", choices=("strict", "relaxed"), required=True)
    return parser.parse_args(argv)


def _import_runtime() -> Any:
    import onnxruntime

    return onnxruntime


def _session(ort: Any, model: bytes, threads: int) -> Any:
    options = ort.SessionOptions()
    options.enable_profiling = False
    options.optimized_model_filepath = ""  # never write the optimised graph anywhere
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.log_severity_level = 4  # fatal only; stderr goes nowhere anyway
    options.add_session_config_entry("session.load_model_format", "ONNX")  # no ORT format
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])


def _failure(exc: BaseException, default: frames.ChildError) -> frames.ChildError:
    """The coarse code of an exception; its text is read here and goes no further."""
    if isinstance(exc, MemoryError) or any(m in str(exc) for m in _OOM_MARKERS):
        return frames.ChildError.OUT_OF_MEMORY
    return default


def _write(sink: io.BufferedWriter[io.FileIO], parts: Sequence[bytes | memoryview]) -> None:
    for part in parts:
        sink.write(part)
    sink.flush()


def _outputs(names: Sequence[str], values: Sequence[object]) -> dict[str, Any]:
    if not all(isinstance(v, np.ndarray) and v.dtype.name in _WIRE for v in values):
        raise TypeError("an output that is not a tensor of a wire dtype")
    return dict(zip(names, values, strict=True))


_WIRE: Final = frozenset(frames.DTYPES.values())


def _serve(
    session: Any, source: io.BufferedReader[io.FileIO], sink: io.BufferedWriter[io.FileIO]
) -> int:
    names = [o.name for o in session.get_outputs()]
    while kind := frames.read_kind(source):
        if kind != b"T":
            raise FrameError("unexpected frame kind")
        feed = frames.read_payloads(source, frames.read_tensor_headers(source))
        try:
            values = session.run(None, feed)
        except Exception as exc:  # the graph failed: say how coarsely, then stop
            _write(sink, [frames.encode_error(_failure(exc, frames.ChildError.RUN))])
            return 1
        try:
            encoded = frames.encode_tensors(_outputs(names, values))
        except (TypeError, FrameError):
            _write(sink, [frames.encode_error(frames.ChildError.OUTPUT)])
            return 1
        _write(sink, encoded)
    return 0


def _run(
    args: argparse.Namespace,
    ort: Any,
    source: io.BufferedReader[io.FileIO],
    sink: io.BufferedWriter[io.FileIO],
) -> int:
    if frames.read_kind(source) != b"M":
        raise FrameError("the first frame is not the model")
    model = frames.read_model(source, MAX_MODEL_BYTES)
    try:
        session = _session(ort, model, args.threads)
    except Exception as exc:
        _write(sink, [frames.encode_error(_failure(exc, frames.ChildError.SESSION))])
        return 1
    del model
    _write(sink, [frames.MAGIC + b"R"])
    return _serve(session, source, sink)


def main(argv: Sequence[str]) -> int:
    args = _arguments(argv)
    try:
        ort, _ = confine(
            args.memory, args.cpu, strict=args.isolation == "strict", preload=_import_runtime
        )
    except ConfinementError:
        os.write(1, frames.encode_error(frames.ChildError.CONFINE))
        return 1
    # Frames go out on a private copy of stdout; fd 1 becomes stderr, so anything a library
    # prints cannot corrupt them.
    sink = io.BufferedWriter(io.FileIO(os.dup(1), "w"))
    os.dup2(2, 1)
    source = io.BufferedReader(io.FileIO(0, "r"))
    try:
        return _run(args, ort, source, sink)
    except FrameError:
        _write(sink, [frames.encode_error(frames.ChildError.INPUT)])
        return 1
    except MemoryError:
        _write(sink, [frames.encode_error(frames.ChildError.OUT_OF_MEMORY)])
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
