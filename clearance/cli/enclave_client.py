"""Client commands of the evaluation enclave: talk to a node over HTTP as the token's user.

    clearance evaluate MODEL_ID --holding H --grant JTI [--split test|all] [--metrics JSON] [--wait]
    clearance evaluation list|show ID|receipt ID|review ID --approve|--refuse --reason TEXT
    clearance leaderboard HOLDING
    clearance enclave-policy HOLDING [--manual-review/--no-manual-review] [--budget N] ...

Tables by default, JSON with ``--json``. Like ``clearance.cli.client``, nothing of the node side.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from clearance.cli.client import _client, _json, _run, _show, _token, _url
from clearance.client.text_tables import render_table

__all__ = ["enclave_policy", "evaluate", "evaluation", "leaderboard"]

_SETTLED = {"released", "refused", "failed", "awaiting-review"}


def _evaluations_table(rows: Sequence[dict[str, Any]]) -> str:
    headers = ("id", "model", "holding", "split", "state", "outcome", "reason", "released")
    body = [
        (r["id"], r["model_id"], r["holding"], r["split"], r["state"], r["outcome"] or "-",
         r["reason"] or "-", json.dumps(r["released"]) if r["released"] else "-")
        for r in rows
    ]  # fmt: skip
    return render_table(headers, body)


def _detail(r: dict[str, Any]) -> str:
    return "\n".join(f"{k:<16} {json.dumps(v) if isinstance(v, dict) else v}" for k, v in r.items())


def _metrics(text: str | None) -> dict[str, Any]:
    if text is None:
        return {}
    try:
        value = json.loads(text)
    except ValueError:
        raise click.BadParameter("--metrics must be a JSON object") from None
    if not isinstance(value, dict):
        raise click.BadParameter("--metrics must be a JSON object")
    return value


_METRICS_HELP = (
    'The metric spec, a JSON object such as {"metrics": ["map50", "map50_95"]}; its task is the'
    " model's. Default: the task's leaderboard metric."
)


@click.command()
@_url
@_token
@_json
@click.argument("model_id")
@click.option("--holding", required=True, help="The holding to evaluate on.")
@click.option("--grant", "grant_jti", required=True, help="The jti of your evaluate grant.")
@click.option("--split", type=click.Choice(["test", "all"]), default="test", show_default=True,
              help="The holding's test split, or all of its items.")  # fmt: skip
@click.option("--metrics", help=_METRICS_HELP)
@click.option("--wait", is_flag=True, help="Wait until it is released, refused or failed.")
@click.option("--wait-timeout", default=3600.0, type=click.FloatRange(1, 86400), show_default=True,
              help="Seconds to wait with --wait.")  # fmt: skip
def evaluate(
    url: str, token: str | None, as_json: bool, model_id: str, holding: str, grant_jti: str,
    split: str, metrics: str | None, wait: bool, wait_timeout: float,
) -> None:  # fmt: skip
    """Submit MODEL_ID for evaluation on a holding, under your evaluate grant."""
    client = _client(url, token)
    body = {"model_id": model_id, "holding": holding, "grant": grant_jti, "split": split,
            "metrics": _metrics(metrics)}  # fmt: skip
    data = _run(lambda: client.call("POST", "/evaluations", body))
    deadline = time.monotonic() + wait_timeout
    while wait and data["state"] not in _SETTLED and time.monotonic() < deadline:
        time.sleep(1.0)
        path = f"/evaluations/{data['id']}"
        data = _run(lambda: client.call("GET", path))  # noqa: B023 - called at once
    _show(data, as_json, _detail)


@click.group()
def evaluation() -> None:
    """Your evaluations; a steward's review of them."""


@evaluation.command("list")
@_url
@_token
@_json
def evaluation_list(url: str, token: str | None, as_json: bool) -> None:
    """Your evaluations and their states."""
    data = _run(lambda: _client(url, token).call("GET", "/evaluations"))
    _show(data, as_json, lambda d: _evaluations_table(d["evaluations"]))


@evaluation.command("show")
@_url
@_token
@_json
@click.argument("evaluation_id")
def evaluation_show(url: str, token: str | None, as_json: bool, evaluation_id: str) -> None:
    """One evaluation: state, and its scores once released."""
    data = _run(lambda: _client(url, token).call("GET", f"/evaluations/{evaluation_id}"))
    _show(data, as_json, _detail)


@evaluation.command("receipt")
@_url
@_token
@click.argument("evaluation_id")
@click.option("--out", type=click.Path(path_type=Path), help="Write it here instead of stdout.")
def evaluation_receipt(url: str, token: str | None, evaluation_id: str, out: Path | None) -> None:
    """The signed receipt of a released evaluation (verify it with `clearance receipt verify`)."""
    path = f"/evaluations/{evaluation_id}/receipt"
    text = json.dumps(_run(lambda: _client(url, token).call("GET", path)), indent=2)
    if out is None:
        click.echo(text)
    else:
        out.write_text(text + "\n")
        click.echo(f"receipt written to {out}")


@evaluation.command("reviews")
@_url
@_token
@_json
def evaluation_reviews(url: str, token: str | None, as_json: bool) -> None:
    """What awaits your review, with exactly what each would release."""
    data = _run(lambda: _client(url, token).call("GET", "/reviews/evaluations"))
    _show(data, as_json, lambda d: f"{d['pending']} pending\n" + "\n\n".join(
        _detail(e) for e in d["evaluations"]))  # fmt: skip


@evaluation.command("review")
@_url
@_token
@_json
@click.argument("evaluation_id")
@click.option("--approve/--refuse", required=True, help="Release it, or refuse it.")
@click.option("--reason", default="", help="Required for a refusal.")
def evaluation_review(
    url: str, token: str | None, as_json: bool, evaluation_id: str, approve: bool, reason: str
) -> None:
    """Release an evaluation's scores to its researcher, or refuse them (as a steward)."""
    body = {"decision": "approve" if approve else "refuse", "reason": reason}
    path = f"/evaluations/{evaluation_id}/review"
    _show(_run(lambda: _client(url, token).call("POST", path, body)), as_json, _detail)


@click.command()
@_url
@_token
@_json
@click.argument("holding")
def leaderboard(url: str, token: str | None, as_json: bool, holding: str) -> None:
    """A holding's leaderboard (the Ladder: a score shows only when it beats the best by a step)."""
    data = _run(lambda: _client(url, token).call("GET", f"/holdings/{holding}/leaderboard"))
    headers = ("metric", "model", "score", "administration", "shown at")
    _show(data, as_json, lambda d: render_table(headers, [
        (e["metric"], e["model_id"], e["score"], e["administration"], e["shown_at"])
        for e in d["entries"]]))  # fmt: skip


@click.command("enclave-policy")
@_url
@_token
@_json
@click.argument("holding")
@click.option("--manual-review/--no-manual-review", default=None,
              help="Whether a steward reviews each evaluation before release.")  # fmt: skip
@click.option("--budget", type=click.IntRange(0, 10_000), help="Releases per administration.")
@click.option("--grid", type=float, help="The release grid (and leaderboard step).")
@click.option("--min-count", type=click.IntRange(1), help="Fewest images a value rests on.")
def enclave_policy(
    url: str, token: str | None, as_json: bool, holding: str, manual_review: bool | None,
    budget: int | None, grid: float | None, min_count: int | None,
) -> None:  # fmt: skip
    """Show a holding's enclave policy, or change the members given (its stewards)."""
    changes = {"manual_review": manual_review, "budget": budget, "grid": grid,
               "min_count": min_count}  # fmt: skip
    body = {k: v for k, v in changes.items() if v is not None}
    path = f"/holdings/{holding}/enclave-policy"
    client = _client(url, token)
    data = _run(lambda: client.call("PUT", path, body) if body else client.call("GET", path))
    _show(data, as_json, _detail)
