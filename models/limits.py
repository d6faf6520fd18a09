"""The registry's size caps, in a module of their own: the client commands check a file against
them before sending it, without loading onnx or jsonschema."""

from __future__ import annotations

from typing import Final

__all__ = ["MAX_CARD_BYTES", "MAX_MODEL_BYTES"]

MAX_MODEL_BYTES: Final = 64 << 20  # an ONNX file (the admission gate's default size cap)
MAX_CARD_BYTES: Final = 256 << 10  # a model card as JSON
