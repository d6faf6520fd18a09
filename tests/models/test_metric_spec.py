from __future__ import annotations

import json

import pytest

from models.errors import MetricSpecError
from models.metric_spec import MAX_BOOTSTRAP, MetricSpec, parse_metric_spec


def test_parses_and_round_trips() -> None:
    obj = {"task": "object-detection", "metrics": ["map50", "hit_rate_far1"]}
    text = json.dumps({**obj, "bootstrap_samples": 50, "seed": 7, "classes": ["9302", "240210"]})
    spec = parse_metric_spec(text)
    assert spec == MetricSpec("object-detection", ("map50", "hit_rate_far1"), 50, 7,
                              ("9302", "240210"))  # fmt: skip
    assert parse_metric_spec(spec.as_json()) == spec


def test_defaults() -> None:
    spec = parse_metric_spec('{"task": "classification", "metrics": ["roc_auc"]}')
    assert (spec.bootstrap_samples, spec.seed, spec.classes) == (200, 0, None)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ('{"task": "segmentation", "metrics": ["map50"]}', "task must be one of"),
        ('{"task": "classification", "metrics": ["map50"]}', "not one of"),
        ('{"task": "classification", "metrics": []}', "non-empty"),
        ('{"task": "classification", "metrics": ["roc_auc", "roc_auc"]}', "twice"),
        ('{"task": "classification", "metrics": ["roc_auc"], "x": 1}', "unknown member 'x'"),
        (
            '{"task": "classification", "metrics": ["roc_auc"], "bootstrap_samples": 1001}',
            f"0 to {MAX_BOOTSTRAP}",
        ),
        (
            '{"task": "classification", "metrics": ["roc_auc"], "bootstrap_samples": true}',
            "integer",
        ),
        ('{"task": "classification", "metrics": ["roc_auc"], "seed": -1}', "seed"),
        ('{"task": "classification", "metrics": ["roc_auc"], "classes": ["93"]}', "HS codes"),
        ('{"task": "classification", "metrics": ["roc_auc"], "classes": []}', "null or 1"),
        (
            '{"task": "classification", "task": "classification", "metrics": ["roc_auc"]}',
            "one JSON object",
        ),
        ("[1]", "one JSON object"),
        ("{" * 100000, "one JSON object"),
        (b"\xff", "one JSON object"),
    ],
)
def test_refusals_name_the_rule(spec: str | bytes, message: str) -> None:
    with pytest.raises(MetricSpecError, match=message):
        parse_metric_spec(spec)
