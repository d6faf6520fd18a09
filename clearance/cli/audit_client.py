"""``clearance audit`` as an auditor over HTTP: search, export and verify on a node (``--url``).

The node answers with the entries that concern the auditor's administration (entries naming a
holding the auditor may not discover come withheld). Without ``--url``, ``audit verify`` and
``audit export`` read the local node's data folder instead (``clearance.cli.node``).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TextIO

import click
import httpx

from clearance.cli.client import _client, _run
from clearance.cli.params import token_option, url_option
from clearance.client.http import NodeClient, error_from, unreachable
from clearance.client.text_tables import render_table

__all__ = ["audit_search", "filter_options", "remote_export", "remote_verify"]


def filter_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """The entry filters of ``audit search`` and ``audit export --url``."""
    options = [
        click.option("--actor", help="Only entries by this user (e.g. nld-analyst)."),
        click.option("--action", help="Only this action, or a prefix ending in * (request.*)."),
        click.option("--holding", help="Only entries that name this holding."),
        click.option("--since", help="From this time on (RFC 3339, e.g. 2026-12-01T00:00:00Z)."),
        click.option("--until", help="Before this time (RFC 3339)."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _params(**given: str | int | None) -> dict[str, str]:
    return {k: str(v) for k, v in given.items() if v is not None}


def _pages(node: NodeClient, params: dict[str, str], limit: int | None) -> Iterator[dict[str, Any]]:
    """Entries page by page (the node's ``next_after`` cursor), at most ``limit`` in all."""
    seen = 0
    after = params.pop("after", "0")
    while True:
        body = _get(node, "/audit/entries", {**params, "after": after})
        for entry in body["entries"]:
            yield entry
            seen += 1
            if limit is not None and seen >= limit:
                return
        if body.get("next_after") is None:
            return
        after = str(body["next_after"])


def _get(node: NodeClient, path: str, params: dict[str, str]) -> Any:
    try:
        response = node.http.get(path, params=params)
    except httpx.TransportError as exc:
        raise unreachable(exc) from None
    if response.is_error:
        raise error_from(response)
    return response.json()


def _entries_table(entries: list[dict[str, Any]]) -> str:
    headers = ("seq", "at", "actor", "admin", "action", "resource", "decision", "reason")
    body = [
        (e["seq"], e["at"][:19] + "Z", e["actor"], e["admin"] or "-", e["action"],
         e["resource"] or "-", e["decision"], (e["reason"] or "")[:60])
        for e in entries
    ]  # fmt: skip
    return render_table(headers, body) if body else "(no entries)"


@click.command("search")
@url_option(help="The node to ask, as an auditor.")
@token_option
@filter_options
@click.option("--limit", default=100, show_default=True, type=click.IntRange(1, 100_000),
              help="At most this many entries (the node's pages are followed).")  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="Print JSON lines, one entry each.")
def audit_search(
    url: str, token: str | None, actor: str | None, action: str | None, holding: str | None,
    since: str | None, until: str | None, limit: int, as_json: bool,
) -> None:  # fmt: skip
    """Search the audit log of the node at --url as an auditor: the entries that concern your
    administration, oldest first."""
    node = _client(url, token)
    params = _params(actor=actor, action=action, holding=holding, since=since, until=until,
                     limit=min(limit, 1000))  # fmt: skip
    entries = _run(lambda: list(_pages(node, params, limit)))
    if as_json:
        for entry in entries:
            click.echo(json.dumps(entry, sort_keys=True))
        return
    click.echo(_entries_table(entries))


def remote_verify(url: str, token: str | None, as_json: bool) -> None:
    """``audit verify --url``: the node checks its whole chain; exit 1 on any problem."""
    report = _run(lambda: _client(url, token).call("GET", "/audit/verify"))
    show_report(report, as_json, f" (verified by the node at {url})")


def show_report(report: dict[str, Any], as_json: bool, by: str = "") -> None:
    """A verification report (``VerifyReport.as_json``) as text or JSON; exit 1 unless OK."""
    if as_json:
        click.echo(json.dumps(report, indent=2))
    elif report["ok"]:
        click.echo(
            f"audit log OK: {report['entries']} entries, {report['checkpoints']} checkpoints, "
            f"head seq {report['head_seq']}{by}"
        )
    else:
        for problem in report["problems"]:
            where = "" if problem["seq"] is None else f" at seq {problem['seq']}"
            click.echo(f"{problem['kind']}{where}: {problem['detail']}")
    if not report["ok"]:
        click.echo(f"audit log FAILED: {len(report['problems'])} problem(s)", err=True)
        sys.exit(1)


def remote_export(
    url: str, token: str | None, filters: dict[str, str | None], out_file: Path | None
) -> None:
    """``audit export --url``: your entries as JSON lines, to stdout or --out (0600)."""
    node = _client(url, token)

    def write(out: TextIO) -> int:
        count = 0
        try:
            with node.http.stream("GET", "/audit/export", params=_params(**filters)) as response:
                if response.is_error:
                    raise error_from(response)
                for line in response.iter_lines():
                    if line:
                        out.write(line + "\n")
                        count += 1
        except httpx.TransportError as exc:
            raise unreachable(exc) from None
        return count

    if out_file is None:
        _run(lambda: write(sys.stdout))
        return
    fd = os.open(out_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
        count = _run(lambda: write(handle))
    click.echo(f"{count} entries written to {out_file}", err=True)
