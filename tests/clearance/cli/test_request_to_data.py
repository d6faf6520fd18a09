"""From request to data against a real server: the steward's view of a filtered request, a
decision awaited with ``request create --wait``, ``pull`` by request id and by grant id, and the
exit codes of decisions on requests that are over."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from access import Level, Role
from catalog import CatalogHoldings
from catalog.synth import generate_holding
from clearance.cli.errors import EXIT_REFUSED
from clearance.cli.node import cli
from clearance.http.app import create_app
from clearance.node import Node, open_node
from clearance.publishing.folder import publish_folder
from clearance.settings import Settings
from tests.helpers.server import serve


@pytest.fixture(scope="module")
def node_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Node, str]]:
    root = tmp_path_factory.mktemp("to-data")
    node = open_node(Settings(data_dir=root / "data", database_url=f"sqlite:///{root}/d.db"))
    node.directory.add_administration("GBR", "UK Border Force")
    node.directory.add_administration("NLD", "Douane")
    node.directory.add_user("ann", admin="NLD", roles=[Role.RESEARCHER], clearance=Level.R2)
    node.directory.add_user("sam", admin="GBR", roles=[Role.STEWARD], clearance=Level.R3)
    generate_holding(root / "src", kind="parcel", count=4, seed=8, admin="GBR")
    publish_folder(node, root / "src", admin="GBR", holding_id="GBR-p", title="Parcels",
                   description="", level="R1", marking="OFFICIAL", rel_to="ALL",
                   handling="download", discovery="partners")  # fmt: skip
    with serve(create_app(node)) as url:
        yield node, url


def _as(node: Node, url: str, user: str, config: Path) -> dict[str, str]:
    token = node.directory.issue_token(user, audience=node.settings.node_id)
    return {"CLEARANCE_URL": url, "CLEARANCE_TOKEN": token, "C4GH_PASSPHRASE": "correct horse",
            "CLEARANCE_CONFIG_DIR": str(config)}  # fmt: skip


def _ok(result: Result) -> str:
    assert result.exit_code == 0, result.output
    return result.output


def _create(env: dict[str, str], *extra: str) -> Result:
    args = ["request", "create", "--holding", "GBR-p", "--purpose", "train a pill detector",
            "--purpose-code", "model-training", "--mode", "download", "--days", "30",
            *extra]  # fmt: skip
    return CliRunner().invoke(cli, args, env=env)


@pytest.fixture
def people(node_url: tuple[Node, str], tmp_path: Path) -> dict[str, dict[str, str]]:
    node, url = node_url
    ann = _as(node, url, "ann", tmp_path / "config")
    _ok(CliRunner().invoke(cli, ["keys", "generate", str(tmp_path / "ann")], env=ann))
    _ok(CliRunner().invoke(cli, ["keys", "register", str(tmp_path / "ann.pub")], env=ann))
    return {"ann": ann, "sam": _as(node, url, "sam", tmp_path / "config")}


def test_steward_sees_what_a_filtered_request_selects_then_data_by_request_and_grant_id(
    node_url: tuple[Node, str], people: dict[str, dict[str, str]], tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    node, _ = node_url
    ann, sam = people["ann"], people["sam"]
    every = CatalogHoldings(node.sessions).resolve_items("GBR-p", [])
    selected = every[1:3]  # a strict subset, so the counts below say what the filter selects
    item_filter = f"id IN ('{selected[0]}', '{selected[1]}')"
    request_id = json.loads(_ok(_create(ann, "--filter", item_filter, "--json")))["id"]

    queue = json.loads(_ok(CliRunner().invoke(cli, ["review", "list", "--json"], env=sam)))
    mine = next(r for r in queue["requests"] if r["id"] == request_id)
    assert (mine["selects"], mine["precheck"]) == (len(selected), "allowed")
    table = _ok(CliRunner().invoke(cli, ["review", "list"], env=sam))
    row = next(line for line in table.splitlines() if line.startswith(request_id))
    for shown in ("ann", "NLD", "GBR-p", "model-training: train a pill detector", "download",
                  "30", item_filter, f"{len(selected)} now", "allowed"):  # fmt: skip
        assert shown in row, (shown, row)

    _ok(CliRunner().invoke(cli, ["review", "approve", request_id, "--reason", "fits our MoU"],
                           env=sam))  # fmt: skip
    shown_text = _ok(CliRunner().invoke(cli, ["request", "show", request_id], env=sam))
    assert f"item filter  {item_filter}" in shown_text
    assert "sam approved: fits our MoU" in shown_text
    assert "{" not in shown_text and "None" not in shown_text  # words, not Python reprs

    monkeypatch.chdir(tmp_path)  # a relative --out, as the user guide shows
    pulled = _ok(CliRunner().invoke(cli, ["pull", request_id, "--key", str(tmp_path / "ann.sec"),
                                          "--out", "by-request", "--quiet"], env=ann))  # fmt: skip
    assert "objects verified and decrypted" in pulled
    items = {p.parent.name for p in (tmp_path / "by-request" / "GBR-p").glob("*/*.json")}
    assert items == set(selected)
    grant_id = json.loads(_ok(CliRunner().invoke(cli, ["request", "show", request_id, "--json"],
                                                 env=ann)))["grant"]  # fmt: skip
    _ok(CliRunner().invoke(cli, ["pull", grant_id, "--key", str(tmp_path / "ann.sec"), "--out",
                                 str(tmp_path / "by-grant"), "--quiet"], env=ann))  # fmt: skip
    assert {p.parent.name for p in (tmp_path / "by-grant" / "GBR-p").glob("*/*.json")} == items


def test_pull_names_what_is_missing(people: dict[str, dict[str, str]], tmp_path: Path) -> None:
    ann = people["ann"]
    request_id = json.loads(_ok(_create(ann, "--json")))["id"]
    key = ["--key", str(tmp_path / "ann.sec"), "--out", str(tmp_path / "out")]
    pending = CliRunner().invoke(cli, ["pull", request_id, *key], env=ann)
    assert pending.exit_code == 1
    assert f"request {request_id} is submitted: it has no grant to pull" in pending.output
    unknown = CliRunner().invoke(cli, ["pull", "req-0000000000000000", *key], env=ann)
    assert unknown.exit_code == 1 and "no access request" in unknown.output
    nonsense = CliRunner().invoke(cli, ["pull", "not a grant!", *key], env=ann)
    assert nonsense.exit_code == 1 and "GRANT must be a grant token" in nonsense.output
    assert not (tmp_path / "out").exists()


def test_decisions_on_requests_that_are_over_fail(people: dict[str, dict[str, str]]) -> None:
    ann, sam = people["ann"], people["sam"]
    withdrawn = json.loads(_ok(_create(ann, "--json")))["id"]
    _ok(CliRunner().invoke(cli, ["request", "withdraw", withdrawn], env=ann))
    approve = CliRunner().invoke(cli, ["review", "approve", withdrawn], env=sam)
    assert approve.exit_code == 1
    assert f"request {withdrawn} is withdrawn: it can no longer be approved" in approve.output
    refused = json.loads(_ok(_create(ann, "--json")))["id"]
    _ok(CliRunner().invoke(cli, ["review", "refuse", refused, "--reason", "not now"], env=sam))
    again = CliRunner().invoke(cli, ["review", "approve", refused], env=sam)
    assert again.exit_code == 1 and "is refused: it can no longer be approved" in again.output
    repeated = CliRunner().invoke(cli, ["review", "refuse", refused, "--reason", "still not"],
                                  env=sam)  # fmt: skip
    assert repeated.exit_code == 0  # the same decision again: idempotent
    shown = _ok(CliRunner().invoke(cli, ["request", "show", refused], env=ann))
    assert "state        refused (not now)" in shown and "sam refused: not now" in shown


def _decide_when_submitted(node: Node, decide: str, seen: list[str]) -> None:
    """The steward, meanwhile: decides the newest pending request once it appears."""
    sam = node.directory.user("sam").principal()
    for _ in range(200):
        pending = node.requests.queue(sam)
        if pending:
            seen.append(pending[-1].id)
            if decide == "refuse":
                node.requests.refuse(sam, pending[-1].id, "purpose too vague")
            else:
                from access.request_states import Conditions

                node.requests.approve(sam, pending[-1].id, Conditions(), "ok")
            return
        time.sleep(0.05)


@pytest.mark.parametrize(("decision", "code", "said"), [
    ("approve", 0, "granted: pull it with `clearance pull"),
    ("refuse", EXIT_REFUSED, "error: refused by a steward: purpose too vague"),
])  # fmt: skip
def test_request_create_waits_for_the_decision(
    node_url: tuple[Node, str], people: dict[str, dict[str, str]],
    decision: str, code: int, said: str,
) -> None:  # fmt: skip
    node, _ = node_url
    for stale in node.requests.queue(node.directory.user("sam").principal()):
        node.requests.refuse(node.directory.user("sam").principal(), stale.id, "clean slate")
    seen: list[str] = []
    steward = threading.Thread(target=_decide_when_submitted, args=(node, decision, seen))
    steward.start()
    result = _create(people["ann"], "--wait", "--poll-interval", "0.05")
    steward.join()
    assert result.exit_code == code, result.output
    assert said in result.output and seen and seen[0] in result.output


def test_waiting_gives_up_after_the_timeout(people: dict[str, dict[str, str]]) -> None:
    result = _create(people["ann"], "--wait", "--wait-timeout", "0.2", "--poll-interval", "0.05")
    assert result.exit_code == 1
    assert "is submitted" in result.output
