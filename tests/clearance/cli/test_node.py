"""The command line, end to end on an embedded (SQLite) data folder."""

from __future__ import annotations

import json
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from access import verify_token
from clearance.cli.node import cli
from clearance.node import open_node
from clearance.settings import Settings


@pytest.fixture
def run(tmp_path: Path) -> object:
    runner = CliRunner()
    env = {"CLEARANCE_DATA": str(tmp_path / "data")}

    def invoke(*args: str, stdin: str | None = None) -> Result:
        return runner.invoke(cli, list(args), env=env, input=stdin, catch_exceptions=False)

    assert invoke("init").exit_code == 0
    return invoke


def _ok(result: Result) -> str:
    assert result.exit_code == 0, result.output
    return result.output


def test_admin_user_token_publish_who_has(run: object, tmp_path: Path) -> None:
    assert callable(run)
    assert "administration NLD added" in _ok(run("admin", "add", "NLD", "--name", "Douane"))
    _ok(run("admin", "add", "GBR", "--name", "Border Force"))
    key_files = list((tmp_path / "data" / "keys" / "NLD").glob("*.pem"))
    assert len(key_files) == 1
    assert stat.S_IMODE(key_files[0].stat().st_mode) == 0o600
    _ok(run("user", "add", "ann", "--admin", "NLD", "--role", "researcher", "--clearance", "R2"))
    _ok(run("user", "add", "bob", "--admin", "GBR", "--role", "researcher", "--clearance", "R1"))
    token = _ok(run("token", "ann")).strip()
    node = open_node(Settings.from_env({"CLEARANCE_DATA": str(tmp_path / "data")}))
    claims = verify_token(
        token,
        keys=node.directory.trusted_keys(),
        audience=node.settings.node_id,
        now=node.clock.now(),
    )
    assert claims.subject == "ann" and claims.admin == "NLD"

    holding = tmp_path / "h"
    assert "3 scans" in _ok(
        run("synth", str(holding), "--kind", "parcel", "--count", "3", "--seed", "4")
    )
    out = _ok(
        run("publish", str(holding), "--admin", "NLD", "--holding", "NLD-p", "--title", "Parcels",
            "--level", "R1", "--marking", "OFFICIAL", "--rel-to", "ALL", "--handling", "download",
            "--discovery", "partners")
    )  # fmt: skip
    assert "published NLD-p v1: 3 items" in out
    table = _ok(run("who-has", "--as", "bob"))
    assert "as seen by bob (GBR)" in table and "NLD" in table
    rows = json.loads(_ok(run("who-has", "--as", "bob", "--json")))["rows"]
    assert {r["administration"] for r in rows} == {"NLD"}
    assert sum(r["images"] for r in rows if isinstance(r["images"], int)) >= 1


def test_errors_are_one_clear_line_and_exit_1_usage_2(run: object, tmp_path: Path) -> None:
    assert callable(run)
    result = run("admin", "add", "nl", "--name", "x")
    assert result.exit_code == 2  # usage: the argument is malformed
    assert "error: Invalid value for 'CODE': administration code 'nl' is not three upper-case" \
        in result.stderr  # fmt: skip
    assert "hint: see `cli admin add -h`" in result.stderr  # the runner names it "cli"
    _ok(run("admin", "add", "NLD", "--name", "Douane"))
    duplicate = run("admin", "add", "NLD", "--name", "Douane")
    assert duplicate.exit_code == 1 and "exists already" in duplicate.output
    missing = run("token", "nobody")
    assert missing.exit_code == 1 and missing.stderr.startswith("error: no user nobody")
    holding = tmp_path / "h"
    _ok(run("synth", str(holding), "--kind", "parcel", "--count", "2", "--seed", "4"))
    (holding / "annotations.json").write_text("{not json")
    bad = run(
        "publish", str(holding), "--admin", "NLD", "--holding", "NLD-x", "--title", "t",
        "--level", "R1", "--marking", "m", "--rel-to", "ALL", "--handling", "download",
        "--discovery", "partners",
    )  # fmt: skip
    assert bad.exit_code == 1
    assert "annotations.json" in bad.output
    assert "Traceback" not in bad.output


def test_the_cli_starts_without_the_node_side() -> None:
    """Client commands (pull, request, ...) must not pay for FastAPI, SQLAlchemy or Alembic at
    start-up: the node side is imported inside the commands that need it. Nor does receipt
    verification (a client command) load the enclave's scoring libraries."""
    heavy = (
        "'fastapi', 'sqlalchemy', 'alembic', 'uvicorn', 'onnxruntime', 'onnx', 'sklearn', 'scipy', "
        "'jsonschema'"
    )
    probe = (
        "import sys, clearance.cli; from models import verify_receipt, unverified_issuer; "
        f"print(sorted(m for m in ({heavy}, 'faster_coco_eval') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]", out


@pytest.mark.parametrize("args", [["-h"], ["model", "submit", "-h"], ["evaluate", "-h"]])
def test_dash_h_is_help_everywhere(args: list[str]) -> None:
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Usage: ")


def test_version() -> None:
    from importlib.metadata import version

    result = CliRunner().invoke(cli, ["--version"])
    assert result.exit_code == 0, result.output
    assert result.output.split() == [result.output.split()[0], version("clearance")]
