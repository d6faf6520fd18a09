"""The enclave's one shared post-processing: a model's outputs for one scan, as metric inputs.

The sandbox has already checked each output against the card (names, types, ranks, fixed dims,
sizes); this module checks what only the outputs together can show (the three detection outputs
have one length, every value is finite, every label is a class of the card) and maps them to the
scan: normalised ``x1, y1, x2, y2`` boxes to COCO ``[x, y, width, height]`` in the scan's pixels,
and class values to the COCO category ids of the evaluation (one per HS code). Anything else is
an :class:`~models.errors.OutputError`, which the job reports as ``wrong-output`` and nothing more.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray

from models.errors import OutputError

__all__ = ["MAX_DETECTIONS", "anomaly_outputs", "class_scores", "detections"]

MAX_DETECTIONS: Final = 1000  # per image (the brief's contract)


def _finite(array: NDArray[Any], name: str) -> NDArray[np.float64]:
    values = np.asarray(array, dtype=np.float64)
    if not np.all(np.isfinite(values)):
        raise OutputError(f"output {name} holds a value that is not finite")
    return values


def detections(
    outputs: Mapping[str, NDArray[Any]],
    *,
    image_id: int,
    width: int,
    height: int,
    category_of_value: Mapping[int, int],
) -> list[dict[str, Any]]:
    """COCO result entries of one image; labels outside ``category_of_value`` are refused."""
    boxes = _finite(outputs["boxes"], "boxes")
    scores = _finite(outputs["scores"], "scores")
    labels = np.asarray(outputs["labels"])
    n = len(scores)
    if boxes.shape != (n, 4) or labels.shape != (n,) or n > MAX_DETECTIONS:
        raise OutputError(
            f"boxes, scores and labels must hold one entry each, at most {MAX_DETECTIONS}"
        )
    if not np.issubdtype(labels.dtype, np.integer):
        raise OutputError("labels must be integers")
    unknown = set(labels.tolist()) - set(category_of_value)
    if unknown:
        raise OutputError("labels name a class the card does not declare")
    clipped = np.clip(boxes, 0.0, 1.0)
    x1 = np.minimum(clipped[:, 0], clipped[:, 2]) * width
    x2 = np.maximum(clipped[:, 0], clipped[:, 2]) * width
    y1 = np.minimum(clipped[:, 1], clipped[:, 3]) * height
    y2 = np.maximum(clipped[:, 1], clipped[:, 3]) * height
    return [
        {
            "image_id": image_id,
            "category_id": category_of_value[int(label)],
            "bbox": [float(x1[i]), float(y1[i]), float(x2[i] - x1[i]), float(y2[i] - y1[i])],
            "score": float(scores[i]),
        }
        for i, label in enumerate(labels.tolist())
    ]


def class_scores(outputs: Mapping[str, NDArray[Any]], classes: int) -> NDArray[np.float64]:
    """The ``(classes,)`` score vector of one image (output ``scores`` of shape ``[1, K]``)."""
    scores = _finite(outputs["scores"], "scores")
    if scores.shape != (1, classes):
        raise OutputError(f"scores must have shape [1, {classes}]")
    row: NDArray[np.float64] = scores[0]
    return row


def anomaly_outputs(
    outputs: Mapping[str, NDArray[Any]], height: int, width: int
) -> tuple[float, NDArray[np.float64] | None]:
    """The image score and, when the model gives one, its ``(height, width)`` anomaly map."""
    score = _finite(outputs["score"], "score")
    if score.shape != (1,):
        raise OutputError("score must have shape [1]")
    if "anomaly_map" not in outputs:
        return float(score[0]), None
    amap = _finite(outputs["anomaly_map"], "anomaly_map")
    if amap.shape != (1, height, width):
        raise OutputError(f"anomaly_map must have shape [1, {height}, {width}]")
    return float(score[0]), amap[0]
