"""What an auditor may read of the audit log: the query, and each entry as that auditor sees it.

Pure: no I/O. ``access.audit_view_store`` reads the entries and the holdings' attributes.

An entry *concerns* the administration of its actor and the owner of every holding it names (its
``holding:…`` resource, its ``holding`` detail). ``decide(AUDIT_READ)`` on an
:class:`~access.policy.AuditEntryResource` lets an auditor read the entries that concern their
own administration, and no others.

An entry of one's own users may name a holding the auditor may not discover (a grant's holding
since narrowed, say). Its reason and details could tell that the holding exists, so such an entry
is shown *withheld*: sequence, time, actor, action and decision, with the resource, reason and
details replaced and no hash — the same for a hidden holding as for one that does not exist.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from access.audit_chain import AuditEntry, EntryFields, format_time
from access.errors import InvalidInput
from access.policy import (
    Action,
    AuditEntryResource,
    HoldingResource,
    Principal,
    decide,
    holding_id_owner,
)

__all__ = [
    "MAX_LIMIT",
    "WITHHELD",
    "AuditQuery",
    "concerns",
    "entry_view",
    "named_holdings",
]

MAX_LIMIT = 1000
WITHHELD = "withheld: names a holding you may not discover"
_PARAMS = frozenset({"actor", "action", "holding", "since", "until", "after", "limit"})
_ACTOR = re.compile(r"[A-Za-z0-9:._@-]{1,64}")
_ACTION = re.compile(r"[a-z0-9._-]{1,63}\*?")
_HOLDING = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
_MAX_SEQ = 2**53 - 1


@dataclass(frozen=True)
class AuditQuery:
    """Which entries: by actor, action (exact, or a prefix ending in ``*``), holding named, time
    (``since`` inclusive, ``until`` exclusive), after a sequence number (the paging cursor)."""

    actor: str | None = None
    action: str | None = None
    holding: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    after: int = 0
    limit: int = 100

    def __post_init__(self) -> None:
        for name, value, pattern in (
            ("actor", self.actor, _ACTOR),
            ("action", self.action, _ACTION),
            ("holding", self.holding, _HOLDING),
        ):
            if value is not None and not pattern.fullmatch(value):
                raise InvalidInput(f"{name}: not a valid {name} ({pattern.pattern})")
        for name, at in (("since", self.since), ("until", self.until)):
            if at is not None and at.tzinfo is None:
                raise InvalidInput(f"{name}: give a time zone (e.g. 2026-01-31T00:00:00Z)")
        if not 0 <= self.after <= _MAX_SEQ:
            raise InvalidInput("after: a sequence number from 0")
        if not 1 <= self.limit <= MAX_LIMIT:
            raise InvalidInput(f"limit: from 1 to {MAX_LIMIT}")

    @classmethod
    def from_params(cls, params: Mapping[str, str]) -> AuditQuery:
        """From URL query parameters (each at most once; unknown ones refused)."""
        unknown = sorted(set(params) - _PARAMS)
        if unknown:
            raise InvalidInput(
                f"unknown parameter {unknown[0]!r}: use {', '.join(sorted(_PARAMS))}"
            )
        return cls(
            actor=params.get("actor"),
            action=params.get("action"),
            holding=params.get("holding"),
            since=_time(params.get("since"), "since"),
            until=_time(params.get("until"), "until"),
            after=_int(params.get("after"), "after", 0),
            limit=_int(params.get("limit"), "limit", 100),
        )

    def with_after(self, after: int) -> AuditQuery:
        return AuditQuery(self.actor, self.action, self.holding, self.since, self.until, after,
                          self.limit)  # fmt: skip

    def params(self) -> dict[str, str]:
        """The query as URL parameters (for a next link)."""
        out = {k: v for k, v in (("actor", self.actor), ("action", self.action),
                                 ("holding", self.holding)) if v is not None}  # fmt: skip
        out |= {k: format_time(v) for k, v in (("since", self.since), ("until", self.until))
                if v is not None}  # fmt: skip
        return out | {"after": str(self.after), "limit": str(self.limit)}

    def matches(self, fields: EntryFields) -> bool:
        """The exact test (the store's SQL narrows first, then this decides)."""
        if self.actor is not None and fields.actor != self.actor:
            return False
        if self.action is not None and not _action_matches(self.action, fields.action):
            return False
        if self.holding is not None and self.holding not in named_holdings(fields):
            return False
        if self.since is not None and fields.at < self.since:
            return False
        return self.until is None or fields.at < self.until


def _action_matches(wanted: str, action: str) -> bool:
    return action.startswith(wanted[:-1]) if wanted.endswith("*") else action == wanted


def _time(text: str | None, name: str) -> datetime | None:
    if text is None:
        return None
    try:
        if len(text) > 40:
            raise ValueError(text)
        return datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"{name}: not an RFC 3339 time such as 2026-01-31T00:00:00Z") from None


def _int(text: str | None, name: str, default: int) -> int:
    if text is None:
        return default
    if not text.isdigit() or len(text) > 16:
        raise InvalidInput(f"{name}: a whole number")
    return int(text)


def named_holdings(fields: EntryFields) -> list[str]:
    """The holdings an entry names: its ``holding:…`` resource and its ``holding`` detail."""
    names = []
    if fields.resource.startswith("holding:"):
        names.append(fields.resource.removeprefix("holding:"))
    detail = fields.details.get("holding")
    if isinstance(detail, str) and detail not in names:
        names.append(detail)
    return names


def concerns(fields: EntryFields, holdings: Mapping[str, HoldingResource | None]) -> frozenset[str]:
    """The administrations an entry concerns: its actor's, and each named holding's owner
    (from ``holdings`` where the reader may discover it, else from the id's prefix)."""
    found = {fields.admin} if fields.admin else set()
    for name in named_holdings(fields):
        known = holdings.get(name)
        found.add(known.owner if known is not None else holding_id_owner(name))
    return frozenset(found - {""})


def entry_view(
    reader: Principal,
    entry: AuditEntry,
    holdings: Mapping[str, HoldingResource | None],
    now: datetime,
) -> dict[str, Any] | None:
    """The entry as ``reader`` may see it, or None when it is not theirs to read.

    ``holdings`` maps each holding the entry names to its attributes, or None where ``reader``
    may not discover it (or it does not exist)."""
    resource = AuditEntryResource(concerns(entry.fields, holdings))
    if not decide(reader, resource, Action.AUDIT_READ, now).allowed:
        return None
    # Not prev_hash: it is the previous entry's hash, and that entry may be withheld (or not
    # the reader's): its hash would let them test guesses of what it names. The chain is
    # verified on the node (``GET /audit/verify``), not from a reader's view.
    document = {k: v for k, v in entry.document().items() if k != "prev_hash"}
    hidden = [
        name
        for name in named_holdings(entry.fields)
        if (found := holdings.get(name)) is None
        or not decide(reader, found, Action.DISCOVER, now).allowed
    ]
    if hidden:
        document |= {"resource": "", "reason": WITHHELD, "details": {}, "withheld": True}
        del document["hash"]
    return document
