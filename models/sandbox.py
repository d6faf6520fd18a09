"""The sandbox, parent side: one throw-away child process per job runs a model's inference.

The child (``models.sandbox_child``) confines itself before it reads the model: limits on
address space, CPU time, file size, descriptors and core dumps, no new privileges, its own
network namespace, ``nobody`` instead of root (``models.confine``). The parent gives it an empty
working directory it cannot write to, an environment of ``PATH`` and thread counts only, no
descriptors but its pipes, and a wall-clock deadline after which it is killed. The model goes
over the pipe as bytes, then one tensor frame per image; each answer is checked against the
declared outputs before its payload is read (``models.frames``). A job that ends without results
raises ``SandboxFailure`` carrying one ``Outcome``: nothing the child wrote reaches the caller
except validated tensors. See ``docs/enclave.md`` ("Sandbox").
"""

from __future__ import annotations

import os
import queue
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import IO, Final, Literal, NoReturn

import numpy as np
from numpy.typing import NDArray

from models import frames
from models.errors import FrameError, OutputMismatchError, SandboxFailure
from models.frames import ChildError, TensorSpec
from models.outcomes import Outcome

__all__ = [
    "CHILD_COMMAND",
    "Isolation",
    "Sandbox",
    "SandboxFailure",
    "SandboxLimits",
    "TensorSpec",
    "child_environment",
    "make_workdir",
    "outcome_of_exit",
    "remove_workdir",
    "start_child",
]

GiB: Final = 1 << 30
MiB: Final = 1 << 20
Isolation = Literal["strict", "relaxed"]
Tensors = dict[str, NDArray[np.generic]]

#: How the child starts: isolated mode (no user site, no PYTHON* variables, no cwd on the path).
CHILD_COMMAND: tuple[str, ...] = (sys.executable, "-I", "-m", "models.sandbox_child")

#: What a child's error frame means for the submitter. A session onnxruntime will not build from
#: a model the gate passed is the node's gap, not a wrong output: INTERNAL. A graph that fails
#: on an input of its declared shape did not produce its declared outputs: WRONG_OUTPUT.
CHILD_OUTCOMES: Final[Mapping[ChildError, Outcome]] = {
    ChildError.OUT_OF_MEMORY: Outcome.RAN_OUT_OF_MEMORY,
    ChildError.SESSION: Outcome.INTERNAL,
    ChildError.RUN: Outcome.WRONG_OUTPUT,
    ChildError.OUTPUT: Outcome.WRONG_OUTPUT,
    ChildError.CONFINE: Outcome.INTERNAL,
    ChildError.INPUT: Outcome.INTERNAL,
}
_GRACE_SECONDS: Final = 2.0  # how long a child that closed its pipe gets to be reaped
_END: Final = object()  # the writer's last token: every input sent


@dataclass(frozen=True)
class SandboxLimits:
    memory_bytes: int = 2 * GiB  # RLIMIT_AS of the child
    cpu_seconds: int = 120  # RLIMIT_CPU (SIGXCPU, then SIGKILL a second later)
    wall_seconds: float = 300.0  # the whole job; the parent kills the child after it
    threads: int = 1  # onnxruntime intra-op threads (one fixed pool)
    max_output_bytes: int = 64 * MiB  # per image, all outputs together

    def __post_init__(self) -> None:
        numbers = (self.memory_bytes, self.cpu_seconds, self.wall_seconds, self.max_output_bytes)
        if min(numbers) <= 0 or not 1 <= self.threads <= 64:
            raise ValueError("sandbox limits must be positive, threads between 1 and 64")


def child_environment(threads: int) -> dict[str, str]:
    """The child's whole environment: nothing of the parent's (no CLEARANCE_* secrets)."""
    count = str(threads)
    return {
        "PATH": "/usr/bin:/bin",
        "OMP_NUM_THREADS": count,
        "MKL_NUM_THREADS": count,
        "OPENBLAS_NUM_THREADS": count,
    }


def make_workdir() -> str:
    """A fresh empty folder the child cannot write to: root's 0500 folder is closed to
    ``nobody`` altogether; a non-root child may read and enter it, not add to it."""
    path = tempfile.mkdtemp(prefix="clearance-sandbox-")
    os.chmod(path, 0o500)
    return path


def remove_workdir(path: str) -> None:
    os.chmod(path, 0o700)
    shutil.rmtree(path, ignore_errors=True)


def start_child(
    command: Sequence[str], limits: SandboxLimits, isolation: Isolation, workdir: str
) -> subprocess.Popen[bytes]:
    """Start a child as the sandbox does: pipes on stdin/stdout, stderr discarded, no other
    descriptor, minimal environment, ``workdir`` as its working directory."""
    argv = [
        *command,
        *("--memory", str(limits.memory_bytes), "--cpu", str(limits.cpu_seconds)),
        *("--threads", str(limits.threads), "--isolation", isolation),
    ]
    return subprocess.Popen(
        argv,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        cwd=workdir,
        env=child_environment(limits.threads),
        close_fds=True,
        start_new_session=True,
    )


def outcome_of_exit(returncode: int, *, expired: bool) -> Outcome:
    """A child that ended without an error frame: out of time if the parent's deadline killed
    it or RLIMIT_CPU did (SIGXCPU); anything else is unclassified."""
    if expired or returncode == -signal.SIGXCPU:
        return Outcome.RAN_OUT_OF_TIME
    return Outcome.INTERNAL


def _check_specs(input_name: str, outputs: Sequence[TensorSpec]) -> None:
    names = [spec.name for spec in outputs]
    wire = set(frames.DTYPES.values())
    if not input_name or not 0 < len(outputs) <= frames.MAX_TENSORS or len(set(names)) < len(names):
        raise ValueError("a sandbox needs an input name and 1-16 uniquely named outputs")
    for spec in outputs:
        if spec.dtype not in wire or len(spec.shape) > frames.MAX_RANK or spec.max_elements < 0:
            raise ValueError(f"output {spec.name!r}: unsupported dtype, rank or element cap")


class _Counted:
    """The child's stdout, counting the bytes the parent actually read."""

    def __init__(self, stream: IO[bytes]) -> None:
        self._stream = stream
        self.count = 0

    def readinto(self, buffer: memoryview, /) -> int | None:
        got = self._stream.readinto(buffer)  # type: ignore[attr-defined]
        self.count += got or 0
        return int(got) if got is not None else None


class Sandbox:
    """One child for one job: ``run`` one image or ``map`` many (pipelined), then ``close``."""

    def __init__(
        self,
        model: bytes,
        input_name: str,
        outputs: Sequence[TensorSpec],
        limits: SandboxLimits = SandboxLimits(),
        *,
        isolation: Isolation = "strict",
    ) -> None:
        _check_specs(input_name, outputs)
        self._input_name = input_name
        self._outputs = tuple(outputs)
        self._limits = limits
        self._failure: SandboxFailure | None = None
        self._expired = threading.Event()
        self._workdir = make_workdir()
        self._proc: subprocess.Popen[bytes] | None = None
        self._source: _Counted | None = None
        self._timer = threading.Timer(limits.wall_seconds, self._expire)
        self._timer.daemon = True
        try:
            self._proc = start_child(CHILD_COMMAND, limits, isolation, self._workdir)
            assert self._proc.stdout is not None
            self._source = self._counted = _Counted(self._proc.stdout)
            self._timer.start()
            self._send(frames.encode_model(model))
            self._await_ready()
        except BaseException:
            self.close()
            raise

    @property
    def pid(self) -> int:
        """The child's process id (for the node's own monitoring)."""
        assert self._proc is not None
        return self._proc.pid

    @property
    def bytes_received(self) -> int:
        """Bytes read from the child so far (a refused frame's payload is never read)."""
        return 0 if self._source is None else self._source.count

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def run(self, tensor: NDArray[np.generic]) -> Tensors:
        """The outputs for one input tensor, checked against the declared ones."""
        self._usable()
        self._send(frames.encode_tensors({self._input_name: tensor}))
        return self._receive()

    def map(self, tensors: Iterable[NDArray[np.generic]]) -> Iterator[Tensors]:
        """Outputs for each tensor, in order; a writer thread sends the next input while the
        child computes. Stopping early spends the sandbox (its child is killed)."""
        self._usable()
        pending: queue.Queue[object] = queue.Queue()
        writer = threading.Thread(target=self._write_all, args=(tensors, pending), daemon=True)
        writer.start()
        finished = False
        try:
            while (token := self._next_token(pending)) is not _END:
                if isinstance(token, BaseException):  # the caller's iterator failed, in step
                    finished = True
                    raise token
                yield self._receive()
            finished = True
        finally:
            if not finished:  # inputs sent, answers unread: out of step with its child
                self._spend(Outcome.INTERNAL)
                writer.join()

    def close(self) -> None:
        """Stop the child (it gets EOF, then a kill) and remove its working directory."""
        self._timer.cancel()
        if self._proc is not None:
            self._stop()
        if os.path.isdir(self._workdir):
            remove_workdir(self._workdir)

    # --- the pipe ---

    def _write_all(
        self, tensors: Iterable[NDArray[np.generic]], pending: queue.Queue[object]
    ) -> None:
        try:
            for tensor in tensors:
                self._send(frames.encode_tensors({self._input_name: tensor}))
                pending.put(None)
            pending.put(_END)
        except BaseException as exc:  # handed to the reading thread, raised there
            pending.put(exc)

    def _next_token(self, pending: queue.Queue[object]) -> object:
        while True:
            try:
                token = pending.get(timeout=0.2)
            except queue.Empty:
                if self._expired.is_set():
                    self._fail(Outcome.RAN_OUT_OF_TIME)
                continue
            if isinstance(token, OSError):  # the pipe broke: the child is gone
                self._fail(self._death())
            return token

    def _send(self, parts: Sequence[bytes | memoryview]) -> None:
        assert self._proc is not None and self._proc.stdin is not None
        try:
            for part in parts:
                self._proc.stdin.write(part)
            self._proc.stdin.flush()
        except OSError:
            self._fail(self._death())

    def _await_ready(self) -> None:
        kind = self._read_kind()
        if kind != b"R":
            self._unexpected(kind)

    def _receive(self) -> Tensors:
        kind = self._read_kind()
        if kind != b"T":
            self._unexpected(kind)
        try:
            headers = frames.read_tensor_headers(self._counted)
            frames.check_headers(headers, self._outputs, self._limits.max_output_bytes)
            return frames.read_payloads(self._counted, headers)
        except OutputMismatchError:
            self._fail(Outcome.WRONG_OUTPUT)
        except (FrameError, OSError):
            self._fail(self._death())

    def _read_kind(self) -> bytes:
        try:
            return frames.read_kind(self._counted)
        except (FrameError, OSError):
            self._fail(self._death())

    def _unexpected(self, kind: bytes) -> NoReturn:
        """An error frame says why; the end of the stream, the death; anything else, INTERNAL."""
        if kind == b"E":
            try:
                self._fail(CHILD_OUTCOMES[frames.read_error(self._counted)])
            except (FrameError, OSError):
                self._fail(self._death())
        self._fail(self._death())

    # --- the child's end ---

    def _death(self) -> Outcome:
        """Why the child stopped talking. A child still alive (garbage on the pipe) is INTERNAL."""
        assert self._proc is not None
        try:
            code = self._proc.wait(timeout=_GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            return Outcome.RAN_OUT_OF_TIME if self._expired.is_set() else Outcome.INTERNAL
        return outcome_of_exit(code, expired=self._expired.is_set())

    def _expire(self) -> None:
        self._expired.set()
        if self._proc is not None:
            self._proc.kill()

    def _spend(self, outcome: Outcome) -> None:
        """Kill the child; every later call fails with ``outcome`` (the first failure kept)."""
        if self._failure is None:
            self._failure = SandboxFailure(outcome)
        if self._proc is not None:
            self._proc.kill()

    def _fail(self, outcome: Outcome) -> NoReturn:
        self._spend(outcome)
        assert self._failure is not None
        raise SandboxFailure(self._failure.outcome) from None  # no child text in the chain

    def _usable(self) -> None:
        if self._failure is not None:
            raise SandboxFailure(self._failure.outcome)
        if self._proc is None or self._proc.returncode is not None:
            raise SandboxFailure(Outcome.INTERNAL)

    def _stop(self) -> None:
        assert self._proc is not None
        for stream in (self._proc.stdin, self._proc.stdout):
            try:
                if stream is not None:
                    stream.close()
            except OSError:
                pass
        try:
            self._proc.wait(timeout=_GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
