"""What an evaluation measures (``MetricSpec``) and what it found (``Results``). Pure.

A metric spec is a small JSON object, parsed strictly (unknown members, wrong types and values
out of range are refused with :class:`MetricSpecError` naming the rule)::

    {"task": "object-detection",                  # one of TASKS
     "metrics": ["map50", "map50_95", "ap50_per_class", "hit_rate_far1"],
     "bootstrap_samples": 200,                    # optional, 0..MAX_BOOTSTRAP (0: no interval)
     "seed": 0,                                   # optional, 0..2**32-1
     "classes": ["9302", "2402"]}                 # optional HS codes; null: every class

``Results`` maps a metric name (and a per-class slice name such as ``ap50:9302``) to an
:class:`Estimate` (value, 95 % bootstrap bounds, and ``n``: how many units the value rests on,
which release control compares with its minimum count), plus counts (images, positives...).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from access import json_object
from models.errors import MetricSpecError

__all__ = [
    "DEFAULT_BOOTSTRAP",
    "MAX_BOOTSTRAP",
    "METRICS",
    "TASKS",
    "Estimate",
    "MetricSpec",
    "Results",
    "check_task",
    "parse_metric_spec",
]

#: Metric names each task allows (``ap50_per_class`` expands to one ``ap50:<hs code>`` a class).
METRICS: Final[Mapping[str, frozenset[str]]] = {
    "object-detection": frozenset(
        {"map50", "map50_95", "ap50_per_class", "hit_rate_far1", "hit_rate_far5"}
    ),
    "classification": frozenset({"roc_auc", "pr_auc", "hit_rate_far1", "hit_rate_far5"}),
    "anomaly-detection": frozenset({"auroc", "aupro30"}),
}
TASKS: Final = tuple(METRICS)
DEFAULT_BOOTSTRAP: Final = 200
MAX_BOOTSTRAP: Final = 1000  # a spec cannot ask for unbounded work
MAX_CLASSES: Final = 1000
MAX_SPEC_BYTES: Final = 64 * 1024
_MEMBERS: Final = frozenset({"task", "metrics", "bootstrap_samples", "seed", "classes"})
_HS_CODE: Final = re.compile(r"^[0-9]{4}([0-9]{2})?$")


@dataclass(frozen=True)
class MetricSpec:
    task: str
    metrics: tuple[str, ...]
    bootstrap_samples: int = DEFAULT_BOOTSTRAP
    seed: int = 0
    classes: tuple[str, ...] | None = None  # HS codes; None: every class of the ground truth

    def as_json(self) -> dict[str, Any]:
        return {
            "task": self.task,
            "metrics": list(self.metrics),
            "bootstrap_samples": self.bootstrap_samples,
            "seed": self.seed,
            "classes": None if self.classes is None else list(self.classes),
        }


@dataclass(frozen=True)
class Estimate:
    """One number, its 95 % percentile-bootstrap bounds (None without resamples), and ``n``."""

    value: float | None
    low: float | None
    high: float | None
    n: int


@dataclass(frozen=True)
class Results:
    metrics: dict[str, Estimate]
    counts: dict[str, int] = field(default_factory=dict)


def check_task(spec: MetricSpec, task: str) -> None:
    """Refuse to score a spec written for another task."""
    if spec.task != task:
        raise MetricSpecError(f"metric spec is for task {spec.task}, not {task}")


def _int(value: object, name: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise MetricSpecError(f"metric spec {name} must be an integer from {low} to {high}")
    return value


def _names(value: object, task: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not value or len(value) > len(METRICS[task]):
        raise MetricSpecError("metric spec metrics must be a non-empty list of metric names")
    allowed = METRICS[task]
    for name in value:
        if not isinstance(name, str) or name not in allowed:
            shown = name[:40] if isinstance(name, str) else type(name).__name__
            raise MetricSpecError(
                f"metric {shown!r} is not one of {sorted(allowed)} for task {task}"
            )
    if len(set(value)) != len(value):
        raise MetricSpecError("metric spec metrics names a metric twice")
    return tuple(value)


def _classes(value: object) -> tuple[str, ...] | None:
    if value is None:
        return None
    if not isinstance(value, list) or not 0 < len(value) <= MAX_CLASSES:
        raise MetricSpecError(f"metric spec classes must be null or 1 to {MAX_CLASSES} HS codes")
    for code in value:
        if not isinstance(code, str) or not _HS_CODE.match(code):
            raise MetricSpecError("metric spec classes must be HS codes of 4 or 6 digits")
    if len(set(value)) != len(value):
        raise MetricSpecError("metric spec classes names a class twice")
    return tuple(value)


def parse_metric_spec(raw: bytes | str | Mapping[str, Any]) -> MetricSpec:
    """A :class:`MetricSpec` from JSON text (or an already decoded object), strictly."""
    if isinstance(raw, Mapping):
        obj: Mapping[str, Any] = raw
    else:
        try:
            obj = json_object(raw, max_bytes=MAX_SPEC_BYTES)
        except (ValueError, RecursionError):
            raise MetricSpecError(
                f"metric spec must be one JSON object of at most {MAX_SPEC_BYTES} bytes"
            ) from None
    unknown = sorted(str(name)[:40] for name in set(obj) - _MEMBERS)
    if unknown:
        raise MetricSpecError(f"metric spec has an unknown member {unknown[0]!r}")
    task = obj.get("task")
    if task not in METRICS:
        raise MetricSpecError(f"metric spec task must be one of {list(TASKS)}")
    return MetricSpec(
        task=str(task),
        metrics=_names(obj.get("metrics"), str(task)),
        bootstrap_samples=_int(
            obj.get("bootstrap_samples", DEFAULT_BOOTSTRAP), "bootstrap_samples", 0, MAX_BOOTSTRAP
        ),
        seed=_int(obj.get("seed", 0), "seed", 0, 2**32 - 1),
        classes=_classes(obj.get("classes")),
    )
