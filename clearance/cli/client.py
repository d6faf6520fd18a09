"""Client commands of the access workflow, and what every client command shares (the node
client of --url/--token, errors, output). Nothing of the node side is imported.

    clearance request create|list|show|withdraw
    clearance review list|approve|refuse
    clearance grant list|show|revoke

The other client commands: account_client.py (login, logout), transfer_client.py (keys,
upload, pull, decrypt), model_client.py (model, receipt), catalog_client.py (search, holdings),
enclave_client.py (evaluate, evaluation, leaderboard, enclave-policy), audit_client.py.
Tables by default, JSON with ``--json``.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import click

from clearance.cli.errors import EXIT_REFUSED, Failure
from clearance.cli.params import json_option, token_option, url_option
from clearance.client.http import ClientError, NodeClient
from clearance.client.request_display import queue_table, request_text, requests_table
from clearance.client.text_tables import render_table

F = TypeVar("F", bound=Callable[..., Any])

__all__ = ["grant", "request", "review"]

_url = url_option()
_token = token_option
_json = json_option


def _client(url: str, token: str | None) -> NodeClient:
    """The node at ``url`` as the user of ``token``, or of the stored login to ``url``."""
    from clearance.client.credentials import resolve_token

    return NodeClient(url, _run(lambda: resolve_token(url, token, datetime.now(UTC))))


def _run(action: Callable[[], Any]) -> Any:
    try:
        return action()
    except ClientError as exc:
        raise Failure(str(exc), hint=exc.hint) from None


def _show(data: Any, as_json: bool, table: Callable[[Any], str]) -> None:
    click.echo(json.dumps(data, indent=2) if as_json else table(data))


@click.group()
def request() -> None:
    """Access requests (as a researcher)."""


@request.command("create")
@_url
@_token
@_json
@click.option("--holding", required=True, help="The holding's id (see `clearance holdings`).")
@click.option("--purpose", required=True, help="Free text: what the data is for.")
@click.option(
    "--purpose-code",
    required=True,
    help="What kind of use: the stewards and the audit log see it.",
    type=click.Choice(
        ["model-training", "model-evaluation", "vendor-algorithm-validation", "research"]
    ),
)
@click.option("--mode", required=True, type=click.Choice(["download", "evaluation"]),
              help="Download the data, or evaluate models on it in the enclave only.")  # fmt: skip
@click.option("--days", "duration_days", required=True, type=click.IntRange(1, 365),
              help="How long the grant should last.")  # fmt: skip
@click.option("--filter", "item_filter", help="Optional CQL2 text filter selecting items.")
@click.option("--wait", is_flag=True, help="Wait for the stewards' decision, then exit 0 when "
              "granted, 3 when refused, 1 otherwise.")  # fmt: skip
@click.option("--wait-timeout", default=3600.0, show_default=True, type=click.FloatRange(0),
              help="Give up waiting after this many seconds (exit 1).")  # fmt: skip
@click.option("--poll-interval", default=5.0, show_default=True, type=click.FloatRange(0.05, 300),
              help="Seconds between looks while waiting.")  # fmt: skip
def request_create(
    url: str,
    token: str | None,
    as_json: bool,
    holding: str,
    purpose: str,
    purpose_code: str,
    mode: str,
    duration_days: int,
    item_filter: str | None,
    wait: bool,
    wait_timeout: float,
    poll_interval: float,
) -> None:
    """Ask for access to a holding: its owner's stewards decide (refused at once when the
    policy does not allow it, exit 3)."""
    body = {
        "holding": holding,
        "purpose": purpose,
        "purpose_code": purpose_code,
        "mode": mode,
        "duration_days": duration_days,
    }
    if item_filter:
        body["item_filter"] = item_filter
    client = _client(url, token)
    data = _run(lambda: client.call("POST", "/access/requests", body))
    if wait and data.get("state") != "refused":
        click.echo(f"request {data['id']} submitted: waiting for the decision", err=True)
        data = _wait(client, data["id"], wait_timeout, poll_interval)
    _show(data, as_json, request_text)
    _exit_by_state(data, waited=wait)


def _wait(client: NodeClient, request_id: str, timeout_s: float, poll_s: float) -> Any:
    import time

    from clearance.client.grant_source import wait_for_decision

    return _run(lambda: wait_for_decision(
        client, request_id, timeout_s=timeout_s, poll_s=poll_s, clock=time.monotonic,
        sleep=time.sleep,
    ))  # fmt: skip


def _exit_by_state(data: dict[str, Any], *, waited: bool) -> None:
    """Exit 3 when the policy or a steward refused the request; after a wait, exit 1 when it
    ended any other way than granted (or is still undecided)."""
    state, reason = data.get("state"), str(data.get("reason") or "")
    if state == "refused":
        by_policy = reason.startswith("policy:") or reason.startswith("holding-restricted:")
        said = (
            f"by policy: {reason.removeprefix('policy:')}"
            if by_policy
            else f"by a steward: {reason}"
        )
        click.echo(f"error: refused {said}", err=True)
        sys.exit(EXIT_REFUSED)
    if not waited:
        return
    if state == "granted":
        click.echo(f"granted: pull it with `clearance pull {data['id']} --key … --out …`", err=True)
        return
    click.echo(f"error: request {data['id']} is {state}", err=True)
    sys.exit(1)


@request.command("list")
@_url
@_token
@_json
def request_list(url: str, token: str | None, as_json: bool) -> None:
    """Your requests (a steward or auditor: your administration's), newest first."""
    data = _run(lambda: _client(url, token).call("GET", "/access/requests"))
    _show(data, as_json, lambda d: requests_table(d["requests"]))


@request.command("show")
@_url
@_token
@_json
@click.argument("request_id")
def request_show(url: str, token: str | None, as_json: bool, request_id: str) -> None:
    """One request in words: filter, conditions, each steward's decision and reason."""
    data = _run(lambda: _client(url, token).call("GET", f"/access/requests/{request_id}"))
    _show(data, as_json, request_text)


@request.command("withdraw")
@_url
@_token
@_json
@click.argument("request_id")
def request_withdraw(url: str, token: str | None, as_json: bool, request_id: str) -> None:
    """Withdraw your pending request."""
    path = f"/access/requests/{request_id}/withdraw"
    _show(_run(lambda: _client(url, token).call("POST", path)), as_json, request_text)


@click.group()
def review() -> None:
    """The steward's review queue."""


@review.command("list")
@_url
@_token
@_json
def review_list(url: str, token: str | None, as_json: bool) -> None:
    """Pending requests for your administration's holdings, with what a steward decides on."""
    data = _run(lambda: _client(url, token).call("GET", "/access/review"))
    _show(data, as_json, lambda d: f"{d['pending']} pending\n" + queue_table(d["requests"]))


@review.command("approve")
@_url
@_token
@_json
@click.argument("request_id")
@click.option("--reason", default="", help="Why: kept in the request and the audit log.")
@click.option("--max-days", type=click.IntRange(1, 365), help="Condition: a shorter expiry.")
@click.option("--items", "item_filter", help="Condition: CQL2 text filter, an item subset.")
@click.option("--evaluation-only", is_flag=True, help="Condition: evaluation only.")
def review_approve(
    url: str,
    token: str | None,
    as_json: bool,
    request_id: str,
    reason: str,
    max_days: int | None,
    item_filter: str | None,
    evaluation_only: bool,
) -> None:
    """Approve a pending request, with conditions; exit 3 when the policy refuses it now."""
    conditions = {
        "max_days": max_days,
        "item_filter": item_filter,
        "evaluation_only": evaluation_only,
    }
    body = {"reason": reason, "conditions": conditions}
    path = f"/access/requests/{request_id}/approve"
    data = _run(lambda: _client(url, token).call("POST", path, body))
    _show(data, as_json, request_text)
    _exit_by_state(data, waited=False)  # exit 3 when the policy, decided again now, refused it


@review.command("refuse")
@_url
@_token
@_json
@click.argument("request_id")
@click.option("--reason", required=True, help="Why: the requester sees it.")
def review_refuse(url: str, token: str | None, as_json: bool, request_id: str, reason: str) -> None:
    """Refuse a pending request, with a reason."""
    path = f"/access/requests/{request_id}/refuse"
    data = _run(lambda: _client(url, token).call("POST", path, {"reason": reason}))
    _show(data, as_json, request_text)


@click.group()
def grant() -> None:
    """Signed grants."""


def _grants_table(data: dict[str, Any]) -> str:
    headers = ("jti", "holding", "owner", "subject", "operations", "expires", "status")
    body = [
        (
            g["jti"],
            g["holding"],
            g["owner"],
            g["subject"],
            g["operations"],
            g["expires_at"],
            g["status"],
        )
        for g in data["grants"]
    ]
    return render_table(headers, body)


@grant.command("list")
@_url
@_token
@_json
def grant_list(url: str, token: str | None, as_json: bool) -> None:
    """Grants issued to you (a steward or auditor: by your administration)."""
    _show(_run(lambda: _client(url, token).call("GET", "/access/grants")), as_json, _grants_table)


@grant.command("show")
@_url
@_token
@_json
@click.argument("jti")
@click.option("--save", type=click.Path(path_type=Path), help="Also write the grant token here.")
def grant_show(url: str, token: str | None, as_json: bool, jti: str, save: Path | None) -> None:
    """Fetch a grant, verify it against the owner's published keys, and print it decoded."""
    from clearance.client.grant_display import fetch_and_verify

    data = _run(lambda: fetch_and_verify(_client(url, token), jti, datetime.now(UTC)))
    if save is not None:
        if data["token"] is None:
            raise click.ClickException("the grant's token is for its subject only: not saved")
        save.write_text(data["token"] + "\n")
        save.chmod(0o600)
    shown = {k: v for k, v in data.items() if k != "token"}
    _show(shown, as_json, lambda d: "\n".join(f"{k:<16} {v}" for k, v in d.items()))


@grant.command("revoke")
@_url
@_token
@_json
@click.argument("jti")
@click.option("--reason", default="", help="Why: kept in the audit log.")
def grant_revoke(url: str, token: str | None, as_json: bool, jti: str, reason: str) -> None:
    """Revoke grant JTI: the next request made with it is refused."""
    path = f"/access/grants/{jti}/revoke"
    data = _run(lambda: _client(url, token).call("POST", path, {"reason": reason}))
    _show(data, as_json, request_text)
