"""The model registry: admitted ONNX models with their cards, versions and shares.

``submit`` reads the card and runs the admission gate before anything is stored, then writes the
bytes (once per digest), the model row and the audit entry in one transaction; a refusal is
audited on its own and stores nothing else. Versions count from 1 per (owner administration,
``mlm:name``), assigned here. Who may see a model is decided by ``access.decide`` on a
``ModelResource`` (owner, shares); a model the caller may not see answers exactly as a missing
one (``ModelNotFound``).
"""

from __future__ import annotations

import builtins
import hashlib
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Final

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from access import (
    Action,
    AdministrationRow,
    AuditLog,
    Conflict,
    InvalidInput,
    ModelResource,
    PermissionDenied,
    Principal,
    decide,
    parse_admin_code,
    utc_text,
)
from models.admission import AdmissionLimits, admit
from models.card import ModelCard, model_item, parse_card
from models.errors import AdmissionRefused, CardInvalid, ModelNotFound, ModelsError
from models.tables import ModelBlobRow, ModelRow, ModelShareRow

__all__ = ["MAX_SHARES", "ModelRecord", "ModelRegistry"]

MAX_SHARES: Final = 50  # administrations named in one share call
_ATTEMPTS: Final = 3  # two submissions racing for one version number: the loser tries again


@dataclass(frozen=True)
class ModelRecord:
    """One registered model version as its readers see it."""

    id: str
    owner: str
    submitter: str
    name: str
    version: int
    sha256: str
    size: int
    task: str
    created: datetime
    item: Mapping[str, Any]  # the STAC item (MLM extension)
    shared_with: tuple[str, ...] = ()

    @property
    def card(self) -> ModelCard:
        """The card as the enclave reads it (from the stored item's properties)."""
        return parse_card(self.item["properties"])

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "owner": self.owner,
            "submitter": self.submitter,
            "name": self.name,
            "version": self.version,
            "sha256": self.sha256,
            "size": self.size,
            "task": self.task,
            "created": utc_text(self.created),
            "shared_with": list(self.shared_with),
            "item": dict(self.item),
        }


def _record(row: ModelRow, shares: Iterable[str]) -> ModelRecord:
    return ModelRecord(
        row.id,
        row.owner,
        row.submitter,
        row.name,
        row.version,
        row.sha256,
        row.size,
        row.task,
        row.created,
        row.card,
        tuple(sorted(shares)),
    )


class ModelRegistry:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        audit: AuditLog,
        limits: AdmissionLimits | None = None,
    ) -> None:
        self._sessions = sessions
        self._audit = audit
        self.limits = limits or AdmissionLimits()

    # ---------------------------------------------------------------- submission

    def submit(
        self, who: Principal, data: bytes, card_fields: Mapping[str, Any], now: datetime
    ) -> ModelRecord:
        """Admit and store one model version; ``CardInvalid`` or ``AdmissionRefused`` (audited)
        when the card or the model is refused, and nothing is stored."""
        if not decide(who, ModelResource(who.admin), Action.MODEL_SUBMIT, now):
            raise PermissionDenied("not allowed to submit models", code="role-lacks-action")
        digest = hashlib.sha256(data).hexdigest()
        try:
            card = parse_card(card_fields)
            admit(data, card, self.limits)
            model_id = "mdl-" + secrets.token_hex(8)
            item = model_item(
                card_fields,
                model_id=model_id,
                sha256=digest,
                size=len(data),
                owner=who.admin,
                created=now,
            )
        except (CardInvalid, AdmissionRefused) as exc:
            self._audit_refusal(who, digest, exc)
            raise
        for attempt in range(_ATTEMPTS):
            try:
                return self._store(who, data, card, item, now)
            except IntegrityError:
                if attempt == _ATTEMPTS - 1:
                    raise Conflict("the model registry is busy: try again") from None
        raise AssertionError("unreachable")

    def _store(
        self, who: Principal, data: bytes, card: ModelCard, item: dict[str, Any], now: datetime
    ) -> ModelRecord:
        digest = item["assets"]["model"]["file:checksum"][4:]
        with self._sessions.begin() as session:
            same = session.scalar(
                select(ModelRow.id).where(
                    ModelRow.owner == who.admin,
                    ModelRow.name == card.name,
                    ModelRow.sha256 == digest,
                )
            )
            if same is not None:
                raise Conflict(f"this model is already registered as {same}", code="model-exists")
            latest = session.scalar(
                select(func.max(ModelRow.version)).where(
                    ModelRow.owner == who.admin, ModelRow.name == card.name
                )
            )
            if session.get(ModelBlobRow, digest) is None:
                session.add(ModelBlobRow(sha256=digest, data=data))
                session.flush()
            row = ModelRow(
                id=item["id"],
                owner=who.admin,
                submitter=who.user,
                name=card.name,
                version=(latest or 0) + 1,
                sha256=digest,
                size=len(data),
                task=card.task,
                card=item,
                created=now,
            )
            row.card = {
                **item,
                "properties": {**item["properties"], "clearance:version": row.version},
            }
            session.add(row)
            session.flush()
            details = {"sha256": digest, "name": card.name, "version": row.version}
            self._log(session, who, "models.submit", f"model:{row.id}", "", details)
            return _record(row, ())

    def _audit_refusal(self, who: Principal, digest: str, exc: ModelsError) -> None:
        rule = exc.rule if isinstance(exc, AdmissionRefused) else exc.code
        with self._sessions.begin() as session:
            self._log(session, who, "models.submit", f"sha256:{digest}", rule, {})

    def _log(
        self,
        session: Session,
        who: Principal,
        action: str,
        resource: str,
        refused: str,
        details: Mapping[str, Any],
    ) -> None:
        """One audit entry in ``session``: allowed, or denied for the rule ``refused`` names."""
        self._audit.append(
            session,
            actor=who.user,
            admin=who.admin,
            action=action,
            resource=resource,
            decision="deny" if refused else "allow",
            reason=refused,
            details=details or None,
        )

    # ---------------------------------------------------------------- reading

    def get(self, who: Principal, model_id: str, now: datetime) -> ModelRecord:
        """The model, if ``who`` may see it; ``ModelNotFound`` alike for missing and hidden."""
        with self._sessions() as session:
            record = self._load(session, model_id)
        if record is None or not decide(who, _resource(record), Action.MODEL_READ, now):
            raise ModelNotFound()
        return record

    def list(self, who: Principal, now: datetime) -> list[ModelRecord]:
        """Every model ``who`` may see, newest first."""
        shared = select(ModelShareRow.model_id).where(ModelShareRow.admin == who.admin)
        query = (
            select(ModelRow)
            .where(or_(ModelRow.owner == who.admin, ModelRow.id.in_(shared)))
            .order_by(ModelRow.created.desc(), ModelRow.id)
        )
        with self._sessions() as session:
            rows = list(session.scalars(query))
            shares = self._shares(session, [r.id for r in rows])
        records = [_record(r, shares.get(r.id, ())) for r in rows]
        # the query is the SQL form of the rule; decide() has the last word on each
        return [r for r in records if decide(who, _resource(r), Action.MODEL_READ, now)]

    def bytes_of(self, model_id: str) -> bytes:
        """The model's bytes, for the enclave only (no caller check here: the evaluation service
        decides first), checked against the stored digest."""
        with self._sessions() as session:
            row = session.get(ModelRow, model_id)
            blob = None if row is None else session.get(ModelBlobRow, row.sha256)
            if row is None or blob is None:
                raise ModelNotFound()
            if hashlib.sha256(blob.data).hexdigest() != row.sha256:
                raise ModelsError("stored model bytes do not match their digest")
            return bytes(blob.data)

    def record(self, model_id: str) -> ModelRecord | None:
        """The model's record, for the enclave only (no caller check: its own policy decides)."""
        with self._sessions() as session:
            return self._load(session, model_id)

    def _load(self, session: Session, model_id: str) -> ModelRecord | None:
        row = session.get(ModelRow, model_id) if len(model_id) <= 20 else None
        if row is None:
            return None
        return _record(row, self._shares(session, [row.id]).get(row.id, ()))

    @staticmethod
    def _shares(session: Session, ids: Sequence[str]) -> dict[str, builtins.list[str]]:
        out: dict[str, builtins.list[str]] = {}
        if ids:
            rows = session.execute(
                select(ModelShareRow.model_id, ModelShareRow.admin).where(
                    ModelShareRow.model_id.in_(ids)
                )
            )
            for model_id, admin in rows:
                out.setdefault(model_id, []).append(admin)
        return out

    # ---------------------------------------------------------------- sharing

    def share(
        self, who: Principal, model_id: str, admins: Sequence[str], now: datetime
    ) -> ModelRecord:
        """Share the model with ``admins`` (administration codes known to the node); only its
        owner's researchers may. Sharing again with the same administration changes nothing."""
        codes = _admin_codes(admins)
        with self._sessions.begin() as session:
            record = self._load(session, model_id)
            if record is None or not decide(who, _resource(record), Action.MODEL_READ, now):
                raise ModelNotFound()
            if not decide(who, _resource(record), Action.MODEL_SHARE, now):
                raise PermissionDenied(
                    "only the owner administration shares a model", code="not-owner"
                )
            known = set(
                session.scalars(select(AdministrationRow.id).where(AdministrationRow.id.in_(codes)))
            )
            unknown = sorted(set(codes) - known)
            if unknown:
                raise InvalidInput(f"unknown administration {unknown[0]!r}")
            new = sorted(set(codes) - set(record.shared_with) - {record.owner})
            for admin in new:
                session.add(ModelShareRow(model_id=model_id, admin=admin, shared_at=now))
            self._log(session, who, "models.share", f"model:{model_id}", "", {"admins": new})
            return _record_with(record, new)


def _resource(record: ModelRecord) -> ModelResource:
    return ModelResource(record.owner, frozenset(record.shared_with))


def _record_with(record: ModelRecord, admins: Iterable[str]) -> ModelRecord:
    return replace(record, shared_with=tuple(sorted({*record.shared_with, *admins})))


def _admin_codes(admins: object) -> list[str]:
    if not isinstance(admins, list | tuple) or not 1 <= len(admins) <= MAX_SHARES:
        raise InvalidInput(f"admins must list 1 to {MAX_SHARES} administration codes")
    codes = []
    for admin in admins:
        if not isinstance(admin, str):
            raise InvalidInput("admins must list administration codes")
        try:
            codes.append(parse_admin_code(admin))
        except ValueError as exc:
            raise InvalidInput(str(exc)) from None
    return codes
