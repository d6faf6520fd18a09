"""The one access policy: ``decide(principal, resource, action, now) -> Decision``.

Every route and service asks this function, and nothing else, whether an access is allowed. It is
pure: no I/O, the clock is an argument, and every denial carries a machine-readable reason that goes
into the audit log. SQL-side visibility filters (catalog search) are a translation of the
``Action.DISCOVER`` branch and are tested against it, combination by combination.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from access.vocabulary import ALL_PARTNERS, Discovery, Handling, Level, Role

__all__ = [
    "NODE",
    "ROLE_ACTIONS",
    "Action",
    "AuditEntryResource",
    "Decision",
    "EnclaveResource",
    "EvaluationResource",
    "GrantResource",
    "HeldGrant",
    "HoldingResource",
    "ModelResource",
    "NewHoldingResource",
    "NodeResource",
    "Principal",
    "Reason",
    "RequestResource",
    "Resource",
    "decide",
    "holding_id_owner",
    "may_discover",
    "may_see_items",
]


class Action(StrEnum):
    """``scope:resource:action``; routes declare which one they need."""

    CATALOG_READ = "catalog:catalogue:read"  # call catalogue routes at all
    DISCOVER = "catalog:holding:discover"  # learn that a holding exists, see its metadata
    READ_ITEMS = "catalog:holding:read-items"  # see its items (per-scan metadata), exact counts
    PUBLISH = "catalog:holding:publish"
    REQUEST_DOWNLOAD = "access:holding:request-download"
    REQUEST_EVALUATION = "access:holding:request-evaluation"
    ADMIN_MANAGE = "access:node:manage"  # administrations, users, keys
    AUDIT_READ = "access:audit:read"
    REQUEST_READ = "access:request:read"  # see one request (own, or as its reviewer)
    REQUEST_WITHDRAW = "access:request:withdraw"
    REVIEW = "access:request:review"  # approve or refuse
    GRANT_REVOKE = "access:grant:revoke"
    GRANT_READ = "access:grant:read"  # a grant's metadata (its subject, the owner's reviewers)
    GRANT_TOKEN_READ = "access:grant:read-token"  # noqa: S105 (an action name; token: subject only)
    KEYS_REGISTER = "access:keys:register"  # a researcher's Crypt4GH public key
    # --- the evaluation enclave (models) ---
    EVALUATE = "models:holding:evaluate"  # submit an evaluation under one's live evaluate grant
    EVALUATION_READ = "models:evaluation:read"  # its submitter; the owner's stewards
    EVALUATION_REVIEW = "models:evaluation:review"  # release or refuse: the owner's stewards
    LEADERBOARD_READ = "models:holding:leaderboard"  # owner's users; live evaluate grant holders
    ENCLAVE_POLICY = "models:holding:enclave-policy"  # review, budget, grid: the owner's stewards
    # models (issue 10): the model registry
    MODEL_SUBMIT = "models:model:submit"
    MODEL_READ = "models:model:read"  # see a model's item (its owner's and sharees' users)
    MODEL_SHARE = "models:model:share"  # share it with other administrations (owner's researchers)


#: What each role may do at all; resource rules below narrow it further.
ROLE_ACTIONS: dict[Role, frozenset[Action]] = {
    Role.RESEARCHER: frozenset(
        {
            Action.CATALOG_READ,
            Action.DISCOVER,
            Action.READ_ITEMS,
            Action.REQUEST_DOWNLOAD,
            Action.REQUEST_EVALUATION,
            Action.REQUEST_READ,
            Action.REQUEST_WITHDRAW,
            Action.KEYS_REGISTER,
            Action.GRANT_READ,
            Action.GRANT_TOKEN_READ,
            Action.EVALUATE,
            Action.EVALUATION_READ,
            Action.LEADERBOARD_READ,
            Action.MODEL_SUBMIT,
            Action.MODEL_READ,
            Action.MODEL_SHARE,
        }
    ),
    Role.STEWARD: frozenset(
        {
            Action.CATALOG_READ,
            Action.DISCOVER,
            Action.READ_ITEMS,
            Action.PUBLISH,
            Action.REQUEST_READ,
            Action.REVIEW,
            Action.GRANT_REVOKE,
            Action.GRANT_READ,
            Action.EVALUATION_READ,
            Action.EVALUATION_REVIEW,
            Action.LEADERBOARD_READ,
            Action.ENCLAVE_POLICY,
            Action.MODEL_READ,
        }
    ),
    Role.OPERATOR: frozenset(
        {
            Action.CATALOG_READ,
            Action.DISCOVER,
            Action.READ_ITEMS,
            Action.PUBLISH,
            Action.ADMIN_MANAGE,
            Action.LEADERBOARD_READ,
        }
    ),
    Role.AUDITOR: frozenset(
        {
            Action.CATALOG_READ,
            Action.DISCOVER,
            Action.READ_ITEMS,
            Action.AUDIT_READ,
            Action.REQUEST_READ,
            Action.GRANT_READ,
            Action.LEADERBOARD_READ,
            Action.MODEL_READ,
        }
    ),
}

_HOLDING_ACTIONS = frozenset(
    {
        Action.DISCOVER,
        Action.READ_ITEMS,
        Action.PUBLISH,
        Action.REQUEST_DOWNLOAD,
        Action.REQUEST_EVALUATION,
    }
)
_REQUEST_ACTIONS = frozenset(
    {Action.REQUEST_READ, Action.REQUEST_WITHDRAW, Action.REVIEW, Action.GRANT_REVOKE}
)
_GRANT_ACTIONS = frozenset({Action.GRANT_READ, Action.GRANT_TOKEN_READ})


class Reason(StrEnum):
    ALLOWED = "allowed"
    ROLE_LACKS_ACTION = "role-lacks-action"
    NOT_DISCOVERABLE = "not-discoverable"
    NOT_OWNER = "not-owner"
    NOT_RELEASABLE = "not-releasable"
    CLEARANCE_BELOW_LEVEL = "clearance-below-level"
    ITEMS_NOT_RELEASED = "items-not-released"
    LEVEL_R4_NEVER_SERVED = "level-r4-never-served"
    HANDLING_FORBIDS_MODE = "handling-forbids-mode"
    ACTION_NOT_APPLICABLE = "action-not-applicable"
    OWN_REQUEST = "own-request"
    NOT_REQUESTER = "not-requester"
    NOT_SUBJECT = "not-subject"
    NO_LIVE_GRANT = "no-live-evaluate-grant"
    NOT_SUBMITTER = "not-submitter"
    OWN_EVALUATION = "own-evaluation"


@dataclass(frozen=True)
class Principal:
    """An authenticated user of a partner administration."""

    user: str
    admin: str
    roles: frozenset[Role]
    clearance: Level

    def __post_init__(self) -> None:
        if not self.roles:
            raise ValueError("a principal needs at least one role")
        if self.clearance is Level.R4:
            raise ValueError("no user may hold R4 clearance: R4 content is never served")


@dataclass(frozen=True)
class AuditEntryResource:
    """One audit entry: the administrations it concerns (its actor's, the owners of the
    holdings it names; see ``access.audit_view.concerns``)."""

    concerns: frozenset[str]


@dataclass(frozen=True)
class NodeResource:
    """The node as a whole: asked by every route before it runs ("may this role do this kind
    of thing at all?"); holding and request checks follow in the services."""


NODE = NodeResource()


@dataclass(frozen=True)
class HoldingResource:
    """The security-relevant attributes of one holding (a STAC collection)."""

    owner: str
    level: Level
    releasable_to: frozenset[str]
    handling: Handling
    discovery: Discovery

    def __post_init__(self) -> None:
        if not self.releasable_to:
            raise ValueError("releasable_to must name administrations or ALL")
        if ALL_PARTNERS in self.releasable_to and len(self.releasable_to) > 1:
            raise ValueError("releasable_to mixes ALL with administration codes")

    def releasable_to_admin(self, admin: str) -> bool:
        return admin == self.owner or bool({ALL_PARTNERS, admin} & self.releasable_to)


#: A holding id names its owner: ``<ADMIN>-<name>`` (``NLD-cargo-2025``), 1–128 characters.
_OWNED_HOLDING_ID = re.compile(r"^([A-Z]{3})-[A-Za-z0-9][A-Za-z0-9._-]{0,123}$")


def holding_id_owner(holding_id: str) -> str:
    """The administration a holding id names by its prefix, or ``""`` when it names none."""
    found = _OWNED_HOLDING_ID.fullmatch(holding_id)
    return found.group(1) if found else ""


@dataclass(frozen=True)
class NewHoldingResource:
    """A holding id that is not published yet: its owner-to-be is the administration the id
    names (``holding_id_owner``), ``""`` when it names none. Only PUBLISH applies to it."""

    owner: str


@dataclass(frozen=True)
class RequestResource:
    """An access request (and the grant it led to): who asked, and whose holding it is."""

    owner: str
    requester: str
    requester_admin: str


@dataclass(frozen=True)
class GrantResource:
    """An issued grant: whose holding it opens, and to whom it was issued."""

    owner: str
    subject: str


# --- the evaluation enclave (models) ---


@dataclass(frozen=True)
class HeldGrant:
    """What the policy needs of one issued grant (as the node's grant table has it now)."""

    subject: str
    holding_id: str
    operations: frozenset[str]
    expires_at: datetime
    revoked: bool

    def lets(self, principal: Principal, holding_id: str, operation: str, now: datetime) -> bool:
        """Live and ``principal``'s own, on this holding, for this operation."""
        return (
            self.subject == principal.user
            and self.holding_id == holding_id
            and operation in self.operations
            and not self.revoked
            and now < self.expires_at
        )


@dataclass(frozen=True)
class EnclaveResource:
    """A holding as the enclave sees it: its attributes now, and the grant the caller holds on
    it (the one a submission names; for a leaderboard, any live evaluate grant), if any."""

    holding_id: str
    holding: HoldingResource
    grant: HeldGrant | None


@dataclass(frozen=True)
class EvaluationResource:
    """One submitted evaluation: whose holding it ran on, and who submitted it."""

    owner: str
    submitter: str


# --- models (issue 10): the model registry's resource and rule ---------------------------------

_MODEL_ACTIONS = frozenset({Action.MODEL_SUBMIT, Action.MODEL_READ, Action.MODEL_SHARE})


@dataclass(frozen=True)
class ModelResource:
    """A registered model (or one being submitted: its owner-to-be, nobody shared): whose it is,
    and which other administrations it is shared with."""

    owner: str
    shared_with: frozenset[str] = frozenset()


def _decide_model(principal: Principal, model: ModelResource, action: Action) -> Decision:
    """Users of the owner administration and of those it is shared with may read a model;
    only the owner's researchers submit and share (the role table says who is a researcher)."""
    if action not in _MODEL_ACTIONS:
        return _deny(Reason.ACTION_NOT_APPLICABLE)
    if principal.admin == model.owner:
        return _ALLOW
    if action is Action.MODEL_READ and principal.admin in model.shared_with:
        return _ALLOW
    return _deny(Reason.NOT_OWNER)


# --- end of the model registry's block -----------------------------------------------------------

Resource = (
    NodeResource
    | HoldingResource
    | NewHoldingResource
    | RequestResource
    | GrantResource
    | EnclaveResource
    | EvaluationResource
    | ModelResource
    | AuditEntryResource
)


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: Reason

    def __bool__(self) -> bool:
        return self.allowed


_ALLOW = Decision(True, Reason.ALLOWED)


def _deny(reason: Reason) -> Decision:
    return Decision(False, reason)


def may_discover(admin: str, holding: HoldingResource) -> bool:
    """Whether users of ``admin`` may learn that ``holding`` exists (the DISCOVER rule alone)."""
    if admin == holding.owner or holding.discovery is Discovery.PARTNERS:
        return True
    return holding.releasable_to_admin(admin)


def may_see_items(principal: Principal, holding: HoldingResource) -> bool:
    """Whether ``principal`` may see the items of ``holding`` (per-scan dates, declared goods,
    inspection outcomes, label overviews) and hence exact counts of it (the READ_ITEMS rule alone).

    The owner always may. Item metadata of R0/R1 holdings goes to everyone who may discover the
    holding. From R2 it is itself sensitive: only administrations in REL TO, and only users
    cleared to the holding's level; an R4 holding has no items anyone but its owner may see.
    """
    if principal.admin == holding.owner:
        return True
    if not may_discover(principal.admin, holding):
        return False
    if holding.level <= Level.R1:
        return True
    if holding.level is Level.R4:
        return False
    return holding.releasable_to_admin(principal.admin) and principal.clearance >= holding.level


def decide(principal: Principal, resource: Resource, action: Action, now: datetime) -> Decision:
    """Decide one access. ``now`` bounds time-limited resources (the enclave's grants)."""
    if not any(action in ROLE_ACTIONS[role] for role in principal.roles):
        return _deny(Reason.ROLE_LACKS_ACTION)
    if isinstance(resource, NodeResource):
        # The route gate: the role may do this kind of thing at all. The service then asks
        # again about the particular holding or request.
        return _ALLOW
    if isinstance(resource, RequestResource):
        return _decide_request(principal, resource, action)
    if isinstance(resource, GrantResource):
        return _decide_grant(principal, resource, action)
    if isinstance(resource, EnclaveResource):
        return _decide_enclave(principal, resource, action, now)
    if isinstance(resource, EvaluationResource):
        return _decide_evaluation(principal, resource, action)
    if isinstance(resource, ModelResource):
        return _decide_model(principal, resource, action)
    if isinstance(resource, AuditEntryResource):
        # An auditor reads what concerns their own administration: its users' actions and
        # what was done to its holdings.
        if action is not Action.AUDIT_READ:
            return _deny(Reason.ACTION_NOT_APPLICABLE)
        return _ALLOW if principal.admin in resource.concerns else _deny(Reason.NOT_OWNER)
    if action not in _HOLDING_ACTIONS or (
        isinstance(resource, NewHoldingResource) and action is not Action.PUBLISH
    ):
        return _deny(Reason.ACTION_NOT_APPLICABLE)
    if action is Action.PUBLISH:
        # Ownership alone, before discovery: a non-owner gets the same answer for a stored,
        # hidden or free id, so publishing cannot probe which ids exist.
        return _ALLOW if principal.admin == resource.owner else _deny(Reason.NOT_OWNER)
    assert isinstance(resource, HoldingResource)
    if not may_discover(principal.admin, resource):
        return _deny(Reason.NOT_DISCOVERABLE)
    if action is Action.DISCOVER:
        return _ALLOW
    if action is Action.READ_ITEMS:
        return _ALLOW if may_see_items(principal, resource) else _deny(Reason.ITEMS_NOT_RELEASED)
    return _decide_data_access(principal, resource, action)


def _decide_request(principal: Principal, request: RequestResource, action: Action) -> Decision:
    """Requesters see and withdraw their own; the owner's stewards review, never their own;
    the owner's auditors may read."""
    if action not in _REQUEST_ACTIONS:
        return _deny(Reason.ACTION_NOT_APPLICABLE)
    is_requester = principal.user == request.requester
    if action is Action.REQUEST_WITHDRAW:
        return _ALLOW if is_requester else _deny(Reason.NOT_REQUESTER)
    if action is Action.REQUEST_READ and is_requester:
        return _ALLOW
    if principal.admin != request.owner:
        return _deny(Reason.NOT_OWNER)
    if action is Action.REQUEST_READ:
        reviewers = {Role.STEWARD, Role.AUDITOR}
        return _ALLOW if principal.roles & reviewers else _deny(Reason.NOT_REQUESTER)
    if is_requester:
        return _deny(Reason.OWN_REQUEST)
    return _ALLOW


def _decide_grant(principal: Principal, grant: GrantResource, action: Action) -> Decision:
    """A grant's token is a bearer credential for its subject alone; the owner's stewards and
    auditors may read its metadata (to review and revoke), nobody else even learns of it."""
    if action not in _GRANT_ACTIONS:
        return _deny(Reason.ACTION_NOT_APPLICABLE)
    if principal.user == grant.subject:
        return _ALLOW
    if action is Action.GRANT_TOKEN_READ:
        return _deny(Reason.NOT_SUBJECT)
    if principal.admin != grant.owner:
        return _deny(Reason.NOT_OWNER)
    reviewers = {Role.STEWARD, Role.AUDITOR}
    return _ALLOW if principal.roles & reviewers else _deny(Reason.NOT_SUBJECT)


def _decide_data_access(principal: Principal, holding: HoldingResource, action: Action) -> Decision:
    if holding.level is Level.R4:
        return _deny(Reason.LEVEL_R4_NEVER_SERVED)
    if not holding.releasable_to_admin(principal.admin):
        return _deny(Reason.NOT_RELEASABLE)
    if principal.clearance < holding.level:
        return _deny(Reason.CLEARANCE_BELOW_LEVEL)
    allowed_handling = (
        {Handling.DOWNLOAD}
        if action is Action.REQUEST_DOWNLOAD
        else {Handling.DOWNLOAD, Handling.ENCLAVE_ONLY}
    )
    if holding.handling not in allowed_handling:
        return _deny(Reason.HANDLING_FORBIDS_MODE)
    return _ALLOW


# --- the evaluation enclave (models) ------------------------------------------------------------

_ENCLAVE_ACTIONS = frozenset({Action.EVALUATE, Action.LEADERBOARD_READ, Action.ENCLAVE_POLICY})


def _decide_enclave(
    principal: Principal, target: EnclaveResource, action: Action, now: datetime
) -> Decision:
    """EVALUATE: the caller's own live evaluate grant on the holding, and the holding as it is
    now still open to them for evaluation (level, REL TO, clearance, handling). The owner's
    users read its leaderboard, and so does whoever may evaluate on it; only the owner's
    stewards set its enclave policy."""
    if action not in _ENCLAVE_ACTIONS:
        return _deny(Reason.ACTION_NOT_APPLICABLE)
    holding = target.holding
    is_owner = principal.admin == holding.owner
    if action is Action.ENCLAVE_POLICY:
        return _ALLOW if is_owner else _deny(Reason.NOT_OWNER)
    if action is Action.LEADERBOARD_READ and is_owner:
        return _ALLOW
    grant = target.grant
    if grant is None or not grant.lets(principal, target.holding_id, "evaluate", now):
        return _deny(Reason.NO_LIVE_GRANT)
    if not may_discover(principal.admin, holding):
        return _deny(Reason.NOT_DISCOVERABLE)
    return _decide_data_access(principal, holding, Action.REQUEST_EVALUATION)


def _decide_evaluation(
    principal: Principal, evaluation: EvaluationResource, action: Action
) -> Decision:
    """Its submitter reads it; the owner's stewards read and review it, never their own."""
    if action not in {Action.EVALUATION_READ, Action.EVALUATION_REVIEW}:
        return _deny(Reason.ACTION_NOT_APPLICABLE)
    is_submitter = principal.user == evaluation.submitter
    if action is Action.EVALUATION_READ and is_submitter:
        return _ALLOW
    if principal.admin != evaluation.owner or Role.STEWARD not in principal.roles:
        return _deny(Reason.NOT_SUBMITTER if action is Action.EVALUATION_READ else Reason.NOT_OWNER)
    if action is Action.EVALUATION_REVIEW and is_submitter:
        return _deny(Reason.OWN_EVALUATION)
    return _ALLOW
