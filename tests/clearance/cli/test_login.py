"""`clearance login` / `logout` against a real server: the stored token serves every command."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from access import Level, Role
from clearance.cli.node import cli
from clearance.http.app import create_app
from clearance.node import Node, open_node
from clearance.settings import Settings
from tests.helpers.server import serve

PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="module")
def node_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Node, str]]:
    root = tmp_path_factory.mktemp("login")
    node = open_node(Settings(data_dir=root / "data", database_url=f"sqlite:///{root}/l.db"))
    node.directory.add_administration("NLD", "Douane")
    node.directory.add_user(
        "ann", admin="NLD", roles=[Role.RESEARCHER], clearance=Level.R2, password=PASSWORD
    )
    with serve(create_app(node)) as url:
        yield node, url


def _env(url: str, config: Path) -> dict[str, str]:
    return {"CLEARANCE_URL": url, "CLEARANCE_CONFIG_DIR": str(config), "CLEARANCE_TOKEN": ""}


def test_login_then_commands_use_the_stored_token(
    node_url: tuple[Node, str], tmp_path: Path
) -> None:
    _, url = node_url
    runner, config = CliRunner(), tmp_path / "config"
    env = _env(url, config)
    result = runner.invoke(
        cli, ["login", "--user", "ann", "--password-stdin"], input=PASSWORD + "\n", env=env
    )
    assert result.exit_code == 0, result.output
    assert f"logged in to {url} as ann until " in result.output
    assert config.stat().st_mode & 0o777 == 0o700
    assert (config / "logins.json").stat().st_mode & 0o777 == 0o600
    assert PASSWORD not in (config / "logins.json").read_text()

    listed = runner.invoke(cli, ["request", "list", "--json"], env=env)
    assert listed.exit_code == 0, listed.output
    assert json.loads(listed.output) == {"requests": []}

    token = json.loads((config / "logins.json").read_text())["nodes"][url]["token"]
    out = runner.invoke(cli, ["logout"], env=env)
    assert out.exit_code == 0 and f"logged out of {url}" in out.output
    assert "the node refuses the token now" in out.output
    # The token itself is ended on the node, not only forgotten here.
    ended = runner.invoke(cli, ["request", "list"], env={**env, "CLEARANCE_TOKEN": token})
    assert ended.exit_code == 1 and "token-revoked" in ended.output
    refused = runner.invoke(cli, ["request", "list"], env=env)
    assert refused.exit_code == 1
    assert f"not logged in to {url}" in refused.output
    assert f"clearance login --url {url}" in refused.output


def test_password_prompt_and_a_wrong_password(node_url: tuple[Node, str], tmp_path: Path) -> None:
    _, url = node_url
    runner, config = CliRunner(), tmp_path / "config"
    env = _env(url, config)
    wrong = runner.invoke(cli, ["login", "--user", "ann"], input="not the password\n", env=env)
    assert wrong.exit_code == 1
    assert "user name or password is wrong" in wrong.output
    assert not (config / "logins.json").exists()
    prompted = runner.invoke(cli, ["login"], input=f"ann\n{PASSWORD}\n", env=env)
    assert prompted.exit_code == 0, prompted.output
    assert PASSWORD not in prompted.output  # the prompt hides what is typed


def test_an_explicit_token_wins_over_the_stored_login(
    node_url: tuple[Node, str], tmp_path: Path
) -> None:
    _, url = node_url
    runner, config = CliRunner(), tmp_path / "config"
    env = _env(url, config)
    runner.invoke(cli, ["login", "--user", "ann", "--password-stdin"], input=PASSWORD, env=env)
    bad = runner.invoke(cli, ["request", "list", "--token", "not-a-token"], env=env)
    assert bad.exit_code == 1
    assert "HTTP 401" in bad.output


def _logged_in(node_url: tuple[Node, str], tmp_path: Path) -> tuple[str, Path, dict[str, str]]:
    """ann logged in with her own config folder: the node's URL, the folder, the environment."""
    _, url = node_url
    config = tmp_path / "config"
    env = _env(url, config)
    result = CliRunner().invoke(
        cli, ["login", "--user", "ann", "--password-stdin"], input=PASSWORD + "\n", env=env
    )
    assert result.exit_code == 0, result.output
    return url, config, env


def test_logout_keeps_the_login_when_the_node_cannot_end_the_token(
    node_url: tuple[Node, str], tmp_path: Path
) -> None:
    url, config, env = _logged_in(node_url, tmp_path)
    stored = (config / "logins.json").read_text()
    with serve(_failing_app()) as broken:  # answers the logout with a 503
        moved = {**env, "CLEARANCE_URL": broken}
        (config / "logins.json").write_text(stored.replace(url, broken))
        failed = CliRunner().invoke(cli, ["logout"], env=moved)
        assert failed.exit_code == 1
        assert "the node did not end your token" in failed.output
        assert "--forget-only" in failed.output
        assert broken in json.loads((config / "logins.json").read_text())["nodes"]
        forgotten = CliRunner().invoke(cli, ["logout", "--forget-only"], env=moved)
        assert forgotten.exit_code == 0, forgotten.output
        assert "forgot the login here only" in forgotten.output
        assert json.loads((config / "logins.json").read_text())["nodes"] == {}


def test_logout_of_a_token_the_node_refuses_already_still_forgets_it(
    node_url: tuple[Node, str], tmp_path: Path
) -> None:
    url, config, env = _logged_in(node_url, tmp_path)
    token = json.loads((config / "logins.json").read_text())["nodes"][url]["token"]
    ended = httpx.post(f"{url}/auth/logout", headers={"Authorization": f"Bearer {token}"})
    assert ended.status_code == 204  # ended elsewhere (e.g. another copy of the login)
    again = CliRunner().invoke(cli, ["logout"], env=env)
    assert again.exit_code == 0, again.output
    assert json.loads((config / "logins.json").read_text())["nodes"] == {}
    nothing = CliRunner().invoke(cli, ["logout"], env=env)
    assert nothing.exit_code == 0 and f"not logged in to {url}" in nothing.output


def _failing_app() -> Starlette:
    async def unavailable(request: Request) -> Response:
        del request
        return JSONResponse({"code": "unavailable", "description": "down"}, status_code=503)

    return Starlette(routes=[Route("/auth/logout", unavailable, methods=["POST"])])
