"""Node commands of the ``clearance`` command line: administration, data, publishing, serving,
audit and the demo. The root group lives here and also carries the client commands of
``clearance.cli.client``.
"""

from __future__ import annotations

import json
import os
import sys
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import click

from access import AccessError, Level, Role
from catalog import CatalogError
from clearance.cli.account_client import login, logout
from clearance.cli.audit_client import (
    audit_search,
    filter_options,
    remote_export,
    remote_verify,
    show_report,
)
from clearance.cli.catalog_client import holdings, search
from clearance.cli.client import _client, _run, grant, request, review
from clearance.cli.enclave_client import enclave_policy, evaluate, evaluation, leaderboard
from clearance.cli.errors import Failure, restyled
from clearance.cli.model_client import model, receipt
from clearance.cli.params import ADMIN_CODE, holding_options, json_option, token_option, url_option
from clearance.cli.transfer_client import decrypt, keys, pull, upload
from clearance.settings import Settings
from transfer.crypt4gh import Crypt4GHError

if TYPE_CHECKING:
    from access import AuditLog, UserInfo
    from clearance.node import Node

__all__ = ["main"]


# The node side (FastAPI, SQLAlchemy, Alembic) is imported when a command needs it: client
# commands such as `pull` then start in a fraction of a second.
def _node() -> Node:
    """The node in the data folder; never an empty one made by accident (``clearance init``)."""
    from clearance.node import open_node

    settings = Settings.from_env()
    if not settings.keys_dir.is_dir():
        raise Failure(
            f"no node in {settings.data_dir} (CLEARANCE_DATA, default ./var/data): nothing done",
            hint="run it in the node's folder or set CLEARANCE_DATA to its data folder; "
            "`clearance init` creates a new node there",
        )
    return open_node(settings)


def _emit(data: Any, as_json: bool, text: str) -> None:
    click.echo(json.dumps(data, indent=2) if as_json else text)


class _Cli(click.Group):
    """Every failure in one style on stderr (``clearance.cli.errors``), never a traceback."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except click.ClickException as exc:
            raise restyled(exc) from None

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except click.ClickException as exc:
            raise restyled(exc) from None
        except (AccessError, CatalogError, Crypt4GHError, ValueError, PermissionError) as exc:
            raise Failure(str(exc)) from None


@click.group(cls=_Cli, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="clearance", message="%(prog)s %(version)s")
def cli() -> None:
    """Clearance: secure cross-agency catalogue of annotated customs X-ray holdings.

    Node commands (init, admin, user, token, publish, serve, worker, audit on the node) work on
    the data folder CLEARANCE_DATA (default ./var/data) and the database CLEARANCE_DATABASE_URL
    (default: SQLite in the data folder). Client commands talk to a node at --url.

    Exit codes: 0 success, 1 failure, 2 usage, 3 refused by policy.
    """


@cli.command()
@json_option
def init(as_json: bool) -> None:
    """Create a node in the data folder (CLEARANCE_DATA): folders 0700, keys, database schema.

    Safe to re-run: an existing node is upgraded to the current schema and left as it is."""
    from clearance.node import open_node

    settings = Settings.from_env()
    existed = settings.keys_dir.is_dir()
    node = open_node(settings)
    database = node.engine.url.get_backend_name()
    data = {"data": str(settings.data_dir), "database": database, "created": not existed}
    verb = "already here" if existed else "created"
    _emit(data, as_json, f"node {verb} in {settings.data_dir} ({database} database)")


@cli.group()
def admin() -> None:
    """Administrations and their signing keys."""


@admin.command("add")
@click.argument("code", type=ADMIN_CODE)
@click.option("--name", required=True, help="Full name of the administration.")
@json_option
def admin_add(code: str, name: str, as_json: bool) -> None:
    """Register administration CODE (ISO alpha-3) and generate its signing key."""
    kid = _node().directory.add_administration(code, name)
    text = f"administration {code} added; signing key {kid} (0600 file in the data folder)"
    _emit({"admin": code, "name": name, "kid": kid}, as_json, text)


@admin.command("list")
@json_option
def admin_list(as_json: bool) -> None:
    """The administrations this node knows (its trust list)."""
    known = _node().directory.administrations()
    rows = [{"admin": code, "name": name} for code, name in known]
    _emit(rows, as_json, "\n".join(f"{code}  {name}" for code, name in known))


@admin.command("rotate-key")
@click.argument("code", type=ADMIN_CODE)
@json_option
def admin_rotate_key(code: str, as_json: bool) -> None:
    """Add a new signing key for CODE; older keys keep verifying until retired."""
    kid = _node().directory.rotate_key(code)
    _emit({"admin": code, "kid": kid}, as_json, f"new signing key {kid} for {code}")


@admin.command("retire-key")
@click.argument("kid")
@json_option
def admin_retire_key(kid: str, as_json: bool) -> None:
    """Retire signing key KID: what it signed no longer verifies."""
    _node().directory.retire_key(kid)
    text = f"signing key {kid} retired: tokens it signed no longer verify"
    _emit({"kid": kid, "retired": True}, as_json, text)


@cli.group()
def user() -> None:
    """Users of the administrations on this node."""


def _user_json(info: UserInfo) -> dict[str, Any]:
    roles = [str(r) for r in info.roles]
    level = info.clearance.name
    return {"user": info.name, "admin": info.admin, "roles": roles, "clearance": level}


@user.command("add")
@click.argument("name")
@click.option(
    "--admin",
    "admin_code",
    required=True,
    type=ADMIN_CODE,
    help="The user's administration (it must be on this node).",
)
@click.option(
    "--role",
    "roles",
    required=True,
    multiple=True,
    type=click.Choice([r.value for r in Role]),
    help="A role; repeat for several.",
)
@click.option(
    "--clearance",
    "clearance_",
    required=True,
    type=click.Choice(["R0", "R1", "R2", "R3"]),
    help="The highest restrictedness level the user may see.",
)
@click.option("--password-stdin", is_flag=True, help="Read a login password from standard input.")
@json_option
def user_add(
    name: str, admin_code: str, roles: tuple[str, ...], clearance_: str, password_stdin: bool,
    as_json: bool,
) -> None:  # fmt: skip
    """Add user NAME of an administration, with roles and a clearance."""
    password = sys.stdin.readline().rstrip("\n") if password_stdin else None
    info = _node().directory.add_user(
        name,
        admin=admin_code,
        roles=[Role(r) for r in roles],
        clearance=Level.parse(clearance_),
        password=password,
    )
    shown = ", ".join(info.roles)
    text = f"user {info.name} ({info.admin}, {shown}, clearance {info.clearance.name}) added"
    _emit(_user_json(info), as_json, text)


@user.command("list")
@json_option
def user_list(as_json: bool) -> None:
    """The users on this node, with their administration, roles and clearance."""
    users = _node().directory.users()
    lines = [f"{u.name:<20} {u.admin}  {','.join(u.roles):<24} {u.clearance.name}" for u in users]
    _emit([_user_json(u) for u in users], as_json, "\n".join(lines))


@cli.command()
@click.argument("name")
@click.option(
    "--ttl-minutes",
    default=480,
    show_default=True,
    type=click.IntRange(1, 720),
    help="Minutes until the token expires.",
)
@json_option
def token(name: str, ttl_minutes: int, as_json: bool) -> None:
    """Print a bearer token for user NAME (signed by the user's administration)."""
    from access import utc_text

    node = _node()
    ttl = timedelta(minutes=ttl_minutes)
    issued = node.directory.issue_token(name, audience=node.settings.node_id, ttl=ttl)
    data = {"token": issued, "user": name, "expires": utc_text(node.clock.now() + ttl)}
    _emit(data, as_json, issued)


_QUIET = click.option("--quiet", is_flag=True, help="No progress on standard error.")


@cli.command()
@click.argument("out", type=click.Path(path_type=Path))
@click.option(
    "--kind",
    type=click.Choice(["cargo", "parcel"]),
    required=True,
    help="Container scans (cargo) or parcels and post (parcel).",
)
@click.option("--count", type=click.IntRange(1, 100_000), required=True, help="Number of scans.")
@click.option(
    "--seed",
    type=click.IntRange(0),
    default=0,
    show_default=True,
    help="The same seed gives byte-identical files.",
)
@click.option(
    "--admin",
    "admin_code",
    default="NLD",
    show_default=True,
    type=ADMIN_CODE,
    help="The administration whose scans these pretend to be.",
)
@_QUIET
@json_option
def synth(
    out: Path,
    kind: Literal["cargo", "parcel"],
    count: int,
    seed: int,
    admin_code: str,
    quiet: bool,
    as_json: bool,
) -> None:
    """Write a deterministic synthetic annotated X-ray holding to OUT (a new or empty folder)."""
    from catalog.synth import generate_holding
    from clearance.cli.progress import progress

    with progress("synth", "scans", quiet=quiet) as advance:
        summary = generate_holding(
            out,
            kind=kind,
            count=count,
            seed=seed,
            admin=admin_code,
            progress=advance,
        )
    data = {"out": str(out), "scans": summary.scans, "objects": summary.objects,
            "bytes": summary.bytes_written}  # fmt: skip
    text = (
        f"{out}: {summary.scans} scans, {summary.objects} objects, {summary.bytes_written:,} bytes"
    )
    _emit(data, as_json, text)


@cli.command()
@click.argument("folder", type=click.Path(path_type=Path, exists=True, file_okay=False))
@click.option(
    "--admin",
    "admin_code",
    required=True,
    type=ADMIN_CODE,
    help="The owning administration (on this node).",
)
@click.option(
    "--holding",
    "holding_id",
    required=True,
    help="Holding id: ADMIN-… for a new one (NLD-PARCELS-2026).",
)
@holding_options
@_QUIET
@json_option
def publish(
    folder: Path, admin_code: str, holding_id: str, title: str, description: str, level: str,
    marking: str, rel_to: str, handling: str, discovery: str, geometry: str, quiet: bool,
    as_json: bool,
) -> None:  # fmt: skip
    """Publish the holding in FOLDER as a STAC collection (atomic: all or nothing)."""
    from clearance.cli.progress import progress
    from clearance.publishing.folder import publish_options
    from clearance.publishing.options import PublishOptions

    options = PublishOptions(
        holding=holding_id, title=title, description=description, level=level,
        marking=marking, rel_to=rel_to, handling=handling, discovery=discovery, geometry=geometry,
    )  # fmt: skip
    node = _node()
    with progress("publish", "objects", quiet=quiet) as advance:
        result = publish_options(node, folder, admin=admin_code, options=options, progress=advance)
    data = {"holding": result.holding_id, "version": result.version, "items": result.items,
            "assets": result.assets, "bytes": result.bytes, "encrypted": result.encrypted,
            "manifest_sha256": result.manifest_sha256}  # fmt: skip
    text = (
        f"published {result.holding_id} v{result.version}: {result.items} items, "
        f"{result.assets} assets ({result.bytes:,} bytes)"
    )
    _emit(data, as_json, text)


@cli.command("who-has")
@click.option("--as", "as_user", help="On the node: see the catalogue as this user sees it.")
@url_option(required=False, help="Ask this node.")
@token_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def who_has_command(as_user: str | None, url: str | None, token: str | None, as_json: bool) -> None:
    """What has who got: administration × label class × modality, as you (--url) or USER (--as,
    on the node) may see it."""
    from clearance.client.text_tables import who_has_table

    if as_user is not None:
        data, viewer = _who_has_on_node(as_user)
    elif url:
        data = _run(lambda: _client(url, token).call("GET", "/whohas"))
        viewer = str(data.get("as", "?"))
    else:
        raise click.UsageError("give --url (or CLEARANCE_URL) to ask a node, or --as USER on it")
    if as_json:
        click.echo(json.dumps(data, indent=2))
    else:
        click.echo(who_has_table(data.get("rows") or [], viewer))


def _who_has_on_node(as_user: str) -> tuple[dict[str, Any], str]:
    from catalog import who_has

    node = _node()
    principal = node.directory.user(as_user).principal()
    with node.sessions() as session:
        rows = who_has(session, principal)
    data = {"as": principal.admin, "rows": [r.as_json() for r in rows]}
    return data, f"{principal.user} ({principal.admin})"


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535),
              help="Port to listen on.")  # fmt: skip
def serve(host: str, port: int) -> None:
    """Serve the STAC API."""
    import uvicorn

    from clearance.http.app import create_app

    node = _node()
    options = node.settings.limits.uvicorn_options()
    uvicorn.run(create_app(node), host=host, port=port, log_level="info", **options)


@cli.command()
@click.option("--once", is_flag=True, help="Carry out at most one job, then exit.")
@click.option(
    "--poll-interval", default=1.0, show_default=True, type=click.FloatRange(0.05, 60.0),
    help="Seconds to wait when the queue is empty.",
)  # fmt: skip
@click.option("--id", "worker_id", default=None, help="This worker's id (default: host:pid).")
def worker(once: bool, poll_interval: float, worker_id: str | None) -> None:
    """Claim evaluation jobs from the node's database and carry them out (any number of
    workers, on any number of machines)."""
    import signal
    import socket
    import threading

    from clearance.enclave import enclave_runner
    from models import Worker

    node = _node()
    runner = node.job_runner or enclave_runner(node)
    name = worker_id or f"{socket.gethostname()[:30]}:{os.getpid()}"
    running = Worker(node.jobs, runner, node.clock, name)
    if once:
        running.run_once()
        return
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    click.echo(f"worker {name}: polling every {poll_interval}s (Ctrl-C to stop)")
    running.run_forever(stop, poll_interval)


@cli.command()
@click.option("--no-serve", is_flag=True, help="Exit after the walkthrough.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535),
              help="Port to serve on after the walkthrough.")  # fmt: skip
def demo(no_serve: bool, port: int) -> None:
    """Seed a data folder with synthetic holdings, show who has what, then serve."""
    from clearance.demo import run_demo
    from clearance.http.app import create_app

    node = run_demo(Settings.from_env(), echo=click.echo)
    if not no_serve:
        import uvicorn

        click.echo(f"\nserving the STAC API at http://127.0.0.1:{port}/  (Ctrl-C to stop)")
        options = node.settings.limits.uvicorn_options()
        uvicorn.run(create_app(node), host="127.0.0.1", port=port, log_level="warning", **options)


# transfer (researcher side) --------------------------------------------------------------------


# audit -----------------------------------------------------------------------------------------


def audit_log(node: Node) -> AuditLog:
    return node.audit


@cli.group()
def audit() -> None:
    """The append-only, hash-chained audit log and its signed checkpoints."""


_REMOTE_URL = click.option(
    "--url", help="Ask the node at URL as an auditor (default: this node's data folder)."
)
_REMOTE_TOKEN = token_option


@audit.command("verify")
@_REMOTE_URL
@_REMOTE_TOKEN
@click.option(
    "--public-key",
    "public_key_file",
    type=click.Path(path_type=Path, exists=True, dir_okay=False),
    help="Check signatures against this pinned audit public JWK, not the node's key file.",
)
@json_option
def audit_verify(
    url: str | None, token: str | None, public_key_file: Path | None, as_json: bool
) -> None:
    """Check every entry, link, checkpoint and the head; exit 1 on any problem."""
    from access import read_public_jwk

    if url is not None:
        if public_key_file is not None:
            raise click.UsageError("--public-key checks this node's files: not with --url")
        remote_verify(url, token, as_json)
        return
    pinned = read_public_jwk(public_key_file) if public_key_file is not None else None
    show_report(audit_log(_node()).verify(public_key=pinned).as_json(), as_json)


@audit.command("export")
@_REMOTE_URL
@_REMOTE_TOKEN
@filter_options
@click.option("--out", "out_file", type=click.Path(path_type=Path, dir_okay=False),
              help="Write to this file (0600) instead of standard output.")  # fmt: skip
@click.option("--checkpoints", is_flag=True, help="Export the signed checkpoints instead.")
def audit_export(
    url: str | None, token: str | None, actor: str | None, action: str | None,
    holding: str | None, since: str | None, until: str | None, out_file: Path | None,
    checkpoints: bool,
) -> None:  # fmt: skip
    """Write the entries (or checkpoints) as JSON lines to standard output or --out (0600).

    With --url: the entries of the node at URL that concern your administration (filters
    apply); without: every entry of this node, with seq, prev_hash and hash, for offline
    verification (filters need --url)."""
    filters = {"actor": actor, "action": action, "holding": holding, "since": since,
               "until": until}  # fmt: skip
    if url is not None:
        if checkpoints:
            raise click.UsageError("--checkpoints exports this node's files: not with --url")
        remote_export(url, token, filters, out_file)
        return
    if any(v is not None for v in filters.values()):
        raise click.UsageError("the filters need --url (a node's full export is unfiltered)")
    log = audit_log(_node())
    write = log.export_checkpoints if checkpoints else log.export
    if out_file is None:
        write(sys.stdout)
        return
    fd = os.open(out_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)  # also when the file existed already with a wider mode
    with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
        count = write(handle)
    click.echo(f"{count} {'checkpoints' if checkpoints else 'entries'} written to {out_file}")


audit.add_command(audit_search)


@audit.command("checkpoint")
@json_option
def audit_checkpoint(as_json: bool) -> None:
    """Sign a checkpoint at the current head now."""
    node = _node()
    with node.sessions.begin() as session:
        seq = audit_log(node).checkpoint(session)
    _emit({"seq": seq}, as_json, f"checkpoint signed at seq {seq}")


@audit.command("public-key")
def audit_public_key() -> None:
    """Print the node's audit public key (JWK) for pinning elsewhere."""
    click.echo(json.dumps(audit_log(_node()).public_jwk(), indent=2))


_CLIENT_COMMANDS = (
    login, logout, search, holdings, request, review, grant, keys, model, upload, decrypt, pull,
    receipt, evaluate, evaluation, leaderboard, enclave_policy,
)  # fmt: skip
for _group in _CLIENT_COMMANDS:
    cli.add_command(_group)


def main() -> None:
    cli()
