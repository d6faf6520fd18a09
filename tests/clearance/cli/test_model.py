"""``clearance model submit|list|show|share`` against a real server."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from access import Level, Role
from clearance.cli.node import cli
from clearance.http.app import create_app
from clearance.node import Node, open_node
from clearance.settings import Settings
from tests.helpers.server import serve
from tests.models import onnx_builders as b


@pytest.fixture(scope="module")
def node_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Node, str]]:
    root = tmp_path_factory.mktemp("models-cli")
    node = open_node(Settings(data_dir=root / "data", database_url=f"sqlite:///{root}/c.db"))
    node.directory.add_administration("NLD", "Douane")
    node.directory.add_administration("GBR", "UK Border Force")
    node.directory.add_user("ann", admin="NLD", roles=[Role.RESEARCHER], clearance=Level.R2)
    node.directory.add_user("gus", admin="GBR", roles=[Role.RESEARCHER], clearance=Level.R2)
    with serve(create_app(node)) as url:
        yield node, url


def _env(node: Node, url: str, user: str) -> dict[str, str]:
    token = node.directory.issue_token(user, audience=node.settings.node_id)
    return {"CLEARANCE_URL": url, "CLEARANCE_TOKEN": token}


def _ok(result: Result) -> str:
    assert result.exit_code == 0, result.output
    return result.output


def _files(tmp_path: Path, data: bytes, task: str = "object-detection") -> tuple[str, str]:
    (tmp_path / "m.onnx").write_bytes(data)
    (tmp_path / "card.json").write_text(json.dumps(b.card_for(task)))
    return str(tmp_path / "m.onnx"), str(tmp_path / "card.json")


def test_submit_list_show_share(node_url: tuple[Node, str], tmp_path: Path) -> None:
    node, url = node_url
    runner = CliRunner()
    ann, gus = _env(node, url, "ann"), _env(node, url, "gus")
    model, card = _files(tmp_path, b.detector())
    created = json.loads(
        _ok(runner.invoke(cli, ["model", "submit", model, "--card", card, "--json"], env=ann))
    )
    assert created["version"] == 1 and created["owner"] == "NLD"
    listed = _ok(runner.invoke(cli, ["model", "list"], env=ann))
    assert created["id"] in listed and "tiny object-detection" in listed
    shown = _ok(runner.invoke(cli, ["model", "show", created["id"]], env=ann))
    assert created["sha256"] in shown and "object-detection" in shown
    item = json.loads(_ok(runner.invoke(cli, ["model", "show", created["id"], "--json"], env=ann)))
    assert item["properties"]["mlm:framework"] == "ONNX"
    hidden = runner.invoke(cli, ["model", "show", created["id"]], env=gus)
    assert hidden.exit_code != 0 and "no such model" in hidden.output
    _ok(runner.invoke(cli, ["model", "share", created["id"], "GBR"], env=ann))
    assert created["id"] in _ok(runner.invoke(cli, ["model", "list", "--json"], env=gus))


def test_refusals_are_clear(node_url: tuple[Node, str], tmp_path: Path) -> None:
    node, url = node_url
    runner = CliRunner()
    ann = _env(node, url, "ann")
    model, card = _files(tmp_path, b.external_initializer("/etc/passwd"))
    refused = runner.invoke(cli, ["model", "submit", model, "--card", card], env=ann)
    assert refused.exit_code == 1
    assert "external-data" in refused.output and "Traceback" not in refused.output
    (tmp_path / "card.json").write_text('{"a": 1, "a": 2}')
    bad = runner.invoke(cli, ["model", "submit", model, "--card", card], env=ann)
    assert bad.exit_code == 1 and "twice" in bad.output


def test_the_client_checks_the_size_before_sending(tmp_path: Path) -> None:
    """A file over the cap is refused locally (no node is running at this URL)."""
    big = tmp_path / "big.onnx"
    with big.open("wb") as f:
        f.truncate((64 << 20) + 1)
    (tmp_path / "card.json").write_text("{}")
    env = {"CLEARANCE_URL": "http://127.0.0.1:9", "CLEARANCE_TOKEN": "x"}
    result = CliRunner().invoke(
        cli, ["model", "submit", str(big), "--card", str(tmp_path / "card.json")], env=env
    )
    assert result.exit_code == 1 and "the cap is 67108864" in result.output


def test_model_commands_start_without_onnx() -> None:
    probe = (
        "import sys; from clearance.cli.node import cli; "
        "from clearance.client.models import submission_body; "
        "print(sorted(m for m in ('onnx', 'onnxruntime', 'jsonschema', 'sqlalchemy', 'fastapi') "
        "if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out
