"""compose.yaml and the nginx configuration: the services the issue names, settings only from
the environment and secret files, the operator guide's proxy limits, and secrets the helper
script makes. (No container engine runs here: the stack itself is not started.)"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml  # type: ignore[import-untyped]

from tests.deploy.tools import REPO

COMPOSE = REPO / "compose.yaml"
NGINX = REPO / "docker" / "nginx.conf"


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return loaded


def _known_settings() -> set[str]:
    """Every CLEARANCE_* name the node or its entry point reads."""
    names: set[str] = set()
    for path in [*(REPO / "clearance").rglob("*.py"), *(REPO / "transfer").rglob("*.py")]:
        names |= set(re.findall(r'"(CLEARANCE_[A-Z0-9_]+)"', path.read_text()))
    return names


def test_the_stack_has_node_migrations_database_s3_and_a_tls_proxy(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert {"node", "migrate", "postgres", "seaweedfs", "bucket", "proxy", "worker"} <= set(
        services
    )
    assert services["node"]["command"] == ["serve"]
    assert services["migrate"]["command"] == ["migrate"]
    assert services["worker"]["command"] == ["worker"]
    assert (
        services["node"]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    )
    assert services["proxy"]["ports"] == ["8443:8443", "8080:8080"]
    published = [name for name, s in services.items() if s.get("ports")]
    assert published == ["proxy"]  # nothing else is reachable from the host
    assert compose["networks"]["internal"]["internal"] is True
    for name in ("node", "migrate", "worker"):
        assert services[name]["build"] == "."
        assert services[name]["read_only"] is True


def test_settings_are_known_names_and_secrets_are_files(compose: dict[str, Any]) -> None:
    known = _known_settings()
    environment = compose["services"]["node"]["environment"]
    for name, value in environment.items():
        if name.startswith("CLEARANCE_"):
            assert name in known or name.removesuffix("_FILE") in known, name
        assert not re.search(r"(PASSWORD|SECRET|PASSPHRASE|ACCESS_KEY)$", name), name
        if name.endswith("_FILE"):
            assert value.startswith("/run/secrets/"), name
    for secret in compose["secrets"].values():
        assert secret["file"].startswith("./var/compose/")  # var/ is never committed


def test_the_secrets_script_makes_every_secret_and_keeps_them(
    tmp_path: Path, compose: dict[str, Any]
) -> None:
    folder = tmp_path / "secrets"
    script = REPO / "docker" / "compose-secrets.sh"
    subprocess.run(["sh", str(script), str(folder)], check=True, capture_output=True, timeout=60)
    wanted = {Path(s["file"]).name for s in compose["secrets"].values()}
    assert wanted <= {p.name for p in folder.iterdir()}
    assert oct(folder.stat().st_mode & 0o777) == "0o700"
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    subprocess.run(["sh", str(script), str(folder)], check=True, capture_output=True, timeout=60)
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before  # re-running keeps them
    identity = (folder / "s3.json").read_text()
    assert (folder / "s3_secret_key").read_text().strip() in identity


def _directives(text: str) -> set[str]:
    return {" ".join(line.split("#")[0].split()) for line in text.splitlines() if line.strip()}


def test_the_proxy_has_the_operator_guides_limits() -> None:
    guide = (REPO / "docs" / "operator-guide.md").read_text()
    (block,) = re.findall(r"```nginx\n(.*?)```", guide, flags=re.S)
    conf = _directives(NGINX.read_text())
    for directive in _directives(block):
        if directive.startswith("location"):
            assert (
                "location = /auth/login {" in conf
                and "limit_req zone=login burst=10 nodelay;" in conf
            )
            continue
        assert directive in conf, directive
    assert "ssl_protocols TLSv1.2 TLSv1.3;" in conf
    assert "proxy_set_header X-Forwarded-For $remote_addr;" in conf
    assert "location / { return 308 https://$host:8443$request_uri; }" in conf  # 8080 redirects
