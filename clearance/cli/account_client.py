"""Log in to a node and out again: the token is kept per node, 0600, in your config folder."""

from __future__ import annotations

import sys

import click

from clearance.cli.client import _json, _run, _show, _url
from clearance.client.http import NodeClient

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
def logout(url: str) -> None:
    """Forget your stored login to the node at --url."""
    from clearance.client import credentials

    if _run(lambda: credentials.forget(url)):
        click.echo(f"logged out of {credentials.node_key(url)}")
    else:
        click.echo(f"not logged in to {credentials.node_key(url)}")
