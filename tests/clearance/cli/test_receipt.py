"""`clearance receipt verify` against a real node's JWKS (fetched, or saved to a file)."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from clearance.cli.node import cli
from clearance.http.app import create_app
from clearance.node import Node, open_node
from clearance.settings import Settings
from models.metric_spec import Estimate, MetricSpec, Results
from models.receipts import Evaluator, model_subject, receipt_predicate, sign_receipt
from models.release import Budget, ReleasePolicy, release
from tests.helpers.server import serve


@pytest.fixture(scope="module")
def node_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Node, str]]:
    root = tmp_path_factory.mktemp("receipts")
    node = open_node(Settings(data_dir=root / "data", database_url=f"sqlite:///{root}/r.db"))
    node.directory.add_administration("GBR", "UK Border Force")
    node.directory.add_administration("NLD", "Douane")
    with serve(create_app(node)) as url:
        yield node, url


def _receipt(node: Node, admin: str, issuer: str) -> dict[str, object]:
    results = Results({"map50": Estimate(0.7345, 0.69, 0.78, n=140)}, {"images": 123})
    predicate = receipt_predicate(
        evaluation_id="ev-7", holding="GBR-p", holding_version=1,
        manifest_sha256=hashlib.sha256(b"m").hexdigest(), split="all",
        spec=MetricSpec("object-detection", ("map50",)),
        evaluator=Evaluator("clearance", "0.10.0", "1.20.1", "1.17.0"),
        released=release(results, ReleasePolicy()), budget=Budget(20, 4),
        at=datetime(2025, 3, 1, 10, 0, tzinfo=UTC), issuer=issuer,
    )  # fmt: skip
    subject = model_subject("demo-detector", hashlib.sha256(b"onnx").hexdigest())
    return sign_receipt(predicate, subject, node.directory.signing_key(admin))


def _write(path: Path, obj: object) -> str:
    path.write_text(json.dumps(obj))
    return str(path)


def test_verify_online_and_offline(node_url: tuple[Node, str], tmp_path: Path) -> None:
    node, url = node_url
    file = _write(tmp_path / "r.json", _receipt(node, "GBR", "GBR"))
    runner = CliRunner()
    online = runner.invoke(cli, ["receipt", "verify", file, "--url", url])
    assert online.exit_code == 0, online.output
    assert "receipt verified" in online.output and "map50" in online.output
    assert "0.73  [0.69, 0.78]" in online.output and "4 of 20 spent" in online.output
    jwks = _write(tmp_path / "gbr.json", httpx.get(f"{url}/administrations/GBR/jwks.json").json())
    offline = runner.invoke(cli, ["receipt", "verify", file, "--jwks", jwks, "--json"])
    assert offline.exit_code == 0, offline.output
    assert json.loads(offline.output)["predicate"]["released"]["values"]["map50"]["value"] == 0.73


def test_a_changed_value_or_a_false_issuer_fails(
    node_url: tuple[Node, str], tmp_path: Path
) -> None:
    node, url = node_url
    envelope = _receipt(node, "GBR", "GBR")
    statement = json.loads(base64.b64decode(str(envelope["payload"])))
    statement["predicate"]["budget"]["spent"] = 1
    envelope["payload"] = base64.b64encode(json.dumps(statement).encode()).decode()
    runner = CliRunner()
    tampered = runner.invoke(cli, ["receipt", "verify", _write(tmp_path / "t.json", envelope),
                                   "--url", url])  # fmt: skip
    assert tampered.exit_code == 1
    assert "bad-signature" in tampered.output
    # NLD's key, claiming GBR issued it: GBR's JWKS does not hold that key
    false = _write(tmp_path / "f.json", _receipt(node, "NLD", "GBR"))
    refused = runner.invoke(cli, ["receipt", "verify", false, "--url", url])
    assert refused.exit_code == 1 and "unknown-key" in refused.output
    genuine = _write(tmp_path / "g.json", _receipt(node, "NLD", "NLD"))
    wrong = runner.invoke(cli, ["receipt", "verify", genuine, "--url", url, "--issuer", "GBR"])
    assert wrong.exit_code == 1 and "issuer" in wrong.output
    garbage = runner.invoke(cli, ["receipt", "verify", _write(tmp_path / "x.json", [1]),
                                  "--url", url])  # fmt: skip
    assert garbage.exit_code == 1 and "Traceback" not in garbage.output


def test_needs_exactly_one_key_source(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["receipt", "verify", _write(tmp_path / "r.json", {})])
    assert result.exit_code == 2 and "exactly one of" in result.output
