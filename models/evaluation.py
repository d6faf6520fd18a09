"""Evaluations as values: states and their transitions, a submission, splits, enclave policies.

Pure: no I/O, the clock is an argument. :mod:`models.evaluation_store` keeps them.

    queued ──► running ──► released
      │          │  ▲ └──► awaiting-review ──► released
      │          │  │                    └──► refused   (a steward refused, or no budget left)
      │          │  └ (lease expired: claimed again, same state)
      │          ├──► refused   (the policy no longer allows it, or the budget is spent)
      │          └──► failed    (one outcome class: models.outcomes.Outcome)
      └──► refused  (at claim: the grant or the holding no longer allows it)

A split is a fixed, deterministic part of a holding version's items: ``all``, or ``test`` =
the items whose ``sha256(holding id + "/" + item id)`` read as a number is ``< 3 (mod 10)``
(about 30 %, the same items for every model and every node, never chosen by the submitter).
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from models.errors import EvaluationConflict, InvalidEvaluation, MetricSpecError
from models.metric_spec import parse_metric_spec
from models.outcomes import Outcome
from models.release import PRIMARY_METRIC

__all__ = [
    "FINAL",
    "MAX_BUDGET",
    "EnclavePolicy",
    "Evaluation",
    "EvaluationState",
    "Failed",
    "JobResult",
    "NewEvaluation",
    "Released",
    "Split",
    "check_transition",
    "checked_spec",
    "in_split",
    "is_evaluation_id",
    "metric_spec",
    "split_items",
]

MAX_BUDGET = 10_000
_SPEC_MAX_BYTES = 4096
_SPEC_MAX_DEPTH = 4
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
_JTI = re.compile(r"^[A-Za-z0-9_-]{22,64}$")
_EVALUATION_ID = re.compile(r"^evl-[0-9a-f]{16}$")


class EvaluationState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    AWAITING_REVIEW = "awaiting-review"
    RELEASED = "released"
    REFUSED = "refused"
    FAILED = "failed"


FINAL = frozenset({EvaluationState.RELEASED, EvaluationState.REFUSED, EvaluationState.FAILED})

_TRANSITIONS: dict[EvaluationState, frozenset[EvaluationState]] = {
    EvaluationState.QUEUED: frozenset({EvaluationState.RUNNING, EvaluationState.REFUSED}),
    EvaluationState.RUNNING: frozenset(
        {EvaluationState.RUNNING, EvaluationState.AWAITING_REVIEW, *FINAL}
    ),
    EvaluationState.AWAITING_REVIEW: frozenset({EvaluationState.RELEASED, EvaluationState.REFUSED}),
    EvaluationState.RELEASED: frozenset(),
    EvaluationState.REFUSED: frozenset(),
    EvaluationState.FAILED: frozenset(),
}


def check_transition(current: EvaluationState, target: EvaluationState) -> None:
    if target not in _TRANSITIONS[current]:
        raise EvaluationConflict(f"an evaluation that is {current} cannot become {target}")


def is_evaluation_id(text: str) -> bool:
    return bool(_EVALUATION_ID.fullmatch(text))


class Split(StrEnum):
    ALL = "all"
    TEST = "test"


def in_split(split: Split, holding_id: str, item_id: str) -> bool:
    """Whether ``item_id`` of ``holding_id`` is in ``split`` (see the module docstring)."""
    if split is Split.ALL:
        return True
    digest = hashlib.sha256(f"{holding_id}/{item_id}".encode()).digest()
    return int.from_bytes(digest, "big") % 10 < 3


def split_items(split: Split, holding_id: str, item_ids: Iterable[str]) -> list[str]:
    """The items of ``split``, sorted (the order is part of what a receipt pins)."""
    return sorted(i for i in item_ids if in_split(split, holding_id, i))


def _spec_depth(value: Any, depth: int = 0) -> int:
    if isinstance(value, dict):
        return max((_spec_depth(v, depth + 1) for v in value.values()), default=depth + 1)
    if isinstance(value, list):
        return max((_spec_depth(v, depth + 1) for v in value), default=depth + 1)
    return depth


def metric_spec(value: Any) -> dict[str, Any]:
    """A metric spec as stored: a JSON object, at most 4 KiB as JSON, nested at most 4 deep,
    finite numbers only. Its meaning is the metrics module's to check; this bounds its shape."""
    if not isinstance(value, dict):
        raise InvalidEvaluation("metrics must be a JSON object")
    try:
        text = json.dumps(value, sort_keys=True, allow_nan=False, separators=(",", ":"))
    except (TypeError, ValueError):
        raise InvalidEvaluation("metrics must hold plain, finite JSON values") from None
    if len(text.encode()) > _SPEC_MAX_BYTES:
        raise InvalidEvaluation(f"metrics must be at most {_SPEC_MAX_BYTES} bytes as JSON")
    if _spec_depth(value) > _SPEC_MAX_DEPTH:
        raise InvalidEvaluation(f"metrics must be nested at most {_SPEC_MAX_DEPTH} deep")
    parsed: dict[str, Any] = json.loads(text)
    return parsed


def checked_spec(metrics: Mapping[str, Any], task: str) -> dict[str, Any]:
    """``metrics`` as the enclave will read it for a model of ``task``: parsed at submission, so
    that no job fails later for its spec, and stored with its defaults filled in, so that the job
    runs what was submitted. Without a ``metrics`` list, the task's leaderboard metric."""
    if metrics.get("task", task) != task:  # a "task" member may only repeat the model's
        raise InvalidEvaluation(f"metric spec is for task {str(metrics['task'])[:40]}, "
                                f"not the model's {task}")  # fmt: skip
    defaults = {"metrics": [PRIMARY_METRIC[task]]} if task in PRIMARY_METRIC else {}
    try:
        spec = parse_metric_spec({**defaults, **metrics, "task": task})
    except MetricSpecError as exc:
        raise InvalidEvaluation(str(exc)) from None
    return spec.as_json()


def _choice(enum: type[StrEnum], value: Any, name: str) -> Any:
    try:
        return enum(value)
    except ValueError:
        allowed = ", ".join(e.value for e in enum)
        raise InvalidEvaluation(f"{name} must be one of {allowed}") from None


def _text(body: Mapping[str, Any], name: str, pattern: re.Pattern[str], what: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise InvalidEvaluation(f"{name} must be {what}")
    return value


@dataclass(frozen=True)
class NewEvaluation:
    """A submission: which model, on which holding (version fixed at submission), which split,
    which metrics, under which grant (its ``jti``)."""

    model_id: str
    holding_id: str
    split: Split
    metrics: dict[str, Any]
    grant: str

    @classmethod
    def from_json(cls, body: Any) -> NewEvaluation:
        if not isinstance(body, dict):
            raise InvalidEvaluation("an evaluation must be a JSON object")
        unknown = sorted(set(body) - {"model_id", "holding", "split", "metrics", "grant"})
        if unknown:
            raise InvalidEvaluation(f"unknown field {unknown[0][:40]!r}")
        return cls(
            model_id=_text(body, "model_id", _ID, "a model id"),
            holding_id=_text(body, "holding", _ID, "a holding id"),
            split=_choice(Split, body.get("split", "test"), "split"),
            metrics=metric_spec(body.get("metrics", {})),
            grant=_text(body, "grant", _JTI, "the jti of your evaluate grant"),
        )


@dataclass(frozen=True)
class EnclavePolicy:
    """A holding's enclave rules, set by its stewards: review before release, the release
    budget per (administration, holding), the grid released values are rounded to (also the
    leaderboard's step) and the minimum number of images a released value rests on."""

    manual_review: bool = False
    budget: int = 20
    grid: float = 0.01
    min_count: int = 10

    def __post_init__(self) -> None:
        if not isinstance(self.manual_review, bool):
            raise InvalidEvaluation("manual_review must be true or false")
        if type(self.budget) is not int or not 0 <= self.budget <= MAX_BUDGET:
            raise InvalidEvaluation(f"budget must be a whole number from 0 to {MAX_BUDGET}")
        grid = self.grid
        # The same ranges as models.release.ReleasePolicy, which the runner builds from this.
        if type(grid) not in (int, float) or not math.isfinite(grid) or not 0.0001 <= grid <= 0.1:
            raise InvalidEvaluation("grid must be a number from 0.0001 to 0.1")
        if type(self.min_count) is not int or not 1 <= self.min_count <= 100_000:
            raise InvalidEvaluation("min_count must be a whole number from 1 to 100000")

    def changed(self, body: Any) -> EnclavePolicy:
        """This policy with the members ``body`` names (the others kept)."""
        if not isinstance(body, dict):
            raise InvalidEvaluation("an enclave policy must be a JSON object")
        unknown = sorted(set(body) - {"manual_review", "budget", "grid", "min_count"})
        if unknown:
            raise InvalidEvaluation(f"unknown field {unknown[0][:40]!r}")
        return EnclavePolicy(**{**self.as_json(), **body})

    def as_json(self) -> dict[str, Any]:
        return {
            "manual_review": self.manual_review,
            "budget": self.budget,
            "grid": self.grid,
            "min_count": self.min_count,
        }


@dataclass(frozen=True)
class Evaluation:
    """One evaluation as its readers see it. ``pending`` (what would be released) is shown to
    the owner's stewards while it awaits review, never to the submitter."""

    id: str
    model_id: str
    holding_id: str
    holding_version: int
    split: str
    metrics: dict[str, Any]
    submitter: str
    submitter_admin: str
    owner: str
    state: EvaluationState
    outcome: Outcome | None
    reason: str | None
    attempts: int
    released: dict[str, Any] | None
    receipt: dict[str, Any] | None
    pending: dict[str, Any] | None
    created: datetime
    updated: datetime

    def as_json(self, *, steward: bool = False) -> dict[str, Any]:
        out = {
            "id": self.id,
            "model_id": self.model_id,
            "holding": self.holding_id,
            "holding_version": self.holding_version,
            "split": self.split,
            "metrics": self.metrics,
            "submitter": self.submitter,
            "state": self.state.value,
            "outcome": None if self.outcome is None else self.outcome.value,
            "reason": self.reason,
            "released": self.released,
            "has_receipt": self.receipt is not None,
            "created": self.created.isoformat(),
            "updated": self.updated.isoformat(),
        }
        if steward and self.state is EvaluationState.AWAITING_REVIEW:
            out["would_release"] = self.pending
        return out


@dataclass(frozen=True)
class Released:
    """A run that produced values to release: ``values`` are already rounded and suppressed by
    the release policy; ``metric``/``score`` the headline value the leaderboard weighs (if
    any); ``receipt`` the signed receipt (a JSON object) once the pipeline signs one."""

    values: Mapping[str, Any]
    metric: str | None = None
    score: float | None = None
    receipt: Mapping[str, Any] | None = None
    draft: Mapping[str, Any] | None = None  # receipt subject + predicate, signed at release

    def pending(self) -> dict[str, Any]:
        """As stored while it waits (for review, or the moment of release)."""
        return {
            "values": dict(self.values),
            "metric": self.metric,
            "score": self.score,
            "receipt": None if self.receipt is None else dict(self.receipt),
            "draft": None if self.draft is None else dict(self.draft),
        }


@dataclass(frozen=True)
class Failed:
    """A run that ended in one coarse outcome class, and nothing else."""

    outcome: Outcome


JobResult = Released | Failed
