"""The Dockerfile: hadolint and checkov find nothing; it is multi-stage, pinned, non-root, with
no build tools in the final stage; and its ENTRYPOINT, CMD and HEALTHCHECK command lines work.

No container runtime runs here, so the command lines are run as written in the Dockerfile, with
the project's Python for ``python``, against the real PostgreSQL and S3 server of ``make test``:
``migrate`` first, then the default command (``serve``), then the HEALTHCHECK, as Docker would.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.engine import make_url

from clearance.http.serving import free_port
from tests.conftest import pg_admin_url
from tests.deploy.tools import REPO, checkov_json, deploy_tool
from tests.transfer.world import s3_env

DOCKERFILE = REPO / "Dockerfile"


def _instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order, continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    found = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            found.append((word.upper(), rest.strip()))
    return found


def _final_stage() -> list[tuple[str, str]]:
    instructions = _instructions()
    last_from = max(i for i, (word, _) in enumerate(instructions) if word == "FROM")
    return instructions[last_from:]


def instruction_json(word: str) -> list[str]:
    """The exec-form (JSON) argument list of the final stage's ENTRYPOINT, CMD or HEALTHCHECK."""
    (rest,) = [rest for w, rest in _final_stage() if w == word]
    if word == "HEALTHCHECK":
        rest = rest[rest.index("CMD ") + 4 :]
    value: Any = json.loads(rest)
    assert isinstance(value, list) and all(isinstance(v, str) for v in value), rest
    return value


# --- linters ---------------------------------------------------------------------------------


def test_hadolint_finds_nothing() -> None:
    hadolint = deploy_tool("hadolint")
    result = subprocess.run(
        [str(hadolint), "--failure-threshold", "info", str(DOCKERFILE)],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr


def test_hadolint_fails_a_bad_dockerfile(tmp_path: Path) -> None:
    """The lint can fail: an unpinned base image, root, apt without pins."""
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python:latest\nRUN apt-get update && apt-get install -y gcc\n")
    hadolint = deploy_tool("hadolint")
    result = subprocess.run(
        [str(hadolint), str(bad)], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode != 0
    assert "DL3007" in result.stdout  # latest tag


def test_checkov_finds_nothing_in_the_dockerfile() -> None:
    (report,) = checkov_json("--file", "Dockerfile", "--framework", "dockerfile")
    assert report["summary"]["parsing_errors"] == 0
    assert report["results"]["failed_checks"] == []
    assert report["summary"]["passed"] > 20
    assert report["results"].get("skipped_checks", []) == []


# --- structure -----------------------------------------------------------------------------------


def test_multi_stage_pinned_non_root_without_build_tools() -> None:
    instructions = _instructions()
    bases = [rest for word, rest in instructions if word == "FROM"]
    assert len(bases) >= 2
    for base in bases:
        image = base.split()[0]
        assert re.fullmatch(r"python:3\.11\.\d+-slim(-\w+)?(@sha256:[0-9a-f]{64})?", image), image
    final = _final_stage()
    users = [rest for word, rest in final if word == "USER"]
    assert users and re.fullmatch(r"[1-9][0-9]{3,}(:[1-9][0-9]{3,})?", users[-1]), users
    runs = " ".join(rest for word, rest in final if word == "RUN")
    for tool in ("gcc", "build-essential", "make ", "apt-get install", "pip install"):
        assert tool not in runs, tool
    assert "pip uninstall" in runs  # the base's pip goes as well
    copies = [rest for word, rest in final if word == "COPY"]
    assert copies == ["--from=build /opt/clearance /opt/clearance"]
    assert instruction_json("ENTRYPOINT") == ["python", "-m", "clearance.container"]
    assert instruction_json("CMD") == ["serve"]
    env = " ".join(rest for word, rest in final if word == "ENV")
    assert not re.search(r"(PASSWORD|SECRET|PASSPHRASE|TOKEN|KEY)\w*=", env)  # env at run time
    build = [rest for word, rest in instructions[: len(instructions) - len(final)] if word == "RUN"]
    assert any("--only-binary=:all:" in r and "-c docker/constraints.txt" in r for r in build)


def test_the_constraints_pin_every_runtime_dependency() -> None:
    import tomllib

    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    pinned = {}
    for line in (REPO / "docker" / "constraints.txt").read_text().splitlines():
        if line and not line.startswith("#"):
            name, _, version = line.partition("==")
            pinned[re.sub(r"[-_.]+", "-", name).lower()] = version
    for requirement in project["dependencies"]:
        name = re.split(r"[\[<>=~! ]", requirement, maxsplit=1)[0]
        assert re.sub(r"[-_.]+", "-", name).lower() in pinned, requirement
    assert "psycopg-binary" in pinned  # the extra's package too


def test_dockerignore_keeps_local_state_out_of_the_build() -> None:
    ignored = set((REPO / ".dockerignore").read_text().split())
    assert {".git", ".venv", ".venv-deploy", "var"} <= ignored


# --- the command lines -----------------------------------------------------------------------


def _command(arguments: list[str]) -> list[str]:
    """A Dockerfile command line with the image's ``python`` replaced by this one."""
    return [sys.executable if a == "python" else a for a in arguments]


@pytest.fixture
def image_env(tmp_path: Path, pg_url_factory: Any) -> dict[str, str]:
    """The environment an orchestrator would give the image: the database in parts (the
    password alone, as a secret), S3, a data folder; PATH and PYTHONPATH find this checkout."""
    if pg_admin_url() is None:
        pytest.skip("no PostgreSQL: run the suite with `make test`")
    url = make_url(pg_url_factory())
    s3 = s3_env()
    bin_dir = str(Path(sys.executable).parent)
    return {
        "PATH": f"{bin_dir}:{os.environ.get('PATH', '/usr/bin:/bin')}",
        "PYTHONPATH": str(REPO),
        "HOME": str(tmp_path),
        "CLEARANCE_DATA": str(tmp_path / "data"),
        "CLEARANCE_PORT": str(free_port()),
        "CLEARANCE_BIND": "127.0.0.1",
        "CLEARANCE_DB_HOST": str(url.host),
        "CLEARANCE_DB_PORT": str(url.port),
        "CLEARANCE_DB_NAME": str(url.database),
        "CLEARANCE_DB_USER": str(url.username),
        "CLEARANCE_DB_PASSWORD": str(url.password),
        "CLEARANCE_DB_SSLMODE": "disable",  # the throw-away cluster has no TLS
        "CLEARANCE_S3_BUCKET": s3["BUCKET"],
        "CLEARANCE_S3_ENDPOINT": s3["ENDPOINT"],
        "CLEARANCE_S3_REGION": s3["REGION"],
        "CLEARANCE_S3_ACCESS_KEY": s3["ACCESS_KEY"],
        "CLEARANCE_S3_SECRET_KEY": s3["SECRET_KEY"],
        "CLEARANCE_S3_PREFIX": f"image-{tmp_path.name}"[:60],
    }


@pytest.fixture
def served(image_env: dict[str, str], tmp_path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    migrate = subprocess.run(
        _command([*instruction_json("ENTRYPOINT"), "migrate"]),
        env=image_env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert migrate.returncode == 0, migrate.stderr[-3000:]
    assert "migrations applied" in migrate.stdout
    log = (tmp_path / "serve.log").open("w")
    server = subprocess.Popen(
        _command([*instruction_json("ENTRYPOINT"), *instruction_json("CMD")]),
        env=image_env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{image_env['CLEARANCE_PORT']}"
    deadline = time.monotonic() + 60
    try:
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert server.poll() is None, (tmp_path / "serve.log").read_text()[-3000:]
            assert time.monotonic() < deadline, "the node did not answer /healthz within 60 s"
            time.sleep(0.3)
        yield base, image_env
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=40)
        log.close()


def _healthcheck(env: dict[str, str], *extra: str) -> int:
    command = _command([*instruction_json("HEALTHCHECK"), *extra])
    return subprocess.run(command, env=env, timeout=30, check=False).returncode


@pytest.mark.postgres
@pytest.mark.s3
def test_the_entry_point_migrates_serves_and_passes_its_health_check(
    served: tuple[str, dict[str, str]],
) -> None:
    base, env = served
    assert _healthcheck(env) == 0
    assert _healthcheck(env, "--ready") == 0
    ready = httpx.get(f"{base}/readyz", timeout=10)
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"database": "ok", "blob-store": "ok"}
    collections = httpx.get(f"{base}/collections", timeout=10)
    assert collections.status_code == 401  # the node itself answers, guarded as ever


@pytest.mark.postgres
@pytest.mark.s3
def test_the_health_check_fails_when_nothing_answers(image_env: dict[str, str]) -> None:
    assert _healthcheck(image_env) == 1  # nothing listens on CLEARANCE_PORT
    assert _healthcheck(image_env, "--ready") == 1


@pytest.mark.postgres
@pytest.mark.s3
def test_readiness_fails_when_the_blob_store_is_unreachable(
    served: tuple[str, dict[str, str]], tmp_path: Path
) -> None:
    _, env = served
    port = free_port()
    broken = {
        **env,
        "CLEARANCE_S3_ENDPOINT": f"http://127.0.0.1:{port}",
        "CLEARANCE_PORT": str(free_port()),
        "CLEARANCE_DATA": str(tmp_path / "d2"),
    }
    server = subprocess.Popen(
        _command([*instruction_json("ENTRYPOINT"), *instruction_json("CMD")]),
        env=broken, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while _healthcheck(broken) != 0:
            assert server.poll() is None and time.monotonic() < deadline
            time.sleep(0.3)
        assert _healthcheck(broken, "--ready") == 1  # live, but not ready: no blob store
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=40)


def test_a_node_that_must_have_its_keys_refuses_to_start_without_them(tmp_path: Path) -> None:
    env = {
        "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '/usr/bin:/bin')}",
        "PYTHONPATH": str(REPO),
        "CLEARANCE_DATA": str(tmp_path / "data"),
        "CLEARANCE_KEYS_REQUIRED": "1",
    }
    result = subprocess.run(
        _command([*instruction_json("ENTRYPOINT"), *instruction_json("CMD")]),
        env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 2
    assert "CLEARANCE_KEYS_REQUIRED=1 but no key bundle holds" in result.stderr
    assert not (tmp_path / "data" / "keys" / "_node").exists()  # no key of its own was made
