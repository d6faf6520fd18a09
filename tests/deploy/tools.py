"""The deploy checks' helpers: the separate tool environment (.venv-deploy) and HCL loading.

checkov pins many packages of its own, so it and hadolint live in ``.venv-deploy`` (made by
``scripts/deploy-tools.sh``, which ``make test`` runs), never in the project's ``.venv``. A test
that needs a tool finds it by path: missing, it fails under ``CLEARANCE_REQUIRE_SERVICES=1`` (as
in ``make test`` and CI) and is skipped otherwise, saying how to make it.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import hcl2
import pytest

__all__ = ["REPO", "checkov_json", "deploy_tool", "load_tf", "strip"]

REPO = Path(__file__).resolve().parents[2]
DEPLOY_VENV = REPO / ".venv-deploy"


def deploy_tool(name: str) -> Path:
    path = DEPLOY_VENV / "bin" / name
    if not path.exists():
        reason = f"{path} is missing: run `bash scripts/deploy-tools.sh` (make test does)"
        if os.environ.get("CLEARANCE_REQUIRE_SERVICES") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    return path


def checkov_json(*arguments: str) -> list[dict[str, Any]]:
    """checkov's JSON report (one entry per framework), run offline (--skip-download)."""
    checkov = deploy_tool("checkov")
    result = subprocess.run(
        [str(checkov), "--skip-download", "--quiet", "--output", "json", *arguments],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode in (0, 1), result.stderr[-2000:]
    report = json.loads(result.stdout)
    return report if isinstance(report, list) else [report]


def strip(value: Any) -> Any:
    """python-hcl2's tree as plain data: quotes off strings and keys, block markers gone."""
    if isinstance(value, dict):
        return {
            strip(key): strip(item)
            for key, item in value.items()
            if key not in ("__is_block__", "__comments__", "__inline_comments__")
        }
    if isinstance(value, list):
        return [strip(item) for item in value]
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        try:
            decoded: Any = json.loads(value)
        except json.JSONDecodeError:
            return value[1:-1]
        return decoded
    return value


def load_tf(path: Path) -> dict[str, Any]:
    """One .tf file, parsed (a syntax error raises) and stripped."""
    with path.open(encoding="utf-8") as handle:
        parsed: dict[str, Any] = strip(hcl2.load(handle))
    return parsed
