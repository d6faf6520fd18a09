"""Reading the audit log for auditors over HTTP: search, export and verify.

Each page scans the log in sequence order from the query's cursor, narrowed in SQL (actor,
action, time, holding, and to entries that could concern the reader's administration), and
decides every entry with ``access.audit_view.entry_view``. A page scans at most
:data:`SCAN_BUDGET` entries: a rare match in a long log gives a short (even empty) page with a
``next`` cursor rather than one unbounded scan. Verification of the whole chain is CPU work on
the node, so one runs at a time (a second caller gets 429).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import ColumnElement, Text, cast, or_
from sqlalchemy.orm import Session, sessionmaker

from access.audit_chain import AuditEntry, VerifyReport
from access.audit_log import AuditLog, entry_of, entry_select
from access.audit_view import AuditQuery, entry_view, named_holdings
from access.clock import Clock
from access.errors import TooManyRequests
from access.policy import HoldingResource, Principal
from access.tables import AuditEntryRow

__all__ = ["SCAN_BUDGET", "AuditPage", "AuditReader", "HoldingSecurity"]

SCAN_BUDGET = 10_000
_BATCH = 500


class HoldingSecurity(Protocol):
    """The catalogue's answer (a higher layer, injected at the root): a holding's attributes,
    or None when ``viewer_admin`` may not discover it or it does not exist."""

    def security(self, holding_id: str, viewer_admin: str) -> HoldingResource | None: ...


@dataclass(frozen=True)
class AuditPage:
    entries: list[dict[str, Any]]
    #: The cursor to continue from (``after``), or None when the log was read to its end.
    next_after: int | None


class AuditReader:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        audit: AuditLog,
        holdings: HoldingSecurity,
        clock: Clock,
    ) -> None:
        self._sessions, self._audit, self._holdings, self._clock = sessions, audit, holdings, clock
        self._verifying = threading.Lock()

    def page(self, reader: Principal, query: AuditQuery) -> AuditPage:
        """Up to ``query.limit`` entries ``reader`` may read, after ``query.after``."""
        entries: list[dict[str, Any]] = []
        known: dict[str, HoldingResource | None] = {}
        scanned, last = 0, query.after
        with self._sessions() as session:
            for entry in self._scan(session, reader, query):
                scanned, last = scanned + 1, entry.seq
                view = self._view(reader, entry, known)
                if view is not None:
                    entries.append(view)
                if len(entries) == query.limit or scanned == SCAN_BUDGET:
                    return AuditPage(entries, last)
        return AuditPage(entries, None)

    def export(self, reader: Principal, query: AuditQuery) -> Iterator[dict[str, Any]]:
        """Every entry ``reader`` may read that ``query`` selects, page by page."""
        after: int | None = query.after
        while after is not None:
            page = self.page(reader, query.with_after(after))
            yield from page.entries
            after = page.next_after

    def verify(self) -> VerifyReport:
        if not self._verifying.acquire(blocking=False):
            raise TooManyRequests(
                "a verification of the audit log is running: retry later", retry_after=5
            )
        try:
            return self._audit.verify()
        finally:
            self._verifying.release()

    # ---------------------------------------------------------------------------------------
    def _view(
        self, reader: Principal, entry: AuditEntry, known: dict[str, HoldingResource | None]
    ) -> dict[str, Any] | None:
        for name in named_holdings(entry.fields):
            if name not in known:
                known[name] = self._holdings.security(name, reader.admin)
        return entry_view(reader, entry, known, self._clock.now())

    def _scan(self, session: Session, reader: Principal, query: AuditQuery) -> Iterator[AuditEntry]:
        e = AuditEntryRow
        after = query.after
        while True:
            rows = session.execute(
                entry_select().where(e.seq > after, *_narrowing(reader, query))
                .order_by(e.seq)
                .limit(_BATCH)
            ).all()  # fmt: skip
            for row in rows:
                entry = entry_of(row)
                if query.matches(entry.fields):
                    yield entry
                after = entry.seq
            if len(rows) < _BATCH:
                return


def _narrowing(reader: Principal, query: AuditQuery) -> list[ColumnElement[bool]]:
    """SQL that keeps every entry the query and the reader could want (the exact test follows)."""
    e = AuditEntryRow
    details = cast(e.details, Text)
    # The reader's own users' entries, or ones that name a holding (whose owner may be theirs).
    could_concern = or_(
        e.admin == reader.admin,
        e.resource.startswith("holding:"),
        details.contains('"holding"'),
    )
    where: list[ColumnElement[bool]] = [could_concern]
    if query.actor is not None:
        where.append(e.actor == query.actor)
    if query.action is not None:
        wanted = query.action
        where.append(
            e.action.startswith(wanted[:-1], autoescape=True)
            if wanted.endswith("*")
            else e.action == wanted
        )
    if query.holding is not None:
        quoted = f'"{query.holding}"'
        where.append(
            or_(
                e.resource == f"holding:{query.holding}",
                details.contains(quoted, autoescape=True),
            )
        )
    if query.since is not None:
        where.append(e.at >= query.since)
    if query.until is not None:
        where.append(e.at < query.until)
    return where
