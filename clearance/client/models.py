"""The client side of the model registry: a submission body read from two files, checked first.

The files are size-checked before they are read whole (the node's caps, ``models.limits``), the
card is read as strict JSON; nothing of onnx is loaded here: the node's admission gate judges the
model.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

from access import json_object
from clearance.client.http import ClientError
from models import MAX_CARD_BYTES, MAX_MODEL_BYTES

__all__ = ["submission_body"]


def _read(path: Path, cap: int, what: str) -> bytes:
    try:
        size = path.stat().st_size
        if size > cap:
            raise ClientError(
                0, "file-too-large", f"{what} {path} has {size} bytes; the cap is {cap}"
            )
        data = path.read_bytes()
    except OSError as exc:
        raise ClientError(
            0, "file-unreadable", f"cannot read {what} {path}: {exc.strerror}"
        ) from None
    if len(data) > cap:  # grew while we looked
        raise ClientError(0, "file-too-large", f"{what} {path} is over {cap} bytes")
    return data


def submission_body(model: Path, card: Path) -> dict[str, Any]:
    """``{"card": ..., "onnx": base64}`` for ``POST /models``; ``ClientError`` for a file that is
    too large, unreadable, or (the card) not one strict JSON object."""
    data = _read(model, MAX_MODEL_BYTES, "model")
    try:
        fields = json_object(_read(card, MAX_CARD_BYTES, "card"))
    except (ValueError, RecursionError) as exc:
        raise ClientError(
            0, "invalid-card-file", f"card {card} is not a JSON object: {exc}"
        ) from None
    return {"card": fields, "onnx": base64.b64encode(data).decode("ascii")}
