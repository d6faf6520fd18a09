"""docs/cli.md is generated from the commands' own help and stays current."""

from __future__ import annotations

from pathlib import Path

from clearance.cli.node import cli
from clearance.cli.reference import EXAMPLES, leaf_commands, render

DOC = Path(__file__).resolve().parents[3] / "docs" / "cli.md"


def test_every_command_has_one_example_and_no_example_is_stale() -> None:
    assert {path for path, _ in leaf_commands(cli)} == set(EXAMPLES)
    for path, example in EXAMPLES.items():
        assert example.split(" clearance ")[-1].startswith(("clearance " + path, path)), path


def test_docs_cli_md_is_current() -> None:
    expected = render(cli)
    assert DOC.read_text(encoding="utf-8") == expected, (
        "docs/cli.md is stale: run `python -m clearance.cli.reference > docs/cli.md`"
    )
    assert "  -h, --help" in expected and "[env var: CLEARANCE_URL; required]" in expected
