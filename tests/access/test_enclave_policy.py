"""The enclave's policy (issue 10 item 3): evaluate under one's own live grant on the holding as
it is now; who reads evaluations, reviews them, reads a leaderboard, sets an enclave policy; and
an evaluation request needs no Crypt4GH key and becomes an evaluate-only grant."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from access.grants import UNSAFE_decode_without_verification, enclave_audience, verify_grant
from access.policy import (
    Action,
    EnclaveResource,
    EvaluationResource,
    HeldGrant,
    HoldingResource,
    Principal,
    decide,
)
from access.request_states import Conditions, Mode, NewRequest, PurposeCode
from access.vocabulary import Discovery, Handling, Level, Role
from catalog.synth import generate_holding
from clearance.node import Node
from clearance.publishing.folder import publish_folder

NOW = datetime(2026, 3, 1, tzinfo=UTC)
H = "GBR-h"
HOLDING = HoldingResource("GBR", Level.R2, frozenset({"NLD"}), Handling.ENCLAVE_ONLY,
                          Discovery.RELEASABLE)  # fmt: skip
NLD_R = Principal("nld-r", "NLD", frozenset({Role.RESEARCHER}), Level.R3)
GRANT = HeldGrant("nld-r", H, frozenset({"evaluate"}), NOW + timedelta(days=1), revoked=False)


def _evaluate(who: Principal, grant: HeldGrant | None, holding: HoldingResource = HOLDING) -> str:
    decision = decide(who, EnclaveResource(H, holding, grant), Action.EVALUATE, NOW)
    return decision.reason.value


def test_evaluate_needs_the_callers_own_live_evaluate_grant_on_that_holding() -> None:
    assert _evaluate(NLD_R, GRANT) == "allowed"
    for grant in (
        None,
        dataclasses.replace(GRANT, subject="nld-other"),
        dataclasses.replace(GRANT, holding_id="GBR-other"),
        dataclasses.replace(GRANT, operations=frozenset({"download"})),
        dataclasses.replace(GRANT, revoked=True),
        dataclasses.replace(GRANT, expires_at=NOW),
    ):
        assert _evaluate(NLD_R, grant) == "no-live-evaluate-grant", grant


def test_evaluate_decides_on_the_holding_as_it_is_now() -> None:
    narrowed = {
        "not-releasable": dataclasses.replace(HOLDING, releasable_to=frozenset({"USA"}),
                                              discovery=Discovery.PARTNERS),
        "not-discoverable": dataclasses.replace(HOLDING, releasable_to=frozenset({"USA"})),
        "handling-forbids-mode": dataclasses.replace(HOLDING, handling=Handling.METADATA_ONLY),
        "level-r4-never-served": dataclasses.replace(HOLDING, level=Level.R4),
    }  # fmt: skip
    for reason, holding in narrowed.items():
        assert _evaluate(NLD_R, GRANT, holding) == reason
    low = dataclasses.replace(NLD_R, clearance=Level.R1)
    assert _evaluate(low, GRANT) == "clearance-below-level"
    steward = dataclasses.replace(NLD_R, roles=frozenset({Role.STEWARD}))
    assert _evaluate(steward, GRANT) == "role-lacks-action"


def test_leaderboard_for_the_owners_users_and_live_grant_holders_only() -> None:
    def board(who: Principal, grant: HeldGrant | None) -> bool:
        return decide(who, EnclaveResource(H, HOLDING, grant), Action.LEADERBOARD_READ, NOW).allowed

    for role in Role:
        assert board(Principal("g", "GBR", frozenset({role}), Level.R0), None), role
    assert board(NLD_R, GRANT)
    assert not board(NLD_R, None)
    assert not board(NLD_R, dataclasses.replace(GRANT, revoked=True))
    usa = Principal("nld-r", "USA", frozenset({Role.RESEARCHER}), Level.R3)  # outside REL TO
    assert not board(usa, GRANT)


def test_enclave_policy_by_the_owners_stewards_only() -> None:
    def may(who: Principal) -> str:
        resource = EnclaveResource(H, HOLDING, None)
        return decide(who, resource, Action.ENCLAVE_POLICY, NOW).reason.value

    assert may(Principal("s", "GBR", frozenset({Role.STEWARD}), Level.R0)) == "allowed"
    assert may(Principal("s", "NLD", frozenset({Role.STEWARD}), Level.R0)) == "not-owner"
    assert may(Principal("r", "GBR", frozenset({Role.RESEARCHER}), Level.R3)) == "role-lacks-action"


def test_evaluation_read_and_review() -> None:
    evaluation = EvaluationResource(owner="GBR", submitter="nld-r")
    steward = Principal("gbr-s", "GBR", frozenset({Role.STEWARD}), Level.R3)
    other = Principal("nld-x", "NLD", frozenset({Role.RESEARCHER}), Level.R3)
    foreign = Principal("usa-s", "USA", frozenset({Role.STEWARD}), Level.R3)

    def reason(who: Principal, action: Action) -> str:
        return decide(who, evaluation, action, NOW).reason.value

    assert reason(NLD_R, Action.EVALUATION_READ) == "allowed"
    assert reason(steward, Action.EVALUATION_READ) == "allowed"
    assert reason(steward, Action.EVALUATION_REVIEW) == "allowed"
    assert reason(other, Action.EVALUATION_READ) == "not-submitter"
    assert reason(foreign, Action.EVALUATION_READ) == "not-submitter"
    assert reason(foreign, Action.EVALUATION_REVIEW) == "not-owner"
    assert reason(NLD_R, Action.EVALUATION_REVIEW) == "role-lacks-action"
    own = Principal("gbr-s", "GBR", frozenset({Role.STEWARD, Role.RESEARCHER}), Level.R3)
    assert decide(own, EvaluationResource("GBR", "gbr-s"), Action.EVALUATION_REVIEW, NOW).reason \
        .value == "own-evaluation"  # fmt: skip


@pytest.fixture
def gbr_node(node: Node, tmp_path: Path) -> Node:
    for code in ("GBR", "NLD"):
        node.directory.add_administration(code, f"{code} customs")
    node.directory.add_user("nld-r", admin="NLD", roles=[Role.RESEARCHER], clearance=Level.R3)
    node.directory.add_user("gbr-s", admin="GBR", roles=[Role.STEWARD], clearance=Level.R3)
    generate_holding(tmp_path / H, kind="parcel", count=4, seed=3, admin="GBR")
    publish_folder(
        node, tmp_path / H, admin="GBR", holding_id=H, title="GBR scans", description="",
        level="R1", marking="OFFICIAL", rel_to="ALL", handling="enclave-only",
        discovery="partners",
    )  # fmt: skip
    return node


def test_an_evaluation_request_needs_no_key_and_yields_an_evaluate_only_grant(
    gbr_node: Node,
) -> None:
    researcher = gbr_node.directory.user("nld-r").principal()
    steward = gbr_node.directory.user("gbr-s").principal()
    # no Crypt4GH key registered: a download request is refused for it, an evaluation is not
    download = NewRequest(H, "score", PurposeCode.MODEL_EVALUATION, Mode.DOWNLOAD, 30)
    refused = gbr_node.requests.create(researcher, download)
    assert refused.state == "refused"  # enclave-only: the policy refuses downloads anyway
    new = NewRequest(H, "score a detector", PurposeCode.MODEL_EVALUATION, Mode.EVALUATION, 30)
    view = gbr_node.requests.create(researcher, new)
    assert view.state == "submitted"
    granted = gbr_node.requests.approve(steward, view.id, Conditions(), "ok")
    assert granted.state == "granted" and granted.grant
    token = gbr_node.grants.grant_token(researcher, granted.grant)
    claims = UNSAFE_decode_without_verification(token)["claims"]
    assert claims["clearance_grant"]["operations"] == ["evaluate"]
    assert claims["aud"] == "urn:clearance:enclave:GBR"
    assert "cnf" not in claims  # bound to no key: nothing is ever sent to the researcher
    grant = verify_grant(
        token, keys=gbr_node.directory.trusted_keys(), audience=enclave_audience("GBR"),
        now=gbr_node.clock.now(), is_revoked=gbr_node.grants.is_revoked, operation="evaluate",
    )  # fmt: skip
    assert grant.recipient_key is None
    with pytest.raises(ValueError, match="bound to a recipient key"):
        dataclasses.replace(grant, operations=("download", "evaluate"))
    held = gbr_node.grants.held(granted.grant)
    assert held is not None and held.operations == {"evaluate"} and not held.revoked
    assert gbr_node.grants.held_by("nld-r", H) == [held]
