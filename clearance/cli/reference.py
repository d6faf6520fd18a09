"""``docs/cli.md``: every command with its own help text and one example, generated so that it
cannot drift from the code (a test compares the file with :func:`render`).

    python -m clearance.cli.reference > docs/cli.md
"""

from __future__ import annotations

from collections.abc import Iterator

import click

__all__ = ["EXAMPLES", "render"]

EXAMPLES = {
    "init": "CLEARANCE_DATA=/srv/clearance clearance init",
    "admin add": "clearance admin add NLD --name 'Douane Nederland'",
    "admin list": "clearance admin list --json",
    "admin rotate-key": "clearance admin rotate-key NLD",
    "admin retire-key": "clearance admin retire-key NLD-2026-01",
    "user add": 'echo "$PW" | clearance user add nld-steward --admin NLD --role steward '
    "--clearance R3 --password-stdin",
    "user list": "clearance user list",
    "token": "clearance token nld-analyst --ttl-minutes 60",
    "synth": "clearance synth ./parcels --kind parcel --count 200 --seed 7 --admin NLD",
    "publish": "clearance publish ./parcels --admin NLD --holding NLD-PARCELS-2026 --title "
    "'Parcels 2026' --level R2 --marking 'Dep. Vertrouwelijk' --rel-to GBR,USA "
    "--handling download --discovery partners",
    "who-has": "clearance who-has --url https://node.example.gov",
    "serve": "clearance serve --host 0.0.0.0 --port 8000",
    "worker": "clearance worker --poll-interval 2",
    "demo": "clearance demo --no-serve",
    "audit verify": "clearance audit verify --url https://node.example.gov",
    "audit export": "clearance audit export --out audit.jsonl --checkpoints",
    "audit search": "clearance audit search --action 'request.*' --since 2026-11-01T00:00:00Z",
    "audit checkpoint": "clearance audit checkpoint",
    "audit public-key": "clearance audit public-key > audit-key.jwk",
    "login": "clearance login --url https://node.example.gov --user gbr-researcher",
    "logout": "clearance logout --url https://node.example.gov",
    "search": "clearance search --collections NLD-PARCELS-2026 --filter \"xray:site = 'NLRTM'\"",
    "holdings": "clearance holdings --json",
    "request create": "clearance request create --holding NLD-PARCELS-2026 --purpose 'train "
    "a knife detector' --purpose-code model-training --mode download --days 30 --wait",
    "request list": "clearance request list",
    "request show": "clearance request show 42",
    "request withdraw": "clearance request withdraw 42",
    "review list": "clearance review list",
    "review approve": "clearance review approve 42 --max-days 14 --reason 'as agreed'",
    "review refuse": "clearance review refuse 42 --reason 'purpose too vague'",
    "grant list": "clearance grant list --json",
    "grant show": "clearance grant show JTI --save grant.jws",
    "grant revoke": "clearance grant revoke JTI --reason 'project ended'",
    "keys register": "clearance keys register me.pub",
    "keys generate": "clearance keys generate ~/.clearance/me",
    "model submit": "clearance model submit detector.onnx --card detector.card.json",
    "model list": "clearance model list",
    "model show": "clearance model show MODEL_ID",
    "model share": "clearance model share MODEL_ID NLD USA",
    "upload": "clearance upload ./parcels --holding NLD-PARCELS-2026 --title 'Parcels 2026' "
    "--level R2 --marking 'Dep. Vertrouwelijk' --rel-to GBR,USA --handling download "
    "--discovery partners",
    "decrypt": "clearance decrypt high.tiff.c4gh --key me.sec --out high.tiff",
    "pull": "clearance pull 42 --key me.sec --out ./data",
    "receipt verify": "clearance receipt verify receipt.json --url https://node.example.gov",
    "evaluate": "clearance evaluate MODEL_ID --holding GBR-parcel-hub-2025 --grant JTI --wait",
    "evaluation list": "clearance evaluation list",
    "evaluation show": "clearance evaluation show EVAL_ID",
    "evaluation receipt": "clearance evaluation receipt EVAL_ID --out receipt.json",
    "evaluation reviews": "clearance evaluation reviews",
    "evaluation review": "clearance evaluation review EVAL_ID --approve",
    "leaderboard": "clearance leaderboard GBR-parcel-hub-2025",
    "enclave-policy": "clearance enclave-policy GBR-parcel-hub-2025 --manual-review --budget 10",
}

_HEAD = """# The `clearance` command line

Generated from the commands' own help by `python -m clearance.cli.reference > docs/cli.md`;
a test fails when this file and the code differ. `clearance COMMAND -h` shows the same text.

Exit codes: **0** success, **1** failure, **2** usage (a missing or malformed option or
argument), **3** refused by policy. Errors go to standard error as `error: …`, with a
`hint: …` line where there is something to do. `--json` prints JSON on standard output.
Client commands take `--url` from `CLEARANCE_URL` and `--token` from `CLEARANCE_TOKEN` (or use
your `clearance login`); node commands use the data folder `CLEARANCE_DATA`. An argument that
starts with `-` (a grant id issued before grant ids were made to start with a letter or digit)
goes after `--`: `clearance grant show -- -Qx…`.
"""


def leaf_commands(group: click.Group, path: str = "") -> Iterator[tuple[str, click.Command]]:
    """Every runnable command under ``group`` as ("audit verify", command), in help order."""
    for name, command in group.commands.items():
        full = f"{path} {name}".strip()
        if isinstance(command, click.Group):
            yield from leaf_commands(command, full)
        else:
            yield full, command


def _section(root: click.Group, path: str, command: click.Command) -> str:
    names = ["-h", "--help"]
    parent = click.Context(root, info_name="clearance", help_option_names=names)
    ctx = click.Context(command, info_name=path, parent=parent, help_option_names=names,
                        terminal_width=100, max_content_width=100)  # fmt: skip
    help_text = command.get_help(ctx)
    return f"## clearance {path}\n\n```text\n{help_text}\n```\n\nExample:\n\n```sh\n" \
        f"{EXAMPLES[path]}\n```\n"  # fmt: skip


def render(root: click.Group) -> str:
    """The whole ``docs/cli.md``."""
    sections = [_section(root, path, command) for path, command in leaf_commands(root)]
    return _HEAD + "\n" + "\n".join(sections)


if __name__ == "__main__":
    from clearance.cli.node import cli

    print(render(cli), end="")
