"""``access.policy.decide`` against an independent statement of its rules, for every combination.

The expected value below is written from ARCHITECTURE.md ("Restrictedness") and the policy's
docstrings, as a flat list of guards checked in order; it does not call into ``access.policy``
except for the types it has to construct. Hand-written spot checks pin a few reasons explicitly so
that the table is not only a second copy of the same reading.
"""

from __future__ import annotations

import itertools
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from access.policy import (
    NODE,
    ROLE_ACTIONS,
    Action,
    Decision,
    GrantResource,
    HoldingResource,
    ModelResource,
    NewHoldingResource,
    NodeResource,
    Principal,
    Reason,
    decide,
    holding_id_owner,
    may_discover,
    may_see_items,
)
from access.vocabulary import ALL_PARTNERS, Discovery, Handling, Level, Role

NOW = datetime(2026, 1, 1, tzinfo=UTC)
OWNER = "NLD"
IN_REL_TO = "GBR"
NOT_IN_REL_TO = "AUS"
EXPLICIT_REL_TO = frozenset({"GBR", "USA"})  # names neither the owner nor AUS
REL_TOS = (EXPLICIT_REL_TO, frozenset({ALL_PARTNERS}))
CLEARANCES = (Level.R0, Level.R1, Level.R2, Level.R3)
ROLE_SETS = tuple(
    frozenset(c) for n in range(1, len(Role) + 1) for c in itertools.combinations(Role, n)
)

HOLDING_ACTIONS = (
    Action.DISCOVER,
    Action.READ_ITEMS,
    Action.PUBLISH,
    Action.REQUEST_DOWNLOAD,
    Action.REQUEST_EVALUATION,
)


# The role table for the holding and node actions, spelled out by action *value* so that a renamed
# or re-mapped enum shows up. (Actions on requests and grants are decided by another branch of
# ``decide`` and are not covered here; the table below is compared on these seven actions only.)
BASE_ROLE_ACTIONS: dict[str, set[str]] = {
    "researcher": {
        "catalog:catalogue:read",
        "catalog:holding:discover",
        "catalog:holding:read-items",
        "access:holding:request-download",
        "access:holding:request-evaluation",
    },
    "steward": {
        "catalog:catalogue:read",
        "catalog:holding:discover",
        "catalog:holding:read-items",
        "catalog:holding:publish",
    },
    "operator": {
        "catalog:catalogue:read",
        "catalog:holding:discover",
        "catalog:holding:read-items",
        "catalog:holding:publish",
        "access:node:manage",
    },
    "auditor": {
        "catalog:catalogue:read",
        "catalog:holding:discover",
        "catalog:holding:read-items",
        "access:audit:read",
    },
}
BASE_ACTION_VALUES = set().union(*BASE_ROLE_ACTIONS.values())


_ENCLAVE = {
    "models:holding:evaluate",
    "models:holding:leaderboard",
    "models:holding:enclave-policy",
}


def _resource_kind(action: Action) -> str:
    """Actions are named ``scope:resource:action``; the middle part says what they apply to."""
    return action.value.split(":")[1]


def _role_allows(roles: frozenset[Role], action: Action) -> bool:
    return any(action in ROLE_ACTIONS[role] for role in roles)


def _releasable(admin: str, owner: str, rel_to: frozenset[str]) -> bool:
    return admin == owner or rel_to == {ALL_PARTNERS} or admin in rel_to


def _discoverable(admin: str, owner: str, rel_to: frozenset[str], discovery: Discovery) -> bool:
    if admin == owner:
        return True  # the owner always sees its own holdings
    if discovery.value == "partners":
        return True  # every partner may learn that it exists
    return _releasable(admin, owner, rel_to)  # "releasable": only the REL TO list


def _items_released(
    admin: str, clearance: Level, owner: str, level: Level, rel_to: frozenset[str]
) -> bool:
    """Item-level metadata: the owner; anyone who discovers an R0/R1 holding; from R2 only REL
    TO administrations' users cleared to the level; R4 items to nobody but the owner."""
    if admin == owner or level.value <= 1:
        return True
    return level.value <= 3 and _releasable(admin, owner, rel_to) and clearance.value >= level.value


def expected_on_holding(
    admin: str,
    roles: frozenset[Role],
    clearance: Level,
    owner: str,
    level: Level,
    rel_to: frozenset[str],
    handling: Handling,
    discovery: Discovery,
    action: Action,
) -> tuple[bool, str]:
    """First failing guard wins; a holding the caller may not discover reveals nothing else."""
    act = action.value
    data_action = act in {"access:holding:request-download", "access:holding:request-evaluation"}
    if act == "access:holding:request-download":
        modes = {"download"}
    else:
        modes = {"download", "enclave-only"}
    guards: list[tuple[bool, str]] = [
        (_role_allows(roles, action), "role-lacks-action"),
        # the enclave's holding actions are decided on the holding with the caller's grant
        # (EnclaveResource, tests/access/test_enclave_policy.py), never on the bare holding
        (_resource_kind(action) == "holding" and act not in _ENCLAVE, "action-not-applicable"),
        # publishing: ownership alone, before discovery (no probing of ids by publishing)
        (act != "catalog:holding:publish" or admin == owner, "not-owner"),
        (_discoverable(admin, owner, rel_to, discovery), "not-discoverable"),
        (
            act != "catalog:holding:read-items"
            or _items_released(admin, clearance, owner, level, rel_to),
            "items-not-released",
        ),
        (not data_action or level.value <= 3, "level-r4-never-served"),
        (not data_action or _releasable(admin, owner, rel_to), "not-releasable"),
        (not data_action or clearance.value >= level.value, "clearance-below-level"),
        (not data_action or handling.value in modes, "handling-forbids-mode"),
    ]
    for ok, reason in guards:
        if not ok:
            return False, reason
    return True, "allowed"


def expected_on_node(roles: frozenset[Role], action: Action) -> tuple[bool, str]:
    if not _role_allows(roles, action):
        return False, "role-lacks-action"
    return True, "allowed"  # the route gate: the resource checks come later


def test_role_table_is_the_documented_one() -> None:
    assert {a.value for a in Action} >= BASE_ACTION_VALUES
    pinned = {
        r.value: {a.value for a in acts if a.value in BASE_ACTION_VALUES}
        for r, acts in ROLE_ACTIONS.items()
    }
    assert pinned == BASE_ROLE_ACTIONS
    assert set(ROLE_ACTIONS) == set(Role)
    # the sensitive ones, in words: only operators manage the node, only auditors read the audit
    # log, only researchers ask for data
    assert {r for r, a in ROLE_ACTIONS.items() if Action.ADMIN_MANAGE in a} == {Role.OPERATOR}
    assert {r for r, a in ROLE_ACTIONS.items() if Action.AUDIT_READ in a} == {Role.AUDITOR}
    assert {r for r, a in ROLE_ACTIONS.items() if Action.REQUEST_DOWNLOAD in a} == {Role.RESEARCHER}


def test_decide_on_holdings_matches_the_rules_for_every_combination() -> None:
    seen: Counter[str] = Counter()
    checked = 0
    for admin, roles, clearance, level, handling, discovery, rel_to, action in itertools.product(
        (OWNER, IN_REL_TO, NOT_IN_REL_TO),
        ROLE_SETS,
        CLEARANCES,
        Level,
        Handling,
        Discovery,
        REL_TOS,
        Action,
    ):
        principal = Principal("u", admin, roles, clearance)
        holding = HoldingResource(OWNER, level, rel_to, handling, discovery)
        got = decide(principal, holding, action, NOW)
        want = expected_on_holding(
            admin, roles, clearance, OWNER, level, rel_to, handling, discovery, action
        )
        assert (got.allowed, got.reason.value) == want, (principal, holding, action)
        assert isinstance(got, Decision)
        assert bool(got) is got.allowed
        seen[want[1]] += 1
        checked += 1
    assert checked == 3 * 15 * 4 * 5 * 3 * 2 * 2 * len(Action)
    # the table reaches every reason a holding can produce (so no branch is untested)
    assert set(seen) == {
        "allowed",
        "role-lacks-action",
        "action-not-applicable",
        "not-discoverable",
        "not-owner",
        "items-not-released",
        "level-r4-never-served",
        "not-releasable",
        "clearance-below-level",
        "handling-forbids-mode",
    }
    assert set(seen) <= {r.value for r in Reason}


def test_decide_on_the_node_matches_the_rules() -> None:
    for admin, roles, clearance, action in itertools.product(
        (OWNER, NOT_IN_REL_TO), ROLE_SETS, CLEARANCES, Action
    ):
        got = decide(Principal("u", admin, roles, clearance), NODE, action, NOW)
        assert (got.allowed, got.reason.value) == expected_on_node(roles, action), (roles, action)
    assert NodeResource() == NODE


def test_decide_does_not_depend_on_the_clock() -> None:
    principal = Principal("u", IN_REL_TO, frozenset({Role.RESEARCHER}), Level.R2)
    holding = HoldingResource(
        OWNER, Level.R2, EXPLICIT_REL_TO, Handling.DOWNLOAD, Discovery.PARTNERS
    )
    for action in Action:
        results = {
            decide(principal, holding, action, NOW + timedelta(days=d)) for d in (-400, 0, 400)
        }
        assert len(results) == 1


def test_may_discover_is_the_discover_rule() -> None:
    for admin, level, handling, discovery, rel_to in itertools.product(
        (OWNER, IN_REL_TO, NOT_IN_REL_TO), Level, Handling, Discovery, REL_TOS
    ):
        holding = HoldingResource(OWNER, level, rel_to, handling, discovery)
        want = _discoverable(admin, OWNER, rel_to, discovery)
        assert may_discover(admin, holding) is want
        # a role allowed to DISCOVER gets exactly that answer
        auditor = Principal("u", admin, frozenset({Role.AUDITOR}), Level.R0)
        assert decide(auditor, holding, Action.DISCOVER, NOW).allowed is want


def test_may_see_items_is_the_read_items_rule() -> None:
    for admin, clearance, level, handling, discovery, rel_to in itertools.product(
        (OWNER, IN_REL_TO, NOT_IN_REL_TO), CLEARANCES, Level, Handling, Discovery, REL_TOS
    ):
        holding = HoldingResource(OWNER, level, rel_to, handling, discovery)
        principal = Principal("u", admin, frozenset({Role.AUDITOR}), clearance)
        want = _discoverable(admin, OWNER, rel_to, discovery) and _items_released(
            admin, clearance, OWNER, level, rel_to
        )
        assert may_see_items(principal, holding) is want, (principal, holding)
        assert decide(principal, holding, Action.READ_ITEMS, NOW).allowed is want
        # seeing items implies discovering the holding
        assert not want or may_discover(admin, holding)


def test_undiscoverable_holding_gives_one_answer_whatever_its_other_attributes() -> None:
    """Indistinguishable from absent: the reason never depends on level, handling or action."""
    researcher = Principal("u", NOT_IN_REL_TO, frozenset(Role), Level.R3)
    reasons = {
        decide(
            researcher,
            HoldingResource(OWNER, lvl, EXPLICIT_REL_TO, h, Discovery.RELEASABLE),
            a,
            NOW,
        )
        for lvl, h, a in itertools.product(Level, Handling, HOLDING_ACTIONS)
        if a is not Action.PUBLISH  # decided on ownership alone: see the next test
    }
    assert reasons == {Decision(False, Reason.NOT_DISCOVERABLE)}


def test_publish_by_a_non_owner_is_one_answer_for_stored_hidden_and_free_ids() -> None:
    """Issue 8: an id another administration holds, hidden or not, answers like a free one."""
    steward = Principal("u", NOT_IN_REL_TO, frozenset({Role.STEWARD}), Level.R3)
    stored = [
        HoldingResource(OWNER, lvl, rel_to, h, d)
        for lvl, rel_to, h, d in itertools.product(Level, REL_TOS, Handling, Discovery)
    ]
    free = [NewHoldingResource(OWNER), NewHoldingResource("")]
    answers = {decide(steward, r, Action.PUBLISH, NOW) for r in [*stored, *free]}
    assert answers == {Decision(False, Reason.NOT_OWNER)}
    owner = Principal("u", OWNER, frozenset({Role.STEWARD}), Level.R0)
    assert decide(owner, NewHoldingResource(OWNER), Action.PUBLISH, NOW).allowed
    for action in set(Action) - {Action.PUBLISH}:
        got = decide(owner, NewHoldingResource(OWNER), action, NOW)
        assert not got.allowed and got.reason in (
            Reason.ACTION_NOT_APPLICABLE,
            Reason.ROLE_LACKS_ACTION,
        )


def test_a_holding_id_names_its_owner() -> None:
    assert holding_id_owner("NLD-cargo-2025") == "NLD"
    assert holding_id_owner("GBR-p") == "GBR"
    for nobody in ("H1", "nld-cargo", "NL-x", "NLDX-x", "NLD-", "NLD--x", "NLD-" + "x" * 125):
        assert holding_id_owner(nobody) == "", nobody
    assert holding_id_owner("NLD-" + "x" * 124) == "NLD"  # 128 characters in all


def _p(admin: str, *roles: Role, clearance: Level = Level.R3) -> Principal:
    return Principal("someone", admin, frozenset(roles), clearance)


def _h(
    level: Level = Level.R2,
    rel_to: frozenset[str] = EXPLICIT_REL_TO,
    handling: Handling = Handling.DOWNLOAD,
    discovery: Discovery = Discovery.PARTNERS,
) -> HoldingResource:
    return HoldingResource(OWNER, level, rel_to, handling, discovery)


R = Role.RESEARCHER
S = Role.STEWARD
O = Role.OPERATOR  # noqa: E741
A = Role.AUDITOR


@pytest.mark.parametrize(
    ("principal", "resource", "action", "allowed", "reason"),
    [
        # a GBR researcher cleared R2 may ask to download an R2 download holding released to GBR
        (_p("GBR", R, clearance=Level.R2), _h(), Action.REQUEST_DOWNLOAD, True, "allowed"),
        # ... but not an R3 one
        (
            _p("GBR", R, clearance=Level.R2),
            _h(Level.R3),
            Action.REQUEST_DOWNLOAD,
            False,
            "clearance-below-level",
        ),
        # R4 is never served, not even to its owner with every role
        (
            _p("NLD", R, S, O, A),
            _h(Level.R4),
            Action.REQUEST_EVALUATION,
            False,
            "level-r4-never-served",
        ),
        # ... though a reference record of it can be discovered
        (_p("NLD", R), _h(Level.R4), Action.DISCOVER, True, "allowed"),
        # item-level metadata of an R2 holding: REL TO and cleared, not merely discoverable
        (_p("GBR", R, clearance=Level.R2), _h(), Action.READ_ITEMS, True, "allowed"),
        (
            _p("GBR", R, clearance=Level.R1),
            _h(),
            Action.READ_ITEMS,
            False,
            "items-not-released",
        ),
        (_p("AUS", R), _h(), Action.READ_ITEMS, False, "items-not-released"),
        (_p("AUS", R, clearance=Level.R0), _h(Level.R1), Action.READ_ITEMS, True, "allowed"),
        (_p("NLD", R, clearance=Level.R0), _h(Level.R3), Action.READ_ITEMS, True, "allowed"),
        # AUS sees a "partners" holding but it is not released to AUS
        (_p("AUS", R), _h(), Action.REQUEST_DOWNLOAD, False, "not-releasable"),
        (_p("AUS", R), _h(), Action.DISCOVER, True, "allowed"),
        # with discovery "releasable", AUS may not even learn it exists
        (
            _p("AUS", R),
            _h(discovery=Discovery.RELEASABLE),
            Action.DISCOVER,
            False,
            "not-discoverable",
        ),
        (
            _p("AUS", R),
            _h(discovery=Discovery.RELEASABLE),
            Action.REQUEST_DOWNLOAD,
            False,
            "not-discoverable",
        ),
        # the owner is not in its own REL TO list and still discovers and receives it
        (
            _p("NLD", R),
            _h(discovery=Discovery.RELEASABLE),
            Action.REQUEST_DOWNLOAD,
            True,
            "allowed",
        ),
        # REL TO ALL releases to every partner
        (_p("AUS", R), _h(rel_to=frozenset({"ALL"})), Action.REQUEST_DOWNLOAD, True, "allowed"),
        # enclave-only: evaluation yes, download no; metadata-only: neither
        (
            _p("GBR", R),
            _h(handling=Handling.ENCLAVE_ONLY),
            Action.REQUEST_EVALUATION,
            True,
            "allowed",
        ),
        (
            _p("GBR", R),
            _h(handling=Handling.ENCLAVE_ONLY),
            Action.REQUEST_DOWNLOAD,
            False,
            "handling-forbids-mode",
        ),
        (
            _p("GBR", R),
            _h(handling=Handling.METADATA_ONLY),
            Action.REQUEST_EVALUATION,
            False,
            "handling-forbids-mode",
        ),
        (_p("GBR", R), _h(handling=Handling.DOWNLOAD), Action.REQUEST_EVALUATION, True, "allowed"),
        # only the owner publishes; a steward of a partner may not
        (_p("NLD", S), _h(), Action.PUBLISH, True, "allowed"),
        (_p("GBR", S), _h(), Action.PUBLISH, False, "not-owner"),
        # roles: a steward may not request data, a researcher may not publish or manage
        (_p("NLD", S), _h(), Action.REQUEST_DOWNLOAD, False, "role-lacks-action"),
        (_p("NLD", R), _h(), Action.PUBLISH, False, "role-lacks-action"),
        (_p("NLD", R), NODE, Action.ADMIN_MANAGE, False, "role-lacks-action"),
        (_p("NLD", O), NODE, Action.ADMIN_MANAGE, True, "allowed"),
        (_p("NLD", A), NODE, Action.AUDIT_READ, True, "allowed"),
        (_p("NLD", O), NODE, Action.AUDIT_READ, False, "role-lacks-action"),
        # holding actions make no sense on the node, node actions none on a holding
        (_p("NLD", R), NODE, Action.DISCOVER, True, "allowed"),
        (_p("NLD", O), _h(), Action.ADMIN_MANAGE, False, "action-not-applicable"),
        (_p("NLD", R), _h(), Action.CATALOG_READ, False, "action-not-applicable"),
        # every role may read the catalogue
        *[(_p("AUS", role), NODE, Action.CATALOG_READ, True, "allowed") for role in Role],
    ],
)
def test_spot_checks(
    principal: Principal, resource: object, action: Action, allowed: bool, reason: str
) -> None:
    decision = decide(principal, resource, action, NOW)  # type: ignore[arg-type]
    assert decision == Decision(allowed, Reason(reason))


def test_principal_refuses_r4_clearance_and_empty_roles() -> None:
    with pytest.raises(ValueError, match="R4"):
        Principal("u", "NLD", frozenset({Role.RESEARCHER}), Level.R4)
    with pytest.raises(ValueError, match="role"):
        Principal("u", "NLD", frozenset(), Level.R1)
    Principal("u", "NLD", frozenset({Role.RESEARCHER}), Level.R3)  # highest allowed


def test_holding_refuses_empty_rel_to_and_all_mixed_with_codes() -> None:
    with pytest.raises(ValueError, match="releasable_to"):
        HoldingResource("NLD", Level.R1, frozenset(), Handling.DOWNLOAD, Discovery.PARTNERS)
    with pytest.raises(ValueError, match="mixes ALL"):
        HoldingResource(
            "NLD", Level.R1, frozenset({"ALL", "GBR"}), Handling.DOWNLOAD, Discovery.PARTNERS
        )
    HoldingResource("NLD", Level.R1, frozenset({"ALL"}), Handling.DOWNLOAD, Discovery.PARTNERS)


def test_releasable_to_admin() -> None:
    holding = _h()
    assert holding.releasable_to_admin("NLD")  # owner, though not listed
    assert holding.releasable_to_admin("GBR")
    assert holding.releasable_to_admin("USA")
    assert not holding.releasable_to_admin("AUS")
    assert not holding.releasable_to_admin("ALL")  # "ALL" is not an administration
    everyone = _h(rel_to=frozenset({"ALL"}))
    assert all(everyone.releasable_to_admin(a) for a in ("AUS", "CAN", "NZL"))


def test_whoever_may_request_data_may_see_its_items() -> None:
    """A grantee is never refused the item-level metadata of what it receives."""
    for admin, clearance, level, handling, discovery, rel_to, action in itertools.product(
        (OWNER, IN_REL_TO, NOT_IN_REL_TO),
        CLEARANCES,
        Level,
        Handling,
        Discovery,
        REL_TOS,
        (Action.REQUEST_DOWNLOAD, Action.REQUEST_EVALUATION),
    ):
        principal = Principal("u", admin, frozenset({Role.RESEARCHER}), clearance)
        holding = HoldingResource(OWNER, level, rel_to, handling, discovery)
        if decide(principal, holding, action, NOW).allowed:
            assert may_see_items(principal, holding), (principal, holding, action)


def expected_on_grant(
    user: str, admin: str, roles: frozenset[Role], subject: str, owner: str, action: Action
) -> tuple[bool, str]:
    """A grant's token is its subject's alone; its metadata also goes to the owning
    administration's stewards and auditors; nobody else reads anything of it."""
    if not _role_allows(roles, action):
        return False, "role-lacks-action"
    if _resource_kind(action) != "grant" or action.value == "access:grant:revoke":
        return False, "action-not-applicable"  # revocation is decided on the request
    if user == subject:
        return True, "allowed"
    if action.value == "access:grant:read-token":
        return False, "not-subject"
    if admin != owner:
        return False, "not-owner"
    if roles & {Role.STEWARD, Role.AUDITOR}:
        return True, "allowed"
    return False, "not-subject"


def test_decide_on_grants_matches_the_rules_for_every_combination() -> None:
    seen: Counter[str] = Counter()
    for user, admin, roles, action in itertools.product(
        ("subject", "other"), (OWNER, NOT_IN_REL_TO), ROLE_SETS, Action
    ):
        got = decide(
            Principal(user, admin, roles, Level.R3), GrantResource(OWNER, "subject"), action, NOW
        )
        want = expected_on_grant(user, admin, roles, "subject", OWNER, action)
        assert (got.allowed, got.reason.value) == want, (user, admin, roles, action)
        seen[want[1]] += 1
    assert set(seen) == {
        "allowed",
        "role-lacks-action",
        "action-not-applicable",
        "not-subject",
        "not-owner",
    }


def test_grant_tokens_go_to_subjects_only_whatever_the_roles() -> None:
    """The issue's leak: a researcher of the owning administration read every grant's token."""
    grant = GrantResource("GBR", "nld-researcher")
    colleague = Principal("gbr-researcher", "GBR", frozenset({Role.RESEARCHER}), Level.R3)
    assert decide(colleague, grant, Action.GRANT_READ, NOW).reason is Reason.NOT_SUBJECT
    assert decide(colleague, grant, Action.GRANT_TOKEN_READ, NOW).reason is Reason.NOT_SUBJECT
    everything = Principal("gbr-all", "GBR", frozenset(Role), Level.R3)
    assert decide(everything, grant, Action.GRANT_READ, NOW).allowed
    assert not decide(everything, grant, Action.GRANT_TOKEN_READ, NOW).allowed
    subject = Principal("nld-researcher", "NLD", frozenset({Role.RESEARCHER}), Level.R1)
    assert decide(subject, grant, Action.GRANT_TOKEN_READ, NOW).allowed
    assert {r for r, a in ROLE_ACTIONS.items() if Action.GRANT_TOKEN_READ in a} == {Role.RESEARCHER}


# --- models (issue 10): the model registry ---------------------------------------------------

MODEL_ROLE_ACTIONS = {
    "researcher": {"models:model:submit", "models:model:read", "models:model:share"},
    "steward": {"models:model:read"},
    "operator": set(),
    "auditor": {"models:model:read"},
}


def expected_on_model(
    admin: str, roles: frozenset[Role], owner: str, shared: frozenset[str], action: Action
) -> tuple[bool, str]:
    """Owner's and sharees' users read; only the owner's researchers submit and share."""
    if not _role_allows(roles, action):
        return False, "role-lacks-action"
    if _resource_kind(action) != "model":
        return False, "action-not-applicable"
    if admin == owner or (action.value == "models:model:read" and admin in shared):
        return True, "allowed"
    return False, "not-owner"


def test_model_role_table() -> None:
    got = {
        r.value: {a.value for a in acts if a.value.startswith("models:model:")}
        for r, acts in ROLE_ACTIONS.items()
    }
    assert got == MODEL_ROLE_ACTIONS


def test_decide_on_models_matches_the_rules_for_every_combination() -> None:
    seen: Counter[str] = Counter()
    for admin, roles, shared, action in itertools.product(
        (OWNER, IN_REL_TO, NOT_IN_REL_TO),
        ROLE_SETS,
        (frozenset(), frozenset({IN_REL_TO}), frozenset({IN_REL_TO, "USA"})),
        Action,
    ):
        got = decide(
            Principal("u", admin, roles, Level.R1), ModelResource(OWNER, shared), action, NOW
        )
        want = expected_on_model(admin, roles, OWNER, shared, action)
        assert (got.allowed, got.reason.value) == want, (admin, roles, shared, action)
        seen[want[1]] += 1
    assert set(seen) == {"allowed", "role-lacks-action", "action-not-applicable", "not-owner"}


def test_models_spot_checks() -> None:
    model = ModelResource("NLD", frozenset({"GBR"}))
    researcher = frozenset({Role.RESEARCHER})
    gbr = Principal("g", "GBR", researcher, Level.R1)
    assert decide(gbr, model, Action.MODEL_READ, NOW).allowed
    assert decide(gbr, model, Action.MODEL_SHARE, NOW).reason is Reason.NOT_OWNER
    aus = Principal("a", "AUS", frozenset({Role.STEWARD}), Level.R3)
    assert decide(aus, model, Action.MODEL_READ, NOW).reason is Reason.NOT_OWNER
    nld_steward = Principal("s", "NLD", frozenset({Role.STEWARD}), Level.R3)
    assert decide(nld_steward, model, Action.MODEL_SHARE, NOW).reason is Reason.ROLE_LACKS_ACTION
    holding = HoldingResource(
        OWNER, Level.R0, frozenset({ALL_PARTNERS}), Handling.DOWNLOAD, Discovery.PARTNERS
    )
    owner = Principal("o", OWNER, researcher, Level.R1)
    assert decide(owner, holding, Action.MODEL_READ, NOW).reason is Reason.ACTION_NOT_APPLICABLE
