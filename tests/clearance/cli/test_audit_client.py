"""`clearance audit search|export|verify --url` as an auditor against a real server."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from access import Level, Role
from access.request_states import Mode, NewRequest, PurposeCode
from catalog.synth import generate_holding
from clearance.cli.node import cli
from clearance.http.app import create_app
from clearance.node import Node, open_node
from clearance.publishing.folder import publish_folder
from clearance.settings import Settings
from tests.helpers.server import serve


@pytest.fixture(scope="module")
def node_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Node, str]]:
    root = tmp_path_factory.mktemp("audit-cli")
    node = open_node(Settings(data_dir=root / "data", database_url=f"sqlite:///{root}/a.db"))
    node.directory.add_administration("GBR", "UK Border Force")
    node.directory.add_administration("NLD", "Douane")
    node.directory.add_user("gina", admin="GBR", roles=[Role.AUDITOR], clearance=Level.R3,
                            password="audit all the things")  # fmt: skip
    node.directory.add_user("ann", admin="NLD", roles=[Role.RESEARCHER], clearance=Level.R2)
    generate_holding(root / "src", kind="parcel", count=2, seed=4, admin="GBR")
    publish_folder(node, root / "src", admin="GBR", holding_id="GBR-p", title="Parcels",
                   description="", level="R1", marking="OFFICIAL", rel_to="ALL",
                   handling="metadata-only", discovery="partners")  # fmt: skip
    ann = node.directory.user("ann").principal()
    new = NewRequest("GBR-p", "study", PurposeCode.RESEARCH, Mode.EVALUATION, 9)
    node.requests.create(ann, new)
    with serve(create_app(node)) as url:
        yield node, url


def _env(url: str, config: Path) -> dict[str, str]:
    return {"CLEARANCE_URL": url, "CLEARANCE_CONFIG_DIR": str(config), "CLEARANCE_TOKEN": ""}


@pytest.fixture
def auditor(node_url: tuple[Node, str], tmp_path: Path) -> dict[str, str]:
    _, url = node_url
    env = _env(url, tmp_path / "config")
    login = CliRunner().invoke(cli, ["login", "--user", "gina", "--password-stdin"],
                               input="audit all the things\n", env=env)  # fmt: skip
    assert login.exit_code == 0, login.output
    return env


def test_search_as_a_table_and_as_json_lines(auditor: dict[str, str]) -> None:
    table = CliRunner().invoke(cli, ["audit", "search", "--action", "request.*"], env=auditor)
    assert table.exit_code == 0, table.output
    assert "request.create" in table.output and "holding.publish" not in table.output
    lines = CliRunner().invoke(cli, ["audit", "search", "--actor", "ann", "--json"], env=auditor)
    entries = [json.loads(line) for line in lines.output.splitlines()]
    assert entries and {e["actor"] for e in entries} == {"ann"}
    assert {e["action"] for e in entries} >= {"request.create"}
    capped = CliRunner().invoke(cli, ["audit", "search", "--limit", "1", "--json"], env=auditor)
    assert len(capped.output.splitlines()) == 1


def test_export_and_verify_over_http(
    auditor: dict[str, str], node_url: tuple[Node, str], tmp_path: Path
) -> None:
    _, url = node_url
    out = tmp_path / "audit.jsonl"
    export = CliRunner().invoke(cli, ["audit", "export", "--url", url, "--out", str(out),
                                      "--holding", "GBR-p"], env=auditor)  # fmt: skip
    assert export.exit_code == 0, export.output
    assert out.stat().st_mode & 0o777 == 0o600
    exported = [json.loads(line) for line in out.read_text().splitlines()]
    assert exported and all("GBR-p" in json.dumps(e) for e in exported)
    assert f"{len(exported)} entries written" in export.output
    verify = CliRunner().invoke(cli, ["audit", "verify", "--url", url], env=auditor)
    assert verify.exit_code == 0, verify.output
    assert "audit log OK" in verify.output and f"verified by the node at {url}" in verify.output


def test_a_researcher_is_refused_and_filters_need_a_url(
    node_url: tuple[Node, str], tmp_path: Path
) -> None:
    node, url = node_url
    token = node.directory.issue_token("ann", audience=node.settings.node_id)
    env = {**_env(url, tmp_path / "c"), "CLEARANCE_TOKEN": token}
    refused = CliRunner().invoke(cli, ["audit", "search"], env=env)
    assert refused.exit_code == 1 and "role-lacks-action" in refused.output
    local = CliRunner().invoke(cli, ["audit", "export", "--actor", "ann"], env=env)
    assert local.exit_code == 2 and "the filters need --url" in local.output
