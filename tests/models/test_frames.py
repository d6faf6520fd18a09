"""Frames are pure: round trips, and every malformed or undeclared header refused before its
payload is read."""

from __future__ import annotations

import io
import struct

import numpy as np
import pytest

from models import frames
from models.errors import FrameError, OutputMismatchError
from models.frames import TensorSpec

SPECS = [
    TensorSpec("boxes", "float32", (None, 4), 4000),
    TensorSpec("labels", "int64", (None,), 1000),
]


def _stream(parts: list[bytes | memoryview]) -> io.BytesIO:
    return io.BytesIO(b"".join(bytes(p) for p in parts))


def test_tensor_frames_round_trip() -> None:
    tensors = {
        "boxes": np.arange(12, dtype=np.float32).reshape(3, 4),
        "labels": np.array([1, 2, 3], np.int64),
        "flag": np.array(True),
        "empty": np.zeros((0, 4), np.float32),
    }
    source = _stream(frames.encode_tensors(tensors))
    assert frames.read_kind(source) == b"T"
    headers = frames.read_tensor_headers(source)
    assert [h.shape for h in headers] == [(3, 4), (3,), (), (0, 4)]
    got = frames.read_payloads(source, headers)
    for name, array in tensors.items():
        np.testing.assert_array_equal(got[name], array)
        assert got[name].dtype == array.dtype
    assert frames.read_kind(source) == b""  # a clean end between frames


def test_model_and_error_frames_round_trip() -> None:
    source = _stream([*frames.encode_model(b"onnx"), frames.encode_error(frames.ChildError.RUN)])
    assert frames.read_kind(source) == b"M"
    assert frames.read_model(source, 10) == b"onnx"
    assert frames.read_kind(source) == b"E"
    assert frames.read_error(source) is frames.ChildError.RUN


def test_a_model_above_the_cap_is_refused_before_reading_it() -> None:
    source = _stream(frames.encode_model(b"x" * 100))
    frames.read_kind(source)
    with pytest.raises(FrameError, match="exceeds 10"):
        frames.read_model(source, 10)
    assert source.tell() == 4 + 8  # only the length was read


def _headers(name: bytes, code: int, dims: tuple[int, ...], count: int = 1) -> io.BytesIO:
    body = bytes([len(name)]) + name + bytes([code, len(dims)])
    return io.BytesIO(bytes([count]) + body + struct.pack(f">{len(dims)}Q", *dims))


@pytest.mark.parametrize(
    ("stream", "match"),
    [
        (io.BytesIO(b"XYZT"), "bad magic"),
        (io.BytesIO(b"CLFQ"), "bad magic or kind"),
        (io.BytesIO(b"CL"), "truncated"),
    ],
)
def test_bad_prefixes(stream: io.BytesIO, match: str) -> None:
    with pytest.raises(FrameError, match=match):
        frames.read_kind(stream)


@pytest.mark.parametrize(
    "stream",
    [
        io.BytesIO(b"\xff"),  # 255 tensors
        _headers(b"a", 99, (1,)),  # unknown dtype code
        _headers(b"a", 1, (1,) * 9),  # rank 9
        _headers(b"a\x00", 1, (1,)),  # unprintable name
        _headers(b"a", 1, (1 << 50,)),  # a dimension beyond any tensor
        io.BytesIO(b"\x01\x05ab"),  # truncated inside the name
    ],
)
def test_malformed_headers_are_refused(stream: io.BytesIO) -> None:
    with pytest.raises(FrameError):
        frames.read_tensor_headers(stream)


def _check(*headers: frames.TensorHeader, max_bytes: int = 1 << 20) -> None:
    frames.check_headers(headers, SPECS, max_bytes)


def test_declared_headers_pass() -> None:
    _check(
        frames.TensorHeader("labels", "int64", (7,)),
        frames.TensorHeader("boxes", "float32", (7, 4)),
    )


@pytest.mark.parametrize(
    "headers",
    [
        (frames.TensorHeader("boxes", "float32", (7, 4)),),  # one missing
        (frames.TensorHeader("boxes", "float32", (7, 4)),) * 2,  # duplicated
        (
            frames.TensorHeader("boxes", "float64", (7, 4)),
            frames.TensorHeader("labels", "int64", (7,)),
        ),
        (
            frames.TensorHeader("boxes", "float32", (7, 5)),
            frames.TensorHeader("labels", "int64", (7,)),
        ),
        (
            frames.TensorHeader("boxes", "float32", (28,)),
            frames.TensorHeader("labels", "int64", (7,)),
        ),
        (
            frames.TensorHeader("boxes", "float32", (10**7, 4)),
            frames.TensorHeader("labels", "int64", (7,)),
        ),
    ],
)
def test_undeclared_outputs_are_refused(headers: tuple[frames.TensorHeader, ...]) -> None:
    with pytest.raises(OutputMismatchError):
        _check(*headers)


def test_the_total_byte_cap_holds() -> None:
    headers = (
        frames.TensorHeader("boxes", "float32", (1000, 4)),
        frames.TensorHeader("labels", "int64", (1000,)),
    )
    _check(*headers, max_bytes=24000)
    with pytest.raises(OutputMismatchError, match="larger than"):
        _check(*headers, max_bytes=23999)


def test_unencodable_tensors_are_refused() -> None:
    with pytest.raises(FrameError):
        frames.encode_tensors({"s": np.array(["text"])})
    with pytest.raises(FrameError):
        frames.encode_tensors({"": np.zeros(1, np.float32)})
