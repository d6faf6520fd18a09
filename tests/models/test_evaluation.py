"""Evaluations as values: transitions, the fixed split, metric spec bounds, policies, Ladder."""

from __future__ import annotations

import hashlib

import pytest

from models.errors import EvaluationConflict, InvalidEvaluation
from models.evaluation import (
    EnclavePolicy,
    EvaluationState,
    NewEvaluation,
    Split,
    check_transition,
    checked_spec,
    in_split,
    metric_spec,
    split_items,
)

S = EvaluationState
JTI = "A" * 32


def test_transitions_follow_the_diagram() -> None:
    allowed = {
        (S.QUEUED, S.RUNNING), (S.QUEUED, S.REFUSED), (S.RUNNING, S.RUNNING),
        (S.RUNNING, S.AWAITING_REVIEW), (S.RUNNING, S.RELEASED), (S.RUNNING, S.REFUSED),
        (S.RUNNING, S.FAILED), (S.AWAITING_REVIEW, S.RELEASED), (S.AWAITING_REVIEW, S.REFUSED),
    }  # fmt: skip
    for a in S:
        for b in S:
            if (a, b) in allowed:
                check_transition(a, b)
            else:
                with pytest.raises(EvaluationConflict):
                    check_transition(a, b)


def test_the_test_split_is_the_documented_hash_rule_and_about_thirty_percent() -> None:
    items = [f"scan-{i:05d}" for i in range(2000)]
    chosen = split_items(Split.TEST, "GBR-h", items)
    for item in items:
        digest = hashlib.sha256(f"GBR-h/{item}".encode()).digest()
        assert (item in chosen) == (int.from_bytes(digest, "big") % 10 < 3)
    assert 0.26 < len(chosen) / len(items) < 0.34
    assert chosen == sorted(chosen)
    assert split_items(Split.ALL, "GBR-h", items) == sorted(items)
    # another holding with the same item ids gets another split (the holding id is in the hash)
    assert split_items(Split.TEST, "NLD-h", items) != chosen
    assert in_split(Split.TEST, "GBR-h", chosen[0])


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ([], "JSON object"),
        ({"a": float("nan")}, "finite"),
        ({"a": {1, 2}}, "finite"),
        ({"a": "x" * 5000}, "4096 bytes"),
        ({"a": {"b": {"c": {"d": {"e": 1}}}}}, "4 deep"),
    ],
)
def test_metric_specs_are_bounded_objects(spec: object, message: str) -> None:
    with pytest.raises(InvalidEvaluation, match=message):
        metric_spec(spec)


@pytest.mark.parametrize(
    ("task", "default", "other"),
    [("object-detection", "map50", "auroc"), ("classification", "roc_auc", "map50"),
     ("anomaly-detection", "auroc", "roc_auc")],
)  # fmt: skip
def test_a_spec_is_checked_against_the_model_task(task: str, default: str, other: str) -> None:
    assert checked_spec({}, task) == {
        "task": task, "metrics": [default], "bootstrap_samples": 200, "seed": 0, "classes": None
    }  # fmt: skip
    assert checked_spec({"metrics": [default], "seed": 7}, task)["seed"] == 7
    with pytest.raises(InvalidEvaluation, match=f"'{other}' is not one of .* for task {task}"):
        checked_spec({"metrics": [other]}, task)
    wrong = f"is for task {other_task(task)}, not the model's {task}"
    with pytest.raises(InvalidEvaluation, match=wrong):
        checked_spec({"task": other_task(task)}, task)
    with pytest.raises(InvalidEvaluation, match="task must be one of"):
        checked_spec({}, "segmentation")  # a task the enclave does not score


def other_task(task: str) -> str:
    return "classification" if task != "classification" else "anomaly-detection"


def test_a_submission_is_parsed_strictly() -> None:
    spec = {"metrics": ["map50"]}
    body = {"model_id": "mdl-1", "holding": "GBR-h", "grant": JTI, "metrics": spec}
    new = NewEvaluation.from_json(body)
    assert (new.split, new.metrics) == (Split.TEST, spec)
    for bad, message in (
        ({**body, "extra": 1}, "unknown field"),
        ({**body, "split": "train"}, "split must be one of all, test"),
        ({**body, "grant": "short"}, "grant must be"),
        ({**body, "holding": "../x"}, "holding must be"),
        ({**body, "model_id": 7}, "model_id must be"),
        ("not an object", "JSON object"),
    ):
        with pytest.raises(InvalidEvaluation, match=message):
            NewEvaluation.from_json(bad)


def test_enclave_policies_are_validated_and_changed_member_by_member() -> None:
    policy = EnclavePolicy().changed({"manual_review": True, "budget": 3})
    assert policy == EnclavePolicy(manual_review=True, budget=3)
    for bad in ({"budget": -1}, {"budget": True}, {"grid": 0}, {"grid": float("inf")},
                {"min_count": 0}, {"manual_review": "yes"}, {"other": 1}):  # fmt: skip
        with pytest.raises(InvalidEvaluation):
            EnclavePolicy().changed(bad)


def test_an_enclave_policy_is_always_one_the_release_control_accepts() -> None:
    from models.release import ReleasePolicy

    for good in ({"grid": 0.1}, {"min_count": 100_000}, {"budget": 0}, {"budget": 10_000}):
        policy = EnclavePolicy().changed(good)
        ReleasePolicy(policy.grid, policy.min_count, policy.budget)  # no ReleaseError
    for bad in ({"grid": 0.5}, {"min_count": 100_001}):
        with pytest.raises(InvalidEvaluation):
            EnclavePolicy().changed(bad)
