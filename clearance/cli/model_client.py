"""Client commands for models and receipts: the model registry and the check of a signed
evaluation receipt. Nothing of the node side is imported.

    clearance model submit|list|show|share
    clearance receipt verify FILE (check a signed evaluation receipt)
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from clearance.cli.client import _client, _json, _run, _show, _token, _url
from clearance.client.http import NodeClient
from clearance.client.text_tables import render_table

__all__ = ["model", "receipt"]


@click.group()
def receipt() -> None:
    """Signed evaluation receipts."""


def _receipt_text(verified: Any) -> str:
    p = verified.predicate
    lines = [
        f"{'issuer':<18} {verified.issuer} (key {verified.kid})",
        f"{'model':<18} {verified.model} sha256:{verified.model_sha256}",
        f"{'evaluation':<18} {p['evaluation_id']} at {p['time']}",
        f"{'holding':<18} {p['holding']} v{p['holding_version']} split {p['split']}",
        f"{'dataset manifest':<18} sha256:{p['dataset_manifest_sha256']}",
        f"{'evaluator':<18} {p['evaluator']['name']} {p['evaluator']['version']} "
        f"(onnxruntime {p['evaluator']['onnxruntime']}, onnx {p['evaluator']['onnx']})",
        f"{'metric spec':<18} {json.dumps(p['metric_spec'], sort_keys=True)}",
        f"{'budget':<18} {p['budget']['spent']} of {p['budget']['total']} spent",
    ]
    released = p["released"]
    for name, v in released["values"].items():
        if name in released["suppressed"]:
            lines.append(f"  {name:<16} suppressed (too few)")
        else:
            interval = "" if v["low"] is None else f"  [{v['low']}, {v['high']}]"
            lines.append(f"  {name:<16} {v['value']}{interval}")
    lines += [f"  {name:<16} {count}" for name, count in released["counts"].items()]
    return "\n".join(lines)


@receipt.command("verify")
@click.argument("file", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@click.option(
    "--jwks",
    "jwks_file",
    type=click.Path(path_type=Path, exists=True, dir_okay=False),
    help="The issuing administration's JWKS (e.g. a saved /administrations/ADMIN/jwks.json).",
)
@click.option("--url", help="Fetch the issuer's JWKS from this node instead (its HTTPS URL).")
@click.option("--issuer", help="Require this issuing administration (e.g. NLD).")
@_json
def receipt_verify(
    file: Path, jwks_file: Path | None, url: str | None, issuer: str | None, as_json: bool
) -> None:
    """Verify the evaluation receipt in FILE (a DSSE envelope) and print what it states.

    Offline with --jwks; with --url the JWKS of the administration the receipt names is fetched
    from that node. Exit status 1 and the reason when it does not verify."""
    from access import read_jwks
    from clearance.client.receipts import fetch_issuer_jwks
    from models import ReceiptInvalid, unverified_issuer, verify_receipt

    if (jwks_file is None) == (url is None):
        raise click.UsageError("give exactly one of --jwks FILE or --url URL")
    raw = file.read_bytes()
    try:
        if jwks_file is not None:
            jwks = read_jwks(jwks_file)
        else:
            jwks = _run(lambda: fetch_issuer_jwks(str(url), unverified_issuer(raw)))
        verified = verify_receipt(raw, jwks, issuer=issuer)
    except ReceiptInvalid as exc:
        click.echo(f"error: receipt does not verify ({exc.reason}): {exc}", err=True)
        sys.exit(1)
    except ValueError as exc:
        raise click.ClickException(f"{jwks_file} is not a JWKS: {exc}") from None
    if as_json:
        click.echo(json.dumps({"issuer": verified.issuer, "kid": verified.kid,
                               "predicate": verified.predicate}, indent=2))  # fmt: skip
        return
    click.echo(f"receipt verified\n{_receipt_text(verified)}")


# --- models (issue 10): the model registry ------------------------------------------------------


@click.group()
def model() -> None:
    """ONNX models with their cards: submit, list, show, share."""


def _models_table(rows: Sequence[dict[str, Any]]) -> str:
    headers = ("id", "name", "version", "task", "owner", "shared with", "sha256", "created")
    body = [
        (
            r["id"],
            r["name"],
            r["version"],
            r["task"],
            r["owner"],
            ",".join(r["shared_with"]) or "-",
            r["sha256"][:16],
            r["created"],
        )
        for r in rows
    ]
    return render_table(headers, body)


def _model_detail(item: dict[str, Any]) -> str:
    props, asset = item["properties"], item["assets"]["model"]
    lines = [
        ("id", item["id"]),
        ("name", props.get("mlm:name")),
        ("version", props.get("clearance:version")),
        ("task", props.get("clearance:task")),
        ("owner", props.get("clearance:owner")),
        ("submitted", props.get("datetime")),
        ("size", asset.get("file:size")),
        ("sha256", str(asset.get("file:checksum", ""))[4:]),
    ]
    return "\n".join(f"{k:<10} {v}" for k, v in lines)


@model.command("submit")
@_url
@_token
@_json
@click.argument("model_file", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@click.option(
    "--card",
    "card_file",
    required=True,
    type=click.Path(path_type=Path, exists=True, dir_okay=False),
    help="The model card: a JSON object of STAC MLM item properties.",
)
def model_submit(
    url: str, token: str | None, as_json: bool, model_file: Path, card_file: Path
) -> None:
    """Submit MODEL_FILE (ONNX) with its card; the node admits it or says which rule it broke."""
    from clearance.client.models import submission_body

    body = _run(lambda: submission_body(model_file, card_file))
    client = NodeClient(url, token, timeout=300)
    data = _run(lambda: client.call("POST", "/models", body))
    _show(data, as_json, lambda d: _models_table([d]))


@model.command("list")
@_url
@_token
@_json
def model_list(url: str, token: str | None, as_json: bool) -> None:
    """The models you may see: your administration's and those shared with it."""
    data = _run(lambda: _client(url, token).call("GET", "/models"))
    _show(data, as_json, lambda d: _models_table(d["models"]))


@model.command("show")
@_url
@_token
@_json
@click.argument("model_id")
def model_show(url: str, token: str | None, as_json: bool, model_id: str) -> None:
    """One model's STAC item (MLM extension)."""
    data = _run(lambda: _client(url, token).call("GET", f"/models/{model_id}"))
    _show(data, as_json, _model_detail)


@model.command("share")
@_url
@_token
@_json
@click.argument("model_id")
@click.argument("admins", nargs=-1, required=True)
def model_share(
    url: str, token: str | None, as_json: bool, model_id: str, admins: tuple[str, ...]
) -> None:
    """Share MODEL_ID with the administrations ADMINS (codes such as GBR)."""
    path = f"/models/{model_id}/shares"
    data = _run(lambda: _client(url, token).call("POST", path, {"admins": list(admins)}))
    _show(data, as_json, lambda d: _models_table([d]))
