"""Bounded tensor frames between the enclave and its sandbox child, over a pipe. Pure: no I/O.

Never pickle: the child runs an untrusted graph, so the parent parses what it writes strictly,
in two steps. First a small header (bounded by construction: at most ``MAX_TENSORS`` tensors,
names of at most 255 bytes, rank at most ``MAX_RANK``), checked against the declared outputs
(``check_headers``); only then the payload bytes, whose exact length the header fixed. A frame
the parent does not expect is refused before a byte of its payload is read.

A frame starts with ``MAGIC`` and one kind byte, big-endian integers after that:

- ``M`` the model: u64 length, the ONNX bytes (parent -> child, once);
- ``R`` ready: the child built its session (child -> parent, once);
- ``T`` tensors: u8 count; per tensor u8 name length, name (ASCII), u8 dtype code, u8 rank,
  rank x u64 dims; then every payload, C order, in header order (both directions);
- ``E`` error: u8 ``ChildError`` code, nothing else: no text leaves the child.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import Final, Protocol

import numpy as np
from numpy.typing import NDArray

from models.errors import FrameError, OutputMismatchError

__all__ = [
    "DTYPES",
    "MAGIC",
    "MAX_RANK",
    "MAX_TENSORS",
    "ChildError",
    "FrameError",
    "OutputMismatchError",
    "Source",
    "TensorHeader",
    "TensorSpec",
    "check_headers",
    "encode_error",
    "encode_model",
    "encode_tensors",
    "read_error",
    "read_kind",
    "read_model",
    "read_payloads",
    "read_tensor_headers",
]

MAGIC: Final = b"CLF"
MAX_TENSORS: Final = 16
MAX_RANK: Final = 8
MAX_DIM: Final = 1 << 40  # any one dimension above this is refused before multiplying

#: dtype code on the wire <-> numpy dtype name (little-endian payloads, as numpy writes them).
DTYPES: Final[Mapping[int, str]] = {
    1: "float32",
    2: "float64",
    3: "int64",
    4: "int32",
    5: "uint8",
    6: "bool",
}
_CODES: Final = {name: code for code, name in DTYPES.items()}
KINDS: Final = frozenset(b"MRTE")


class ChildError(IntEnum):
    """The coarse reason a child gives before it exits; the parent maps it to an ``Outcome``."""

    OUT_OF_MEMORY = 1  # MemoryError, or onnxruntime could not allocate under RLIMIT_AS
    SESSION = 2  # onnxruntime refused to build a session from the model
    RUN = 3  # the graph failed on a well-formed input
    OUTPUT = 4  # an output that is not a tensor of a wire dtype
    CONFINE = 5  # a confinement step failed (strict isolation)
    INPUT = 6  # the parent's frames made no sense to the child


class Source(Protocol):
    """A byte stream (a pipe's buffered reader, ``io.BytesIO`` in tests)."""

    def readinto(self, buffer: memoryview, /) -> int | None: ...


@dataclass(frozen=True)
class TensorSpec:
    """A declared output: its name, dtype, shape (``None`` = symbolic), element cap."""

    name: str
    dtype: str
    shape: tuple[int | None, ...]
    max_elements: int


@dataclass(frozen=True)
class TensorHeader:
    name: str
    dtype: str
    shape: tuple[int, ...]

    @property
    def nbytes(self) -> int:
        return _elements(self.shape) * np.dtype(self.dtype).itemsize


def _elements(shape: Sequence[int]) -> int:
    count = 1
    for dim in shape:
        count *= dim
    return count


def _fill(source: Source, buffer: memoryview) -> None:
    """Fill ``buffer`` exactly; a stream that ends first is a truncated frame."""
    done = 0
    while done < len(buffer):
        got = source.readinto(buffer[done:])
        if not got:
            raise FrameError("truncated frame: the stream ended inside it")
        done += got


def _read(source: Source, size: int) -> bytes:
    buffer = bytearray(size)
    _fill(source, memoryview(buffer))
    return bytes(buffer)


def _unpack(source: Source, fmt: str) -> int:
    value: int = struct.unpack(fmt, _read(source, struct.calcsize(fmt)))[0]
    return value


def read_kind(source: Source) -> bytes:
    """The next frame's kind byte, or ``b""`` when the stream ends cleanly between frames."""
    first = bytearray(1)
    if not source.readinto(memoryview(first)):
        return b""
    rest = _read(source, len(MAGIC))
    prefix = bytes(first) + rest
    if prefix[: len(MAGIC)] != MAGIC or prefix[-1] not in KINDS:
        raise FrameError("malformed frame: bad magic or kind")
    return prefix[-1:]


def encode_model(model: bytes) -> list[bytes]:
    return [MAGIC + b"M" + struct.pack(">Q", len(model)), model]


def read_model(source: Source, max_bytes: int) -> bytes:
    """The model frame's bytes (its kind already read), refused above ``max_bytes``."""
    size = _unpack(source, ">Q")
    if size > max_bytes:
        raise FrameError(f"model frame of {size} bytes exceeds {max_bytes}")
    return _read(source, size)


def encode_error(code: ChildError) -> bytes:
    return MAGIC + b"E" + bytes([int(code)])


def read_error(source: Source) -> ChildError:
    """The error frame's code (its kind already read); an unknown code is a malformed frame."""
    code = _read(source, 1)[0]
    try:
        return ChildError(code)
    except ValueError:
        raise FrameError("malformed frame: unknown error code") from None


def encode_tensors(tensors: Mapping[str, NDArray[np.generic]]) -> list[bytes | memoryview]:
    """A tensor frame as buffers to write in order (payloads are not copied when contiguous)."""
    if len(tensors) > MAX_TENSORS:
        raise FrameError(f"more than {MAX_TENSORS} tensors in one frame")
    head = [MAGIC + b"T", bytes([len(tensors)])]
    payloads: list[bytes | memoryview] = []
    for name, array in tensors.items():
        raw = name.encode("ascii")
        code = _CODES.get(array.dtype.name)
        if code is None or not 0 < len(raw) < 256 or array.ndim > MAX_RANK:
            raise FrameError("tensor not encodable: dtype, name or rank")
        head += [bytes([len(raw)]), raw, bytes([code, array.ndim])]
        head += [struct.pack(f">{array.ndim}Q", *array.shape)]
        contiguous = np.ascontiguousarray(array)  # (a zero-size view cannot be cast)
        payloads.append(contiguous.data.cast("B") if contiguous.size else b"")
    return [b"".join(head), *payloads]


def _read_tensor_header(source: Source) -> TensorHeader:
    name_size = _read(source, 1)[0]
    raw = _read(source, name_size)
    code, rank = _read(source, 2)
    name = raw.decode("ascii", errors="replace")
    if not (raw.isascii() and name.isprintable()) or code not in DTYPES or rank > MAX_RANK:
        raise FrameError("malformed tensor header: name, dtype code or rank")
    shape = struct.unpack(f">{rank}Q", _read(source, 8 * rank))
    if any(dim > MAX_DIM for dim in shape):
        raise FrameError("malformed tensor header: a dimension beyond any tensor")
    return TensorHeader(name, DTYPES[code], shape)


def read_tensor_headers(source: Source) -> tuple[TensorHeader, ...]:
    """The headers of a tensor frame (its kind already read), before any payload byte."""
    count = _read(source, 1)[0]
    if count > MAX_TENSORS:
        raise FrameError(f"malformed frame: more than {MAX_TENSORS} tensors")
    return tuple(_read_tensor_header(source) for _ in range(count))


def _check_one(header: TensorHeader, spec: TensorSpec) -> None:
    if header.dtype != spec.dtype or len(header.shape) != len(spec.shape):
        raise OutputMismatchError(f"output {spec.name!r}: dtype or rank not as declared")
    pairs = zip(spec.shape, header.shape, strict=True)
    if any(want is not None and want != got for want, got in pairs):
        raise OutputMismatchError(f"output {spec.name!r}: a fixed dimension not as declared")
    if _elements(header.shape) > spec.max_elements:
        raise OutputMismatchError(f"output {spec.name!r}: more than {spec.max_elements} elements")


def check_headers(
    headers: Sequence[TensorHeader], specs: Sequence[TensorSpec], max_bytes: int
) -> None:
    """Headers name exactly the declared outputs, each as declared, all within ``max_bytes``."""
    names = [h.name for h in headers]
    if sorted(names) != sorted(s.name for s in specs):
        raise OutputMismatchError("output names not the declared ones")
    by_name = {s.name: s for s in specs}
    for header in headers:
        _check_one(header, by_name[header.name])
    if sum(h.nbytes for h in headers) > max_bytes:
        raise OutputMismatchError(f"outputs larger than {max_bytes} bytes together")


def read_payloads(
    source: Source, headers: Sequence[TensorHeader]
) -> dict[str, NDArray[np.generic]]:
    """The payloads the (already checked) headers announce, as fresh arrays."""
    arrays: dict[str, NDArray[np.generic]] = {}
    for header in headers:
        array = np.empty(header.shape, dtype=header.dtype)
        _fill(source, array.data.cast("B") if array.size else memoryview(b""))
        arrays[header.name] = array
    return arrays
