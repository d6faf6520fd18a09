"""models.postprocess: outputs of one scan to metric inputs, and every contract break refused."""

from __future__ import annotations

import numpy as np
import pytest

from models.errors import OutputError
from models.postprocess import anomaly_outputs, class_scores, detections

CATS = {0: 11, 1: 12}


def _det(boxes: list[list[float]], scores: list[float], labels: list[int]) -> dict[str, np.ndarray]:
    return {
        "boxes": np.array(boxes, dtype=np.float32).reshape(-1, 4),
        "scores": np.array(scores, dtype=np.float32),
        "labels": np.array(labels, dtype=np.int64),
    }


def test_boxes_become_coco_boxes_in_image_pixels() -> None:
    out = detections(
        _det([[0.1, 0.2, 0.5, 0.6], [0.9, 0.9, 0.8, 1.5]], [0.75, 0.25], [1, 0]),
        image_id=7, width=200, height=100, category_of_value=CATS,
    )  # fmt: skip
    assert out[0]["image_id"] == 7 and out[0]["category_id"] == 12
    assert out[0]["bbox"] == pytest.approx([20.0, 20.0, 80.0, 40.0], abs=1e-4)
    assert out[0]["score"] == pytest.approx(0.75)
    # corners swapped and past the edge: ordered, then clipped to the image
    assert out[1]["bbox"] == pytest.approx([160.0, 90.0, 20.0, 10.0], abs=1e-4)
    assert out[1]["category_id"] == 11


@pytest.mark.parametrize(
    ("outputs", "message"),
    [
        (_det([[0, 0, 1, 1]], [0.5], [5]), "class the card does not declare"),
        (_det([[0, 0, 1, 1]], [float("nan")], [0]), "not finite"),
        (_det([[0, 0, 1, 1], [0, 0, 1, 1]], [0.5], [0]), "one entry each"),
        (_det([[0, 0, 1, float("inf")]], [0.5], [0]), "not finite"),
        (
            {**_det([[0, 0, 1, 1]], [0.5], [0]), "labels": np.array([0.0], dtype=np.float32)},
            "integers",
        ),
        (_det([[0, 0, 1, 1]] * 1001, [0.5] * 1001, [0] * 1001), "at most 1000"),
    ],
)
def test_broken_detection_outputs_are_refused(outputs: dict[str, np.ndarray], message: str) -> None:
    with pytest.raises(OutputError, match=message):
        detections(outputs, image_id=1, width=10, height=10, category_of_value=CATS)


def test_class_scores() -> None:
    got = class_scores({"scores": np.array([[0.1, 0.9]], dtype=np.float32)}, 2)
    assert got.tolist() == pytest.approx([0.1, 0.9])
    with pytest.raises(OutputError, match=r"shape \[1, 3\]"):
        class_scores({"scores": np.array([[0.1, 0.9]], dtype=np.float32)}, 3)


def test_anomaly_outputs() -> None:
    score, amap = anomaly_outputs({"score": np.array([0.3], dtype=np.float32)}, 4, 5)
    assert score == pytest.approx(0.3) and amap is None
    maps = {"score": np.array([1.0]), "anomaly_map": np.zeros((1, 4, 5))}
    assert anomaly_outputs(maps, 4, 5)[1] is not None
    with pytest.raises(OutputError, match="anomaly_map"):
        anomaly_outputs(maps, 5, 5)
