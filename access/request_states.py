"""Access requests as values: states, the transitions allowed between them, and their inputs.

Pure: no I/O. The workflow service (``access.request_service``) stores requests and applies these
rules.

    submitted ──► under review ──► approved ─────────────────┐
        │  │           │      └──► approved with conditions ─┴─► granted ──► expired
        │  │           └──► refused                                    └──► revoked
        │  └──► refused (policy pre-check, or a steward)
        └──► withdrawn  (also from under review and approved*)
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from access.errors import Conflict, InvalidInput

__all__ = [
    "MAX_DURATION_DAYS",
    "Conditions",
    "Mode",
    "NewRequest",
    "PurposeCode",
    "State",
    "check_transition",
    "combine",
    "filter_spec",
]

MAX_DURATION_DAYS = 365
_PURPOSE_MAX = 2000
_HOLDING_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


class State(StrEnum):
    SUBMITTED = "submitted"
    UNDER_REVIEW = "under-review"
    APPROVED = "approved"
    APPROVED_WITH_CONDITIONS = "approved-with-conditions"
    REFUSED = "refused"
    WITHDRAWN = "withdrawn"
    GRANTED = "granted"
    EXPIRED = "expired"
    REVOKED = "revoked"


PENDING = frozenset({State.SUBMITTED, State.UNDER_REVIEW})

_TRANSITIONS: dict[State, frozenset[State]] = {
    State.SUBMITTED: frozenset(
        {State.UNDER_REVIEW, State.APPROVED, State.APPROVED_WITH_CONDITIONS, State.REFUSED,
         State.WITHDRAWN}
    ),
    State.UNDER_REVIEW: frozenset(
        {State.APPROVED, State.APPROVED_WITH_CONDITIONS, State.REFUSED, State.WITHDRAWN}
    ),
    State.APPROVED: frozenset({State.GRANTED, State.WITHDRAWN}),
    State.APPROVED_WITH_CONDITIONS: frozenset({State.GRANTED, State.WITHDRAWN}),
    State.GRANTED: frozenset({State.EXPIRED, State.REVOKED}),
    State.REFUSED: frozenset(),
    State.WITHDRAWN: frozenset(),
    State.EXPIRED: frozenset(),
    State.REVOKED: frozenset(),
}  # fmt: skip


def check_transition(current: State, target: State) -> None:
    if target not in _TRANSITIONS[current]:
        raise Conflict(f"a request that is {current} cannot become {target}", code="bad-transition")


class Mode(StrEnum):
    DOWNLOAD = "download"
    EVALUATION = "evaluation"

    @property
    def operation(self) -> str:
        return "download" if self is Mode.DOWNLOAD else "evaluate"


class PurposeCode(StrEnum):
    MODEL_TRAINING = "model-training"
    MODEL_EVALUATION = "model-evaluation"
    VENDOR_ALGORITHM_VALIDATION = "vendor-algorithm-validation"
    RESEARCH = "research"


def _choice(enum: type[StrEnum], value: Any, name: str) -> Any:
    try:
        return enum(value)
    except ValueError:
        allowed = ", ".join(e.value for e in enum)
        raise InvalidInput(f"{name} must be one of {allowed}; got {value!r}") from None


def _days(value: Any, name: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= MAX_DURATION_DAYS:
        raise InvalidInput(f"{name} must be a whole number of days from 1 to {MAX_DURATION_DAYS}")
    return value


@dataclass(frozen=True)
class NewRequest:
    holding_id: str
    purpose: str
    purpose_code: PurposeCode
    mode: Mode
    duration_days: int
    item_filter: dict[str, Any] | None = None

    @classmethod
    def from_json(cls, body: Any) -> NewRequest:
        if not isinstance(body, dict):
            raise InvalidInput("request body must be a JSON object")
        allowed = {"holding", "purpose", "purpose_code", "mode", "duration_days", "item_filter"}
        unknown = sorted(set(body) - allowed)
        if unknown:
            raise InvalidInput(f"unknown field {unknown[0]!r}")
        holding = body.get("holding")
        if not isinstance(holding, str) or not _HOLDING_ID.fullmatch(holding):
            raise InvalidInput("holding must be a holding id")
        purpose = body.get("purpose")
        if not isinstance(purpose, str) or not purpose.strip() or len(purpose) > _PURPOSE_MAX:
            raise InvalidInput(f"purpose must be 1–{_PURPOSE_MAX} characters of free text")
        item_filter = body.get("item_filter")
        if item_filter is not None and not isinstance(item_filter, str | dict):
            raise InvalidInput("item_filter must be CQL2 text or CQL2 JSON")
        return cls(
            holding_id=holding,
            purpose=purpose.strip(),
            purpose_code=_choice(PurposeCode, body.get("purpose_code"), "purpose_code"),
            mode=_choice(Mode, body.get("mode"), "mode"),
            duration_days=_days(body.get("duration_days"), "duration_days"),
            item_filter=filter_spec(item_filter),
        )


def filter_spec(value: str | dict[str, Any] | None) -> dict[str, Any] | None:
    """A CQL2 filter as stored: ``{"lang": "cql2-text" | "cql2-json", "filter": ...}``."""
    if value is None:
        return None
    return {"lang": "cql2-text" if isinstance(value, str) else "cql2-json", "filter": value}


@dataclass(frozen=True)
class Conditions:
    """What stewards may impose on approval: shorter expiry, item subsets, evaluation only.

    ``item_filters`` are stored filter specs (see ``filter_spec``); an item must match all of
    them. One steward gives at most one; ``combine`` gathers every approving steward's.
    """

    max_days: int | None = None
    item_filters: tuple[dict[str, Any], ...] = ()
    evaluation_only: bool = False

    @property
    def any(self) -> bool:
        return self.max_days is not None or bool(self.item_filters) or self.evaluation_only

    def as_json(self) -> dict[str, Any]:
        return {
            "max_days": self.max_days,
            "item_filters": [dict(spec) for spec in self.item_filters],
            "evaluation_only": self.evaluation_only,
        }

    @classmethod
    def from_json(cls, body: Any) -> Conditions:
        """One steward's conditions as sent in an approval (``item_filter``: one CQL2 filter)."""
        if body is None:
            return cls()
        if not isinstance(body, dict):
            raise InvalidInput("conditions must be a JSON object")
        unknown = sorted(set(body) - {"max_days", "item_filter", "evaluation_only"})
        if unknown:
            raise InvalidInput(f"unknown condition {unknown[0]!r}")
        max_days = body.get("max_days")
        item_filter = body.get("item_filter")
        if item_filter is not None and not isinstance(item_filter, str | dict):
            raise InvalidInput("conditions.item_filter must be CQL2 text or CQL2 JSON")
        evaluation_only = body.get("evaluation_only", False)
        if not isinstance(evaluation_only, bool):
            raise InvalidInput("conditions.evaluation_only must be true or false")
        spec = filter_spec(item_filter)
        return cls(
            max_days=None if max_days is None else _days(max_days, "conditions.max_days"),
            item_filters=() if spec is None else (spec,),
            evaluation_only=evaluation_only,
        )

    @classmethod
    def from_stored(cls, stored: dict[str, Any] | None) -> Conditions:
        """Conditions as ``as_json`` stored them (also the older one-filter form)."""
        if not stored:
            return cls()
        specs = list(stored.get("item_filters") or [])
        if stored.get("item_filter"):
            specs.append(stored["item_filter"])
        return cls(
            max_days=stored.get("max_days"),
            item_filters=tuple(specs),
            evaluation_only=bool(stored.get("evaluation_only", False)),
        )


def combine(conditions: Iterable[Conditions]) -> Conditions:
    """Several stewards' conditions as one, each the stricter: item filters intersect (an item
    must match every one), the shortest duration wins, evaluation-only from any one holds."""
    days: list[int] = []
    filters: list[dict[str, Any]] = []
    evaluation_only = False
    for c in conditions:
        if c.max_days is not None:
            days.append(c.max_days)
        filters += [spec for spec in c.item_filters if spec not in filters]
        evaluation_only = evaluation_only or c.evaluation_only
    return Conditions(
        max_days=min(days) if days else None,
        item_filters=tuple(filters),
        evaluation_only=evaluation_only,
    )
