"""Option types and option sets shared by several commands, checked when the command line is
parsed: a malformed value is a usage error (exit 2) naming the option, before any work."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from access import Discovery, Handling, Level, parse_admin_code, parse_rel_to

__all__ = ["ADMIN_CODE", "REL_TO", "holding_options", "json_option"]

F = TypeVar("F", bound=Callable[..., Any])


class _AdminCode(click.ParamType[str]):
    """An administration code: ISO 3166-1 alpha-3, upper case (NLD)."""

    name = "CODE"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        try:
            return parse_admin_code(str(value))
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


class _RelTo(click.ParamType[str]):
    """``USA,GBR`` or ``ALL``; whether each code is an administration the node knows is the
    node's to say (it refuses a holding released to an unknown one)."""

    name = "CODES"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        try:
            return ",".join(sorted(parse_rel_to(str(value))))
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


ADMIN_CODE = _AdminCode()
REL_TO = _RelTo()

json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")


def holding_options(command: F) -> F:
    """The publish options of a holding (``clearance publish`` and ``clearance upload``)."""
    options = [
        click.option("--title", required=True, help="A short title (1–300 characters)."),
        click.option("--description", default="", help="Defaults to the title."),
        click.option("--level", required=True, type=click.Choice([lv.name for lv in Level]),
                     help="Restrictedness level: R0 open … R3 most restricted."),
        click.option("--marking", required=True, help="The national marking, verbatim."),
        click.option("--rel-to", "rel_to", required=True, type=REL_TO,
                     help="Releasable to: comma-separated administration codes, or ALL."),
        click.option("--handling", required=True, type=click.Choice([h.value for h in Handling]),
                     help="What a grant may allow: download, or evaluation in the enclave only."),
        click.option("--discovery", required=True,
                     type=click.Choice([d.value for d in Discovery]),
                     help="Who may see that the holding exists."),
        click.option(
            "--geometry",
            default="site",
            show_default=True,
            type=click.Choice(["site", "withheld"]),
            help="Each scan's site point as its geometry, or none (withheld: no point, no site).",
        ),
    ]  # fmt: skip
    for option in reversed(options):
        command = option(command)
    return command


def url_option(*, required: bool = True, help: str = "The node's URL.") -> Callable[[F], F]:
    """``--url``, read from CLEARANCE_URL when not given."""
    return click.option(
        "--url", envvar="CLEARANCE_URL", show_envvar=True, required=required, help=help
    )


token_option = click.option(
    "--token", envvar="CLEARANCE_TOKEN", show_envvar=True,
    help="Bearer token; default: your `clearance login` to --url.",
)  # fmt: skip
