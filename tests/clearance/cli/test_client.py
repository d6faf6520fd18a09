"""The client commands against a real server: keys, request, review, grant (tables and JSON)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from access import Level, Role
from catalog import CatalogHoldings
from catalog.synth import generate_holding
from clearance.cli.node import cli
from clearance.http.app import create_app
from clearance.node import Node, open_node
from clearance.publishing.folder import publish_folder
from clearance.settings import Settings
from tests.helpers.server import serve


@pytest.fixture(scope="module")
def node_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Node, str]]:
    root = tmp_path_factory.mktemp("client")
    node = open_node(Settings(data_dir=root / "data", database_url=f"sqlite:///{root}/c.db"))
    node.directory.add_administration("GBR", "UK Border Force")
    node.directory.add_administration("NLD", "Douane")
    node.directory.add_user("ann", admin="NLD", roles=[Role.RESEARCHER], clearance=Level.R2)
    node.directory.add_user("sam", admin="GBR", roles=[Role.STEWARD], clearance=Level.R3)
    generate_holding(root / "src", kind="parcel", count=3, seed=5, admin="GBR")
    publish_folder(
        node,
        root / "src",
        admin="GBR",
        holding_id="GBR-p",
        title="Parcels",
        description="",
        level="R1",
        marking="OFFICIAL",
        rel_to="ALL",
        handling="download",
        discovery="partners",
    )
    with serve(create_app(node)) as url:
        yield node, url


def _as(node: Node, url: str, user: str) -> dict[str, str]:
    token = node.directory.issue_token(user, audience=node.settings.node_id)
    return {"CLEARANCE_URL": url, "CLEARANCE_TOKEN": token, "C4GH_PASSPHRASE": "correct horse"}


def _ok(result: Result) -> str:
    assert result.exit_code == 0, result.output
    return result.output


def test_request_review_grant_round_trip(node_url: tuple[Node, str], tmp_path: Path) -> None:
    node, url = node_url
    runner = CliRunner()
    ann, sam = _as(node, url, "ann"), _as(node, url, "sam")
    _ok(runner.invoke(cli, ["keys", "generate", str(tmp_path / "ann")], env=ann))
    assert (tmp_path / "ann.sec").stat().st_mode & 0o777 == 0o600
    _ok(runner.invoke(cli, ["keys", "register", str(tmp_path / "ann.pub")], env=ann))
    created = json.loads(
        _ok(
            runner.invoke(
                cli,
                [
                    "request",
                    "create",
                    "--holding",
                    "GBR-p",
                    "--purpose",
                    "train",
                    "--purpose-code",
                    "model-training",
                    "--mode",
                    "download",
                    "--days",
                    "30",
                    "--json",
                ],
                env=ann,
            )
        )
    )
    assert created["state"] == "submitted"
    queue = _ok(runner.invoke(cli, ["review", "list"], env=sam))
    assert "1 pending" in queue and created["id"] in queue
    approved = json.loads(
        _ok(
            runner.invoke(
                cli, ["review", "approve", created["id"], "--max-days", "7", "--json"], env=sam
            )
        )
    )
    assert approved["state"] == "granted"
    listed = _ok(runner.invoke(cli, ["grant", "list"], env=ann))
    assert approved["grant"] in listed and "valid" in listed
    shown = json.loads(
        _ok(
            runner.invoke(
                cli,
                ["grant", "show", approved["grant"], "--json", "--save", str(tmp_path / "g.jwt")],
                env=ann,
            )
        )
    )
    assert shown["verified"] is True and shown["holding"] == "GBR-p"
    assert shown["operations"] == ["download"]
    assert (tmp_path / "g.jwt").read_text().count(".") == 2
    revoked = _ok(runner.invoke(cli, ["grant", "revoke", approved["grant"]], env=sam))
    assert "revoked" in revoked
    assert "revoked" in _ok(runner.invoke(cli, ["grant", "list"], env=ann))


def test_client_errors_are_clear(node_url: tuple[Node, str]) -> None:
    node, url = node_url
    runner = CliRunner()
    ann = _as(node, url, "ann")
    missing = runner.invoke(cli, ["request", "show", "req-nope"], env=ann)
    assert missing.exit_code != 0 and "no access request" in missing.output
    refused = runner.invoke(cli, ["review", "list"], env=ann)
    assert refused.exit_code != 0 and "role-lacks-action" in refused.output
    bad_token = runner.invoke(cli, ["request", "list"], env={**ann, "CLEARANCE_TOKEN": "x.y.z"})
    assert bad_token.exit_code != 0 and "HTTP 401" in bad_token.output
    unreachable = runner.invoke(
        cli, ["request", "list"], env={**ann, "CLEARANCE_URL": "http://127.0.0.1:9"}
    )
    assert unreachable.exit_code != 0 and "cannot reach the node" in unreachable.output


def test_second_steward_sees_combined_conditions_and_stewards_never_the_token(
    node_url: tuple[Node, str], tmp_path: Path
) -> None:
    node, url = node_url
    node.directory.add_user("sue", admin="GBR", roles=[Role.STEWARD], clearance=Level.R3)
    node.directory.add_user("bob", admin="NLD", roles=[Role.RESEARCHER], clearance=Level.R3)
    generate_holding(tmp_path / "src", kind="parcel", count=3, seed=6, admin="GBR")
    publish_folder(
        node, tmp_path / "src", admin="GBR", holding_id="GBR-r3", title="R3 parcels",
        description="", level="R3", marking="OFFICIAL-SENSITIVE", rel_to="ALL",
        handling="download", discovery="partners",
    )  # fmt: skip
    ids = CatalogHoldings(node.sessions).resolve_items("GBR-r3", [])
    runner = CliRunner()
    bob, sam, sue = (_as(node, url, u) for u in ("bob", "sam", "sue"))
    _ok(runner.invoke(cli, ["keys", "generate", str(tmp_path / "bob")], env=bob))
    _ok(runner.invoke(cli, ["keys", "register", str(tmp_path / "bob.pub")], env=bob))
    create = ["request", "create", "--holding", "GBR-r3", "--purpose", "train", "--purpose-code",
              "model-training", "--mode", "download", "--days", "30", "--json"]  # fmt: skip
    request_id = json.loads(_ok(runner.invoke(cli, create, env=bob)))["id"]
    first = f"id IN ('{ids[0]}', '{ids[1]}')"
    approve = ["review", "approve", request_id, "--items", first, "--max-days", "9"]
    _ok(runner.invoke(cli, approve, env=sam))
    queue = _ok(runner.invoke(cli, ["review", "list"], env=sue))
    assert f"at most 9 days; items where ({first})" in queue.replace("\n", " ")
    shown = _ok(runner.invoke(cli, ["request", "show", request_id], env=bob))
    assert "items        2" in shown and "at most 9 days" in shown
    second = f"id = '{ids[1]}'"
    done = json.loads(
        _ok(
            runner.invoke(
                cli, ["review", "approve", request_id, "--items", second, "--json"], env=sue
            )
        )
    )
    assert done["state"] == "granted" and done["items"] == 1
    as_steward = json.loads(
        _ok(runner.invoke(cli, ["grant", "show", done["grant"], "--json"], env=sam))
    )
    assert as_steward["verified"] is None and "token" not in as_steward
    assert as_steward["subject"] == "bob" and "subject only" in as_steward["token_note"]
    save = ["grant", "show", done["grant"], "--save", str(tmp_path / "g.jwt")]
    refused = runner.invoke(cli, save, env=sam)
    assert refused.exit_code != 0 and not (tmp_path / "g.jwt").exists()
    as_subject = json.loads(
        _ok(runner.invoke(cli, ["grant", "show", done["grant"], "--json"], env=bob))
    )
    assert as_subject["verified"] is True
