"""A request the policy refuses at creation is recorded, shown, and exits 3 (refused by policy)."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from access import Level, Role
from catalog.synth import generate_holding
from clearance.cli.errors import EXIT_REFUSED
from clearance.cli.node import cli
from clearance.http.app import create_app
from clearance.node import open_node
from clearance.publishing.folder import publish_folder
from clearance.settings import Settings
from tests.helpers.server import serve


def test_a_request_refused_by_policy_exits_3(tmp_path: Path) -> None:
    node = open_node(
        Settings(data_dir=tmp_path / "data", database_url=f"sqlite:///{tmp_path}/r.db")
    )
    node.directory.add_administration("GBR", "UK Border Force")
    node.directory.add_administration("NLD", "Douane")
    node.directory.add_user("ann", admin="NLD", roles=[Role.RESEARCHER], clearance=Level.R1)
    generate_holding(tmp_path / "src", kind="parcel", count=2, seed=5, admin="GBR")
    publish_folder(node, tmp_path / "src", admin="GBR", holding_id="GBR-r2", title="R2 parcels",
                   description="", level="R2", marking="OFFICIAL-SENSITIVE", rel_to="ALL",
                   handling="download", discovery="partners")  # fmt: skip
    token = node.directory.issue_token("ann", audience=node.settings.node_id)
    with serve(create_app(node)) as url:
        env = {"CLEARANCE_URL": url, "CLEARANCE_TOKEN": token}
        result = CliRunner().invoke(cli, [
            "request", "create", "--holding", "GBR-r2", "--purpose", "evaluate a detector",
            "--purpose-code", "model-evaluation", "--mode", "evaluation", "--days", "30",
        ], env=env)  # fmt: skip
        listed = CliRunner().invoke(cli, ["request", "list"], env=env)
    assert result.exit_code == EXIT_REFUSED == 3, result.output
    assert "refused by policy" in result.output
    assert "refused" in listed.output  # recorded, not lost
