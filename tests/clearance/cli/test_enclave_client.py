"""The enclave's client commands against a real server: evaluate (--wait), evaluation list /
show / reviews / review / receipt, leaderboard, enclave-policy; tables and JSON."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from clearance.cli.node import cli
from clearance.http.app import create_app
from clearance.node import open_node
from clearance.settings import Settings
from models.evaluation import Released
from tests.helpers.server import serve
from tests.models.enclave_world import HOLDING, EnclaveWorld, build


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[EnclaveWorld, str]]:
    root = tmp_path_factory.mktemp("enclave-cli")
    node = open_node(Settings(data_dir=root / "data", database_url=f"sqlite:///{root}/e.db"))
    world = build(node, root / "sources")
    with serve(create_app(node)) as url:
        yield world, url


def _run(world: EnclaveWorld, url: str, user: str, *args: str) -> Result:
    token = world.node.directory.issue_token(user, audience=world.node.settings.node_id)
    env = {"CLEARANCE_URL": url, "CLEARANCE_TOKEN": token}
    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)


def _ok(result: Result) -> str:
    assert result.exit_code == 0, result.output
    return result.output


def _finish_next(world: EnclaveWorld, result: Released) -> None:
    """The worker's part, done here: claim the next job and record ``result``."""
    for _ in range(200):
        claim = world.node.jobs.claim("cli-test")
        if claim is not None:
            world.node.jobs.finish(claim, result)
            return
        threading.Event().wait(0.05)
    raise AssertionError("no job was queued")


def test_evaluate_wait_show_leaderboard(served: tuple[EnclaveWorld, str], tmp_path: Path) -> None:
    world, url = served
    worker = threading.Thread(target=_finish_next, args=(
        world, Released({"map50": 0.61}, "map50", 0.61, {"payloadType": "x"})))  # fmt: skip
    worker.start()
    args = ("evaluate", world.model, "--holding", HOLDING, "--grant", world.grant,
            "--metrics", '{"metrics": ["map50", "hit_rate_far1"], "bootstrap_samples": 50}',
            "--wait", "--json")  # fmt: skip
    out = _ok(_run(world, url, "nld-r", *args))
    worker.join()
    shown = json.loads(out)
    assert (shown["state"], shown["released"]) == ("released", {"map50": 0.61})
    assert shown["metrics"] == {"task": "object-detection", "metrics": ["map50", "hit_rate_far1"],
                                "bootstrap_samples": 50, "seed": 0, "classes": None}  # fmt: skip
    table = _ok(_run(world, url, "nld-r", "evaluation", "list"))
    assert shown["id"] in table and "released" in table
    assert '"map50": 0.61' in _ok(_run(world, url, "nld-r", "evaluation", "show", shown["id"]))
    receipt = tmp_path / "receipt.json"
    _ok(_run(world, url, "nld-r", "evaluation", "receipt", shown["id"], "--out", str(receipt)))
    assert json.loads(receipt.read_text()) == {"payloadType": "x"}
    board = _ok(_run(world, url, "nld-r", "leaderboard", HOLDING))
    assert world.model in board and "0.61" in board
    refused = _run(world, url, "nld-r2", "leaderboard", HOLDING)
    assert refused.exit_code != 0 and "no holding" in refused.output


def test_enclave_policy_and_review(served: tuple[EnclaveWorld, str]) -> None:
    world, url = served
    out = _ok(_run(world, url, "gbr-s", "enclave-policy", HOLDING, "--manual-review",
                   "--budget", "7", "--json"))  # fmt: skip
    assert json.loads(out)["manual_review"] is True and json.loads(out)["budget"] == 7
    submitted = json.loads(_ok(_run(world, url, "nld-r", "evaluate", world.model, "--holding",
                                    HOLDING, "--grant", world.grant, "--json")))  # fmt: skip
    assert submitted["metrics"]["metrics"] == ["map50"]  # no --metrics: the leaderboard's
    _finish_next(world, Released({"map50": 0.2}))
    reviews = _ok(_run(world, url, "gbr-s", "evaluation", "reviews"))
    assert "1 pending" in reviews and '"map50": 0.2' in reviews
    no_reason = _run(world, url, "gbr-s", "evaluation", "review", submitted["id"], "--refuse")
    assert no_reason.exit_code != 0 and "needs a reason" in no_reason.output
    done = _ok(_run(world, url, "gbr-s", "evaluation", "review", submitted["id"], "--refuse",
                    "--reason", "a single scan dominates", "--json"))  # fmt: skip
    assert json.loads(done)["state"] == "refused"
    shown = json.loads(_ok(_run(world, url, "gbr-s", "enclave-policy", HOLDING, "--json")))
    assert shown["budget"] == 7


def test_evaluate_with_a_bad_metric_spec_says_which_rule(served: tuple[EnclaveWorld, str]) -> None:
    world, url = served
    before = _ok(_run(world, url, "nld-r", "evaluation", "list", "--json"))
    for spec, rule in (
        ('{"metrics": ["roc_auc"]}', "'roc_auc' is not one of"),
        ('{"metrics": ["map50"], "seed": "x"}', "seed must be an integer"),
    ):
        refused = _run(world, url, "nld-r", "evaluate", world.model, "--holding", HOLDING,
                       "--grant", world.grant, "--metrics", spec)  # fmt: skip
        assert refused.exit_code != 0 and rule in refused.output, refused.output
    not_json = _run(world, url, "nld-r", "evaluate", world.model, "--holding", HOLDING,
                    "--grant", world.grant, "--metrics", "[1]")  # fmt: skip
    assert not_json.exit_code != 0 and "--metrics must be a JSON object" in not_json.output
    assert _ok(_run(world, url, "nld-r", "evaluation", "list", "--json")) == before
