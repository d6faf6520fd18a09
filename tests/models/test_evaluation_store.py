"""Evaluations under grants, on SQLite and PostgreSQL: submit (policy before anything), the one
404 for every holding-level refusal, claim/lease/fencing, budget spent with the release or the
failure in one transaction, manual review, the Ladder on the leaderboard, every change audited,
and the migration matching the tables."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, select

from access import Base
from access.clock import FixedClock
from access.errors import PermissionDenied
from access.tables import AuditEntryRow
from clearance.node import Node
from models.errors import (
    BudgetExhausted,
    EvaluationConflict,
    EvaluationNotFound,
    InvalidEvaluation,
    LeaseLost,
)
from models.evaluation import Failed, Released
from models.evaluation_tables import EvaluationRow, ReleaseBudgetRow
from models.outcomes import Outcome
from tests.models.enclave_world import HOLDING, EnclaveWorld, build


@pytest.fixture
def world(node: Node, tmp_path: Path) -> EnclaveWorld:
    return build(node, tmp_path / "sources")


def _audit(world: EnclaveWorld, prefix: str) -> list[AuditEntryRow]:
    with world.node.sessions() as session:
        query = select(AuditEntryRow).where(AuditEntryRow.action.startswith(prefix))
        return list(session.scalars(query.order_by(AuditEntryRow.seq)))


def _count(world: EnclaveWorld) -> int:
    with world.node.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(EvaluationRow)) or 0)


def test_migration_matches_the_tables(node: Node) -> None:
    with node.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert [d for d in diff if "evaluation" in str(d) or "leaderboard" in str(d)
            or "budget" in str(d) or "enclave" in str(d)] == []  # fmt: skip


def test_a_submission_queues_a_job_and_is_audited(world: EnclaveWorld) -> None:
    evaluation = world.node.evaluations.submit(world.who["nld-r"], world.new())
    assert evaluation.state == "queued" and evaluation.id.startswith("evl-")
    assert evaluation.holding_version >= 1 and evaluation.owner == "GBR"
    shown = world.node.evaluations.get(world.who["nld-r"], evaluation.id)
    assert shown["state"] == "queued" and shown["released"] is None
    assert [e.action for e in _audit(world, "evaluation.")] == ["evaluation.queued"]


def test_every_holding_level_refusal_is_the_same_404_and_stores_nothing(
    world: EnclaveWorld,
) -> None:
    store = world.node.evaluations
    cases = {
        "no grant": (world.who["nld-r2"], world.new()),  # the jti is another's
        "outside REL TO": (world.who["usa-r"], world.new()),
        "missing holding": (world.who["nld-r"], world.new(holding="GBR-nothing")),
        "unknown grant": (world.who["nld-r"], world.new(grant="B" * 32)),
    }
    bodies = set()
    for name, (who, new) in cases.items():
        with pytest.raises(EvaluationNotFound) as caught:
            store.submit(who, new)
        bodies.add((str(caught.value).replace(new.holding_id, "H"), caught.value.code))
        assert name
    assert bodies == {("no holding 'H'", "not-found")}
    assert _count(world) == 0
    reasons = [(e.decision, e.reason) for e in _audit(world, "models:holding:evaluate")]
    # (USA cannot even discover it: the catalogue hides it before the policy is asked)
    assert reasons == [("deny", "no-live-evaluate-grant"), ("deny", "no-such-holding"),
                       ("deny", "no-such-holding"), ("deny", "no-live-evaluate-grant")]  # fmt: skip
    # the leaderboard and the enclave policy answer alike
    for who in ("nld-r2", "usa-r"):
        with pytest.raises(EvaluationNotFound, match="no holding"):
            store.leaderboard(world.who[who], HOLDING)
    with pytest.raises(EvaluationNotFound, match="no holding"):
        store.set_policy(world.who["usa-s"], HOLDING, {"budget": 1})


def test_a_revoked_grant_stops_submissions_and_queued_jobs(world: EnclaveWorld) -> None:
    queued = world.submit()
    world.node.grants.revoke(world.who["gbr-s"], world.grant, "done")
    with pytest.raises(EvaluationNotFound):
        world.submit()
    assert world.node.jobs.claim("w1") is None  # refused at the claim: nothing runs
    shown = world.node.evaluations.get(world.who["nld-r"], queued)
    assert (shown["state"], shown["reason"]) == ("refused", "policy:no-live-evaluate-grant")


def test_models_are_visible_to_their_owner_and_sharers_only(world: EnclaveWorld) -> None:
    with pytest.raises(EvaluationNotFound, match=f"no model '{world.other_model}'"):
        world.submit(model=world.other_model)
    with pytest.raises(EvaluationNotFound, match="no model 'mdl-none'"):
        world.submit(model="mdl-none")
    assert _count(world) == 0
    # once USA shares it with NLD, NLD's researcher may evaluate it
    world.node.models.share(world.who["usa-r"], world.other_model, ["NLD"], world.node.clock.now())
    evaluation = world.submit(model=world.other_model)
    assert world.node.evaluations.get(world.who["nld-r"], evaluation)["model_id"] == (
        world.other_model)  # fmt: skip


def test_the_metric_spec_is_stored_as_the_enclave_will_run_it(world: EnclaveWorld) -> None:
    shown = world.node.evaluations.get(world.who["nld-r"], world.submit())
    assert shown["metrics"] == {"task": "object-detection", "metrics": ["map50", "map50_95"],
                                "bootstrap_samples": 200, "seed": 0, "classes": None}  # fmt: skip
    # without a metrics list: the task's leaderboard metric; a task member may repeat the model's
    spec = {"task": "object-detection", "bootstrap_samples": 0, "classes": ["9302"]}
    shown = world.node.evaluations.get(world.who["nld-r"], world.submit(metrics=spec))
    assert shown["metrics"] == {**spec, "metrics": ["map50"], "seed": 0}


@pytest.mark.parametrize(
    ("metrics", "message"),
    [
        ({"metrics": ["accuracy"]}, "metric 'accuracy' is not one of .* for task object-detection"),
        ({"metrics": ["roc_auc"]}, "metric 'roc_auc' is not one of"),  # classification's
        ({"metrics": ["map50"], "bootstrap_samples": 1001}, "bootstrap_samples must be an integer"
         " from 0 to 1000"),
        ({"metrics": ["map50"], "seed": -1}, "seed must be an integer"),
        ({"metrics": []}, "must be a non-empty list"),
        ({"metrics": ["map50", "map50"]}, "names a metric twice"),
        ({"metrics": ["map50"], "classes": ["93"]}, "HS codes of 4 or 6 digits"),
        ({"metrics": ["map50"], "iou": [0.5]}, "unknown member 'iou'"),
        ({"task": "classification", "metrics": ["roc_auc"]},
         "metric spec is for task classification, not the model's object-detection"),
        ({"task": "segmentation"}, "for task segmentation, not the model's object-detection"),
    ],
)  # fmt: skip
def test_a_bad_metric_spec_is_refused_before_anything_is_stored(
    world: EnclaveWorld, metrics: dict[str, object], message: str
) -> None:
    with pytest.raises(InvalidEvaluation, match=message) as caught:
        world.submit(metrics=metrics)
    assert caught.value.code == "invalid-evaluation"
    assert _count(world) == 0
    assert _audit(world, "evaluation.") == []
    with world.node.sessions() as session:  # nothing of the budget was touched either
        assert session.scalar(select(func.count()).select_from(ReleaseBudgetRow)) == 0


def test_evaluations_are_read_by_submitter_and_owners_stewards_only(world: EnclaveWorld) -> None:
    evaluation = world.submit()
    store = world.node.evaluations
    assert store.get(world.who["gbr-s"], evaluation)["id"] == evaluation
    for other in ("nld-r2", "usa-s", "gbr-r"):
        with pytest.raises(EvaluationNotFound, match="no evaluation"):
            store.get(world.who[other], evaluation)
    with pytest.raises(EvaluationNotFound):
        store.get(world.who["nld-r"], "evl-" + "0" * 16)
    assert [e["id"] for e in store.mine(world.who["nld-r"])] == [evaluation]
    assert store.mine(world.who["nld-r2"]) == []


def test_claim_run_release_spends_the_budget_and_ranks(world: EnclaveWorld) -> None:
    evaluation = world.submit()
    claim = world.node.jobs.claim("w1")
    assert claim is not None and claim.job.id == evaluation and claim.job.attempt == 1
    assert world.node.jobs.claim("w2") is None  # held under its lease
    assert world.node.jobs.heartbeat(claim)
    result = Released({"map50": 0.42}, metric="map50", score=0.4213, receipt={"r": 1})
    assert world.node.jobs.finish(claim, result) == "released"
    shown = world.node.evaluations.get(world.who["nld-r"], evaluation)
    assert (shown["state"], shown["released"], shown["has_receipt"]) == (
        "released", {"map50": 0.42}, True)  # fmt: skip
    assert world.node.evaluations.receipt(world.who["nld-r"], evaluation) == {"r": 1}
    board = world.node.evaluations.leaderboard(world.who["nld-r"], HOLDING)["entries"]
    assert [(e["model_id"], e["score"]) for e in board] == [(world.model, 0.42)]
    # the owner's users see the board without a grant
    assert world.node.evaluations.leaderboard(world.who["gbr-r"], HOLDING)["entries"] == board
    # finished once: the same claim cannot finish again, nor heartbeat
    with pytest.raises(LeaseLost):
        world.node.jobs.finish(claim, Failed(Outcome.INTERNAL))
    assert not world.node.jobs.heartbeat(claim)
    states = [e.action for e in _audit(world, "evaluation.")]
    assert states == ["evaluation.queued", "evaluation.claim", "evaluation.released"]


def test_a_release_beyond_the_budget_is_refused(world: EnclaveWorld) -> None:
    world.node.evaluations.set_policy(world.who["gbr-s"], HOLDING, {"budget": 2})
    first, second = world.submit(), world.submit()
    failed = world.node.jobs.claim("w")
    assert failed is not None and failed.job.id == first
    assert world.node.jobs.finish(failed, Failed(Outcome.RAN_OUT_OF_TIME)) == "failed"
    # a failure spends too; one unit is left for the second job
    third = world.submit()
    ok = world.node.jobs.claim("w")
    assert ok is not None and ok.job.id == second
    assert world.node.jobs.finish(ok, Released({"a": 0.5})) == "released"
    with pytest.raises(BudgetExhausted):
        world.submit()
    last = world.node.jobs.claim("w")
    assert last is not None and last.job.id == third
    assert world.node.jobs.finish(last, Released({"a": 0.9})) == "refused"
    shown = world.node.evaluations.get(world.who["nld-r"], third)
    assert (shown["state"], shown["reason"], shown["released"]) == (
        "refused", "budget-exhausted", None)  # fmt: skip
    failed_view = world.node.evaluations.get(world.who["nld-r"], first)
    assert (failed_view["state"], failed_view["outcome"]) == ("failed", "ran-out-of-time")


def test_manual_review_shows_the_steward_exactly_what_would_be_released(
    world: EnclaveWorld,
) -> None:
    store = world.node.evaluations
    store.set_policy(world.who["gbr-s"], HOLDING, {"manual_review": True})
    first, second = world.submit(), world.submit()
    for _ in range(2):
        claim = world.node.jobs.claim("w")
        assert claim is not None
        world.node.jobs.finish(claim, Released({"map50": 0.3}, metric="map50", score=0.3))
    mine = store.get(world.who["nld-r"], first)
    assert (mine["state"], mine["released"], "would_release" in mine) == (
        "awaiting-review", None, False)  # fmt: skip
    queue = store.queue(world.who["gbr-s"])
    assert [q["id"] for q in queue] == [first, second]
    assert queue[0]["would_release"]["values"] == {"map50": 0.3}
    with pytest.raises(PermissionDenied):  # a researcher of the submitter's side cannot review
        store.review(world.who["nld-r"], first, True, "")
    with pytest.raises(EvaluationNotFound):
        store.review(world.who["usa-s"], first, True, "")
    assert store.review(world.who["gbr-s"], first, True, "fine")["state"] == "released"
    assert store.get(world.who["nld-r"], first)["released"] == {"map50": 0.3}
    refused = store.review(world.who["gbr-s2"], second, False, "too close to a single scan")
    assert (refused["state"], refused["reason"]) == ("refused", "refused-by-steward")
    assert store.get(world.who["nld-r"], second)["released"] is None
    with pytest.raises(EvaluationConflict):
        store.review(world.who["gbr-s"], first, False, "again")


def test_the_ladder_shows_only_gains_of_a_grid_step(world: EnclaveWorld) -> None:
    store = world.node.evaluations
    store.set_policy(world.who["gbr-s"], HOLDING, {"grid": 0.05})
    for score in (0.50, 0.52, 0.61, 0.40):
        world.submit()
        claim = world.node.jobs.claim("w")
        assert claim is not None
        world.node.jobs.finish(claim, Released({"m": score}, metric="m", score=score))
    board = store.leaderboard(world.who["gbr-s"], HOLDING)["entries"]
    assert [e["score"] for e in board] == [0.6]  # 0.52 -> 0.5 (no gain), 0.61 -> 0.6 (+0.1)


def test_an_expired_lease_is_claimed_again_and_the_stale_worker_is_fenced_off(
    world: EnclaveWorld,
) -> None:
    clock = FixedClock(world.node.clock.now())
    queue = world.node.jobs
    queue.rows.clock = queue._clock = clock
    evaluation = world.submit()
    stale = queue.claim("w1")
    assert stale is not None
    clock.advance(queue.lease + timedelta(seconds=1))
    fresh = queue.claim("w2")
    assert fresh is not None and fresh.job.id == evaluation and fresh.job.attempt == 2
    assert not queue.heartbeat(stale)
    with pytest.raises(LeaseLost):
        queue.finish(stale, Released({"a": 0.1}))
    assert queue.finish(fresh, Failed(Outcome.WRONG_OUTPUT)) == "failed"


def test_a_job_that_outlives_its_attempts_fails_internal(world: EnclaveWorld) -> None:
    clock = FixedClock(world.node.clock.now())
    queue = world.node.jobs
    queue.rows.clock = queue._clock = clock
    evaluation = world.submit()
    for _ in range(queue.max_attempts):
        assert queue.claim("w") is not None
        clock.advance(queue.lease + timedelta(seconds=1))
    assert queue.claim("w") is None
    shown = world.node.evaluations.get(world.who["nld-r"], evaluation)
    assert (shown["state"], shown["outcome"]) == ("failed", "internal")
