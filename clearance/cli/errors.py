"""How the ``clearance`` command line fails: exit codes and one style of message on stderr.

    error: what went wrong, naming the input at fault
    hint: what to do about it (where there is something to do)

Exit codes: 0 success, 1 failure, 2 usage (a missing or malformed option or argument),
3 refused by policy (a request refused at creation or by a steward, an approval the policy
does not allow). The root group (``clearance.cli.node``) turns every click error and every
domain error into :class:`Failure` or :class:`Usage`, so no command prints a traceback or
click's own ``Error:`` style.
"""

from __future__ import annotations

from typing import IO, Any

import click

from clearance.errors import ClientSideError

__all__ = ["EXIT_FAILURE", "EXIT_REFUSED", "EXIT_USAGE", "Failure", "Usage"]

EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_REFUSED = 3


class Failure(click.ClickException, ClientSideError):
    """A command that could not do its work: ``error: …`` and an optional ``hint: …``."""

    code = "command-failed"

    exit_code = EXIT_FAILURE

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.hint = hint

    def show(self, file: IO[Any] | None = None) -> None:
        click.echo(f"error: {self.format_message()}", err=True)
        if self.hint:
            click.echo(f"hint: {self.hint}", err=True)


class Usage(click.UsageError, ClientSideError):
    """A command given wrongly: its usage line, ``error: …`` and where to read its help."""

    code = "usage"

    def show(self, file: IO[Any] | None = None) -> None:
        if self.ctx is not None:
            click.echo(self.ctx.get_usage(), err=True)
        click.echo(f"error: {self.format_message()}", err=True)
        if self.ctx is not None:
            click.echo(f"hint: see `{self.ctx.command_path} -h`", err=True)


def restyled(exc: click.ClickException) -> click.ClickException:
    """``exc`` in this module's style (the same message and exit code)."""
    if isinstance(exc, Failure | Usage):
        return exc
    if isinstance(exc, click.UsageError):
        return Usage(exc.format_message(), exc.ctx)
    return Failure(exc.format_message())
