"""Client commands: talk to a node over HTTP as the token's user.

    clearance request create|list|show|withdraw
    clearance review list|approve|refuse
    clearance grant list|show|revoke
    clearance keys register
    clearance login|logout        (keep a token per node in your config folder)
    clearance model submit|list|show|share
    clearance upload DIR          (publish a holding folder to a node, resumably)
    clearance pull GRANT          (download under a grant, verified)
    clearance decrypt FILE        (decrypt one Crypt4GH file)
    clearance receipt verify FILE (check a signed evaluation receipt)

Tables by default, JSON with ``--json``.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import click
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from clearance.cli.errors import EXIT_REFUSED, Failure
from clearance.cli.params import holding_options, json_option, token_option, url_option
from clearance.client.http import ClientError, NodeClient
from clearance.client.request_display import queue_table, request_text, requests_table
from clearance.client.text_tables import render_table

F = TypeVar("F", bound=Callable[..., Any])

__all__ = [
    "decrypt",
    "grant",
    "keys",
    "login",
    "logout",
    "model",
    "pull",
    "receipt",
    "request",
    "review",
    "upload",
]

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


@click.group()
def keys() -> None:
    """Your Crypt4GH key: data granted to you is only ever encrypted to it."""


@keys.command("register")
@_url
@_token
@_json
@click.argument("public_key_file", type=click.Path(path_type=Path, exists=True, dir_okay=False))
def keys_register(url: str, token: str | None, as_json: bool, public_key_file: Path) -> None:
    """Register the Crypt4GH public key in PUBLIC_KEY_FILE (as written by `keys generate` or
    crypt4gh-keygen): grants issued to you from now on encrypt to it."""
    import base64

    from transfer.crypt4gh import load_public_key

    raw = load_public_key(public_key_file)
    encoded = base64.b64encode(bytes(raw)).decode()
    _run(lambda: _client(url, token).call("PUT", "/access/keys/c4gh", {"public_key": encoded}))
    _show({"public_key": encoded}, as_json, lambda d: f"registered Crypt4GH public key {encoded}")


@keys.command("generate")
@click.argument("prefix", type=click.Path(path_type=Path))
@click.option("--force", is_flag=True, help="Replace existing key files (data encrypted to the "
              "old key can then no longer be decrypted with these files).")  # fmt: skip
@_json
def keys_generate(prefix: Path, force: bool, as_json: bool) -> None:
    """Write PREFIX.sec (0600, locked with a passphrase) and PREFIX.pub, Crypt4GH format.

    The passphrase comes from C4GH_PASSPHRASE, or is asked for (twice) when that is unset."""
    from clearance.client.key_files import write_key_pair

    secret, public = prefix.with_suffix(".sec"), prefix.with_suffix(".pub")
    existing = [str(p) for p in (secret, public) if p.exists()]
    if existing and not force:
        hint = "--force replaces it; keep the old .sec for data encrypted to it"
        raise Failure(f"{existing[0]} exists already: not overwritten", hint=hint)
    passphrase = os.environ.get("C4GH_PASSPHRASE") or click.prompt(
        "Passphrase for the new private key", hide_input=True, confirmation_prompt=True
    )
    encoded = write_key_pair(secret, public, passphrase)
    data = {"secret_key_file": str(secret), "public_key_file": str(public), "public_key": encoded}
    _show(data, as_json, lambda d: f"wrote {secret} (0600) and {public} (public key {encoded}); "
          "register it with: clearance keys register")  # fmt: skip


def _size(value: str) -> int:
    """``8M``, ``512k``, ``1048576``: a byte count with an optional binary unit (k, M, G)."""
    units = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30}
    text = value.strip().lower().removesuffix("ib").removesuffix("b")
    number, unit = (text[:-1], text[-1]) if text and text[-1] in units else (text, "")
    if not number.isdigit() or int(number) * units[unit] < 1:
        raise click.BadParameter(f"{value!r} is not a size such as 8M, 512k or 1048576")
    return int(number) * units[unit]


@click.command()
@click.argument(
    "folder", type=click.Path(path_type=Path, exists=True, file_okay=False, resolve_path=True)
)
@_url
@_token
@_json
@click.option("--holding", required=True, help="Holding id (your administration's).")
@holding_options
@click.option("--part-size", default="8M", show_default=True, help="Bytes per part (k, M, G).")
@click.option("--retries", default=5, show_default=True, type=click.IntRange(0, 100),
              help="Attempts per part after a lost connection or a busy node.")  # fmt: skip
@click.option(
    "--work-dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="Where the temporary archive is written (default: the system's temporary folder).",
)
@click.option("--again", is_flag=True, help="Publish a new version even if this very folder "
              "was published as this holding already.")  # fmt: skip
@click.option("--quiet", is_flag=True, help="No progress on standard error.")
def upload(
    folder: Path, url: str, token: str | None, as_json: bool, holding: str, title: str,
    description: str, level: str, marking: str, rel_to: str, handling: str, discovery: str,
    geometry: str, part_size: str, retries: int, work_dir: Path | None, again: bool, quiet: bool,
) -> None:  # fmt: skip
    """Publish the holding in FOLDER to the node at --url, as an operator of your
    administration: pack it, upload it in checksummed parts, publish it (all or nothing).

    Run it again after any interruption: it finds its upload on the node by the archive's
    SHA-256 and continues from the node's offset. Run again after it finished, it publishes
    nothing and says which version it published (--again for a new version)."""
    from clearance.cli.progress import progress
    from clearance.client.upload import UploadRequest, upload_folder
    from transfer import ArchiveError

    options = {
        "holding": holding, "title": title, "description": description, "level": level,
        "marking": marking, "rel_to": rel_to, "handling": handling, "discovery": discovery,
        "geometry": geometry,
    }  # fmt: skip
    request = UploadRequest(
        folder=folder, options=options, part_size=_size(part_size), work_dir=work_dir,
        retries=retries, again=again,
    )  # fmt: skip

    def echo(line: str) -> None:
        if not quiet:
            click.echo(line, err=True)

    with progress("upload", "bytes", quiet=quiet) as advance:
        try:
            outcome = _run(lambda: upload_folder(_client(url, token), request, echo, advance))
        except ArchiveError as exc:
            raise Failure(str(exc)) from None
    result = outcome.result
    done = f"{result['holding_id']} v{result['version']}: {result['items']} items, " \
           f"{result['assets']} assets ({result['bytes']:,} bytes)"  # fmt: skip
    if outcome.already:
        text = (f"already published: {done} by upload {outcome.upload_id}; nothing sent "
                "(--again publishes it once more, as a new version)")  # fmt: skip
    else:
        text = (f"published {done} from upload {outcome.upload_id} ({outcome.parts_sent} parts, "
                f"{outcome.bytes_sent:,} bytes sent this run)")  # fmt: skip
    _show(outcome.as_json(), as_json, lambda _: text)


def _rate(value: str | None) -> int | None:
    if value is None:
        return None
    units = {"": 1, "k": 1000, "m": 1000**2, "g": 1000**3}
    text = value.strip().lower().removesuffix("b")
    number, unit = (text[:-1], text[-1]) if text and text[-1] in units else (text, "")
    try:
        rate = int(float(number) * units[unit])
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a rate such as 500k or 4M") from None
    if rate <= 0:
        raise click.BadParameter("the rate must be positive")
    return rate


def _secret_key(path: Path) -> X25519PrivateKey:
    from transfer.crypt4gh import load_private_key

    def passphrase() -> str:
        value = os.environ.get("C4GH_PASSPHRASE")
        if not value:
            raise click.ClickException(f"{path} is locked: set C4GH_PASSPHRASE to its passphrase")
        return value

    return load_private_key(path, passphrase)


_SECRET_KEY_OPTION = click.option(
    "--key",
    "key_file",
    required=True,
    type=click.Path(path_type=Path, exists=True, dir_okay=False),
    help="Your Crypt4GH private key file (passphrase from C4GH_PASSPHRASE).",
)


@click.command()
@click.argument("grant")
@_url
@_token
@_SECRET_KEY_OPTION
@click.option("--out", required=True, type=click.Path(path_type=Path, file_okay=False),
              help="Folder for the decrypted holding (created; reused to resume).")  # fmt: skip
@click.option("--workers", default=4, show_default=True, type=click.IntRange(1, 32),
              help="Objects fetched at once.")  # fmt: skip
@click.option("--keep-encrypted", is_flag=True, help="Also keep each Crypt4GH file as received.")
@click.option(
    "--jwks",
    "jwks_file",
    type=click.Path(path_type=Path, exists=True, dir_okay=False),
    help="Pinned JWKS of the owner to verify grant and manifest (default: fetched from the node).",
)
@click.option("--limit-rate", help="Cap the download rate, e.g. 500k or 20M (bytes/s).")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@_json
def pull(
    grant: str, url: str, token: str | None, key_file: Path, out: Path, workers: int,
    keep_encrypted: bool, jwks_file: Path | None, limit_rate: str | None, quiet: bool,
    as_json: bool,
) -> None:  # fmt: skip
    """Download the holding GRANT covers, verify it, decrypt it and write it to OUT as a local
    STAC catalogue. GRANT is a grant token, a file holding one, a grant id, or the id of the
    granted request (ids are looked up as your login to --url). Run it again after any
    interruption: it resumes without downloading verified bytes again."""
    from access import read_jwks
    from clearance.client.grant_source import resolve_grant
    from clearance.client.pull import PullError, PullOptions
    from clearance.client.pull import pull as run_pull

    options = PullOptions(
        url=url,
        grant=_run(lambda: resolve_grant(grant, lambda: _client(url, token))),
        key=_secret_key(key_file),
        out=out,
        workers=workers,
        keep_encrypted=keep_encrypted,
        jwks=read_jwks(jwks_file) if jwks_file is not None else None,
        limit_rate=_rate(limit_rate),
        progress=not quiet,
    )
    try:
        result = run_pull(options)
    except PullError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    data = {"holding": result.holding, "version": result.version, "objects": result.objects,
            "skipped": result.skipped, "bytes_fetched": result.body_bytes_fetched,
            "catalog": str(result.catalog)}  # fmt: skip
    text = (
        f"{result.holding} v{result.version}: {result.objects} objects verified and decrypted "
        f"({result.skipped} already there, {result.body_bytes_fetched:,} bytes fetched); "
        f"catalogue {result.catalog}"
    )
    _show(data, as_json, lambda _: text)


@click.command()
@click.argument("file", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@_SECRET_KEY_OPTION
@click.option("--out", required=True, type=click.Path(path_type=Path, dir_okay=False),
              help="The plaintext file to write (in an existing folder).")  # fmt: skip
@_json
def decrypt(file: Path, key_file: Path, out: Path, as_json: bool) -> None:
    """Decrypt one Crypt4GH FILE (e.g. kept by `pull --keep-encrypted`) to OUT.

    OUT appears only when every segment authenticated. This checks Crypt4GH integrity only: the
    manifest's size and digests were checked when the file was pulled."""
    import tempfile

    from transfer.crypt4gh import Crypt4GHError
    from transfer.crypt4gh import decrypt as c4gh_decrypt

    if not out.parent.is_dir():
        raise click.BadParameter(f"folder {out.parent} does not exist", param_hint="--out")
    sk = _secret_key(key_file)
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.partial-", dir=out.parent)
    try:
        with open(file, "rb") as src, os.fdopen(fd, "wb") as dst:
            stats = c4gh_decrypt(src, dst, reader_sk=sk)
            dst.flush()
            os.fsync(dst.fileno())
        os.replace(tmp, out)
    except Crypt4GHError as exc:
        Path(tmp).unlink(missing_ok=True)
        click.echo(f"error: {file} does not decrypt: {exc}", err=True)
        sys.exit(1)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    data = {"out": str(out), "bytes": stats.plaintext_bytes}
    _show(data, as_json, lambda _: f"{out}: {stats.plaintext_bytes:,} bytes")


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
