"""The command line's conventions (clig.dev): help everywhere, environment variables named,
--json on every command that prints data, one error style, exit codes, key files, the data
folder, progress."""

from __future__ import annotations

import base64
import json
import stat
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result

from clearance.cli.node import cli

# Commands that print no data of their own: long-running servers, the walkthrough, a file
# writer whose output is already JSON lines, a key printed as JSON, and "logged out".
NO_JSON = {
    "serve", "worker", "demo", "logout", "audit export", "audit public-key",
    "evaluation receipt",
}  # fmt: skip


def _leaves(group: click.Group, path: str = "") -> Iterator[tuple[str, click.Command]]:
    for name, command in sorted(group.commands.items()):
        full = f"{path} {name}".strip()
        if isinstance(command, click.Group):
            yield full, command
            yield from _leaves(command, full)
        else:
            yield full, command


COMMANDS = dict(_leaves(cli))


def _invoke(*args: str, env: dict[str, str] | None = None, stdin: str | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), env=env, input=stdin)


@pytest.mark.parametrize("path", sorted(COMMANDS))
def test_every_command_and_option_has_help(path: str) -> None:
    command = COMMANDS[path]
    assert command.help and command.help.strip(), f"{path} has no help text"
    for param in command.params:
        if isinstance(param, click.Option) and not param.hidden:
            assert param.help, f"{path} {param.opts[0]} has no help text"
            if param.envvar:
                assert param.show_envvar, f"{path} {param.opts[0]} hides its variable"


def test_help_names_the_environment_variable() -> None:
    shown = _invoke("search", "-h").output
    assert "env var: CLEARANCE_URL" in shown and "env var: CLEARANCE_TOKEN" in shown


@pytest.mark.parametrize(
    "path", sorted(p for p, c in COMMANDS.items() if not isinstance(c, click.Group))
)
def test_every_command_that_prints_data_has_json(path: str) -> None:
    names = {p.name for p in COMMANDS[path].params}
    assert ("as_json" in names) is (path not in NO_JSON), path


def test_version_and_short_help() -> None:
    assert _invoke("--version").output.startswith("cli 0.1.0")
    assert _invoke("-h").output.startswith("Usage: cli [OPTIONS] COMMAND")
    assert "Exit codes: 0 success, 1 failure, 2 usage, 3 refused by policy." in _invoke("-h").output


def test_usage_errors_exit_2_in_the_one_style() -> None:
    result = _invoke("request", "create", "--url", "http://127.0.0.1:9", "--days", "0")
    assert result.exit_code == 2
    assert result.stderr.splitlines()[1:] == [
        "error: Invalid value for '--days': 0 is not in the range 1<=x<=365.",
        "hint: see `cli request create -h`",
    ]
    assert "Traceback" not in result.output and "Error:" not in result.output


def test_failures_exit_1_with_a_hint(tmp_path: Path) -> None:
    env = {"XDG_CONFIG_HOME": str(tmp_path)}
    result = _invoke("request", "list", "--url", "http://127.0.0.1:9", "--token", "t", env=env)
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert lines[0].startswith("error: cannot reach the node")
    assert lines[1] == "hint: check the node URL and that the node is running"


# keys ------------------------------------------------------------------------------------------


def _pub_base64(path: Path) -> str:
    lines = path.read_text().splitlines()
    assert lines[0] == "-----BEGIN CRYPT4GH PUBLIC KEY-----"
    return lines[1]


def test_keys_generate_prompts_refuses_to_overwrite_and_prints_the_one_encoding(
    tmp_path: Path,
) -> None:
    prefix = tmp_path / "me"
    first = _invoke("keys", "generate", str(prefix), "--json", env={"C4GH_PASSPHRASE": ""},
                    stdin="s3cret pass\ns3cret pass\n")  # fmt: skip
    assert first.exit_code == 0, first.output
    shown = json.loads(first.stdout[first.stdout.index("{") :])
    secret, public = tmp_path / "me.sec", tmp_path / "me.pub"
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    assert shown["public_key"] == _pub_base64(public)  # one encoding: base64 of the 32 bytes
    assert len(base64.b64decode(shown["public_key"])) == 32
    before = (secret.read_bytes(), public.read_bytes())

    again = _invoke("keys", "generate", str(prefix), env={"C4GH_PASSPHRASE": "x"})
    assert again.exit_code == 1
    assert again.stderr.startswith(f"error: {secret} exists already: not overwritten\nhint:")
    assert (secret.read_bytes(), public.read_bytes()) == before  # untouched

    forced = _invoke("keys", "generate", str(prefix), "--force", env={"C4GH_PASSPHRASE": "x"})
    assert forced.exit_code == 0, forced.output
    assert public.read_bytes() != before[1]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["me.pub", "me.sec"]  # no temp files


# the data folder ---------------------------------------------------------------------------------


def test_a_node_command_outside_a_data_folder_creates_nothing(tmp_path: Path) -> None:
    data = tmp_path / "nowhere"
    env = {"CLEARANCE_DATA": str(data), "CLEARANCE_DATABASE_URL": ""}
    for args in (("admin", "list"), ("user", "list"), ("audit", "verify"), ("serve",)):
        result = _invoke(*args, env=env)
        assert result.exit_code == 1, args
        assert result.stderr.startswith(f"error: no node in {data} (CLEARANCE_DATA")
        assert "`clearance init` creates a new node there" in result.stderr
        assert not data.exists()
    created = _invoke("init", "--json", env=env)
    assert json.loads(created.stdout) == {
        "data": str(data), "database": "sqlite", "created": True,
    }  # fmt: skip
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    assert _invoke("init", env=env).stdout == f"node already here in {data} (sqlite database)\n"
    assert json.loads(_invoke("admin", "list", "--json", env=env).stdout) == []


def test_rel_to_takes_only_codes_the_node_knows(tmp_path: Path) -> None:
    env = {"CLEARANCE_DATA": str(tmp_path / "data"), "CLEARANCE_DATABASE_URL": ""}
    assert _invoke("init", env=env).exit_code == 0
    assert _invoke("admin", "add", "NLD", "--name", "Douane", env=env).exit_code == 0
    assert _invoke("admin", "add", "GBR", "--name", "Border Force", env=env).exit_code == 0
    holding = tmp_path / "h"
    assert _invoke("synth", str(holding), "--kind", "parcel", "--count", "2").exit_code == 0

    def publish(rel_to: str) -> Result:
        return _invoke(
            "publish", str(holding), "--admin", "NLD", "--holding", "NLD-x", "--title", "t",
            "--level", "R1", "--marking", "m", "--rel-to", rel_to, "--handling", "download",
            "--discovery", "partners", env=env,
        )  # fmt: skip

    malformed = publish("GBR,uk")
    assert malformed.exit_code == 2 and "Invalid value for '--rel-to'" in malformed.stderr
    unknown = publish("GBR,USS")
    assert unknown.exit_code == 1
    assert unknown.stderr.startswith(
        "error: --rel-to names USS, not a known administration "
        "(AUS, BEL, CAN, GBR, NLD, NZL, USA, or ALL)"
    )
    assert json.loads(_invoke("admin", "list", "--json", env=env).stdout)  # still a node
    published = publish("GBR")
    assert published.exit_code == 0, published.output


# progress ---------------------------------------------------------------------------------------


def test_synth_and_publish_report_progress_as_lines_when_not_a_terminal(tmp_path: Path) -> None:
    env = {"CLEARANCE_DATA": str(tmp_path / "data"), "CLEARANCE_DATABASE_URL": ""}
    assert _invoke("init", env=env).exit_code == 0
    assert _invoke("admin", "add", "NLD", "--name", "Douane", env=env).exit_code == 0
    holding = tmp_path / "h"
    made = _invoke("synth", str(holding), "--kind", "parcel", "--count", "3", "--json")
    assert made.exit_code == 0, made.output
    assert made.stderr == "synth: 3 / 3 scans (100%)\n"
    assert json.loads(made.stdout)["scans"] == 3
    published = _invoke(
        "publish", str(holding), "--admin", "NLD", "--holding", "NLD-x", "--title", "t",
        "--level", "R1", "--marking", "m", "--rel-to", "ALL", "--handling", "download",
        "--discovery", "partners", "--json", env=env,
    )  # fmt: skip
    assert published.exit_code == 0, published.output
    objects = json.loads(published.stdout)["assets"]
    assert published.stderr == f"publish: {objects} / {objects} objects (100%)\n"
    quiet = _invoke("synth", str(tmp_path / "q"), "--kind", "parcel", "--count", "1", "--quiet")
    assert quiet.exit_code == 0 and quiet.stderr == ""
