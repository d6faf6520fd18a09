"""Log in to a node and out again: the token is kept per node, 0600, in your config folder."""

from __future__ import annotations

import sys

import click

from clearance.cli.client import _json, _run, _show, _url
from clearance.cli.errors import Failure
from clearance.client.http import ClientError, NodeClient

__all__ = ["login", "logout"]


@click.command()
@_url
@click.option("--user", required=True, prompt=True, help="Your user name on the node.")
@click.option(
    "--password-stdin", is_flag=True, help="Read the password from standard input (scripts)."
)
@_json
def login(url: str, user: str, password_stdin: bool, as_json: bool) -> None:
    """Log in to the node at --url and keep the token (0600, in your config folder) for every
    client command until it expires or you log out."""
    from clearance.client import credentials

    if password_stdin:
        password = sys.stdin.readline(1025).rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True)
    body = {"username": user, "password": password}
    answer = _run(lambda: NodeClient(url, None).call("POST", "/auth/login", body))
    saved = _run(lambda: credentials.save(url, user, str(answer.get("access_token", ""))))
    data = {"url": saved.url, "user": user, "expires": saved.expires.isoformat()}
    text = f"logged in to {saved.url} as {user} until {saved.expires:%Y-%m-%d %H:%M} UTC"
    _show(data, as_json, lambda _: text)


@click.command()
@_url
@click.option(
    "--forget-only",
    is_flag=True,
    help="Only forget the login here, without asking the node to end the token (it then "
    "stays valid until it expires).",
)
def logout(url: str, forget_only: bool) -> None:
    """End your login to the node at --url: the node refuses the token from now on, and it is
    forgotten here. If the node cannot be reached the login is kept, so that you can retry."""
    from clearance.client import credentials

    saved = _run(lambda: credentials.load(url))
    where = credentials.node_key(url)
    if saved is None:
        click.echo(f"not logged in to {where}")
        return
    if not forget_only:
        node = _run(lambda: NodeClient(url, saved.token))
        try:
            node.call("POST", "/auth/logout")
        except ClientError as exc:
            if exc.status != 401:  # 401: the node refuses the token already (expired, ended)
                raise Failure(
                    f"the node did not end your token: {exc}; the login is kept",
                    hint="try again, or `clearance logout --forget-only` to forget it here "
                    f"only (the token stays valid until {saved.expires:%Y-%m-%d %H:%M} UTC)",
                ) from None
        finally:
            node.close()
    _run(lambda: credentials.forget(url))
    ended = "forgot the login here only" if forget_only else "the node refuses the token now"
    click.echo(f"logged out of {where} ({ended})")
