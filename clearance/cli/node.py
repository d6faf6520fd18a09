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
from typing import TYPE_CHECKING, Any

import click

from access import AccessError, Level, Role, parse_admin_code
from catalog import CatalogError
from clearance.cli.audit_client import audit_search, filter_options, remote_export, remote_verify
from clearance.cli.catalog_client import holdings, search
from clearance.cli.client import (
    _client,
    _run,
    decrypt,
    grant,
    holding_options,
    keys,
    login,
    logout,
    model,
    pull,
    receipt,
    request,
    review,
    upload,
)
from clearance.cli.enclave_client import enclave_policy, evaluate, evaluation, leaderboard
from clearance.settings import Settings
from transfer.crypt4gh import Crypt4GHError

if TYPE_CHECKING:
    from access import AuditLog
    from clearance.node import Node

__all__ = ["main"]


# The node side (FastAPI, SQLAlchemy, Alembic) is imported when a command needs it: client
# commands such as `pull` then start in a fraction of a second.
def _node() -> Node:
    from clearance.node import open_node

    return open_node(Settings.from_env())


class _Cli(click.Group):
    """Turns domain errors into one clear line on stderr and exit code 2, never a traceback."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except (AccessError, CatalogError, Crypt4GHError, ValueError, PermissionError) as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(2)


@click.group(cls=_Cli, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="clearance", message="%(prog)s %(version)s")
def cli() -> None:
    """Clearance: secure cross-agency catalogue of annotated customs X-ray holdings."""


@cli.group()
def admin() -> None:
    """Administrations and their signing keys."""


@admin.command("add")
@click.argument("code")
@click.option("--name", required=True, help="Full name of the administration.")
def admin_add(code: str, name: str) -> None:
    """Register administration CODE (ISO alpha-3) and generate its signing key."""
    kid = _node().directory.add_administration(parse_admin_code(code), name)
    click.echo(f"administration {code} added; signing key {kid} (0600 file in the data folder)")


@admin.command("list")
def admin_list() -> None:
    for code, name in _node().directory.administrations():
        click.echo(f"{code}  {name}")


@admin.command("rotate-key")
@click.argument("code")
def admin_rotate_key(code: str) -> None:
    """Add a new signing key for CODE; older keys keep verifying until retired."""
    kid = _node().directory.rotate_key(parse_admin_code(code))
    click.echo(f"new signing key {kid} for {code}")


@admin.command("retire-key")
@click.argument("kid")
def admin_retire_key(kid: str) -> None:
    _node().directory.retire_key(kid)
    click.echo(f"signing key {kid} retired: tokens it signed no longer verify")


@cli.group()
def user() -> None:
    """Users of the administrations on this node."""


@user.command("add")
@click.argument("name")
@click.option("--admin", "admin_code", required=True)
@click.option(
    "--role", "roles", required=True, multiple=True, type=click.Choice([r.value for r in Role])
)
@click.option(
    "--clearance", "clearance_", required=True, type=click.Choice(["R0", "R1", "R2", "R3"])
)
@click.option("--password-stdin", is_flag=True, help="Read a login password from standard input.")
def user_add(
    name: str, admin_code: str, roles: tuple[str, ...], clearance_: str, password_stdin: bool
) -> None:
    password = sys.stdin.readline().rstrip("\n") if password_stdin else None
    info = _node().directory.add_user(
        name,
        admin=parse_admin_code(admin_code),
        roles=[Role(r) for r in roles],
        clearance=Level.parse(clearance_),
        password=password,
    )
    shown = ", ".join(info.roles)
    click.echo(f"user {info.name} ({info.admin}, {shown}, clearance {info.clearance.name}) added")


@user.command("list")
def user_list() -> None:
    for info in _node().directory.users():
        click.echo(
            f"{info.name:<20} {info.admin}  {','.join(info.roles):<24} {info.clearance.name}"
        )


@cli.command()
@click.argument("name")
@click.option("--ttl-minutes", default=480, show_default=True, type=click.IntRange(1, 720))
def token(name: str, ttl_minutes: int) -> None:
    """Print a bearer token for user NAME (signed by the user's administration)."""
    node = _node()
    click.echo(
        node.directory.issue_token(
            name, audience=node.settings.node_id, ttl=timedelta(minutes=ttl_minutes)
        )
    )


@cli.command()
@click.argument("out", type=click.Path(path_type=Path))
@click.option("--kind", type=click.Choice(["cargo", "parcel"]), required=True)
@click.option("--count", type=click.IntRange(1, 100_000), required=True)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--admin", "admin_code", default="NLD", show_default=True)
def synth(out: Path, kind: str, count: int, seed: int, admin_code: str) -> None:
    """Write a deterministic synthetic annotated X-ray holding to OUT."""
    from catalog.synth import generate_holding

    summary = generate_holding(out, kind=kind, count=count, seed=seed, admin=admin_code)  # type: ignore[arg-type]
    click.echo(
        f"{out}: {summary.scans} scans, {summary.objects} objects, {summary.bytes_written:,} bytes"
    )


@cli.command()
@click.argument("folder", type=click.Path(path_type=Path, exists=True, file_okay=False))
@click.option("--admin", "admin_code", required=True)
@click.option("--holding", "holding_id", required=True)
@holding_options
def publish(
    folder: Path, admin_code: str, holding_id: str, title: str, description: str, level: str,
    marking: str, rel_to: str, handling: str, discovery: str, geometry: str,
) -> None:  # fmt: skip
    """Publish the holding in FOLDER as a STAC collection (atomic: all or nothing)."""
    from clearance.publishing.folder import publish_options
    from clearance.publishing.options import PublishOptions

    options = PublishOptions(
        holding=holding_id, title=title, description=description, level=level,
        marking=marking, rel_to=rel_to, handling=handling, discovery=discovery, geometry=geometry,
    )  # fmt: skip
    result = publish_options(_node(), folder, admin=admin_code, options=options)
    click.echo(
        f"published {result.holding_id} v{result.version}: {result.items} items, "
        f"{result.assets} assets ({result.bytes:,} bytes)"
    )


@cli.command("who-has")
@click.option("--as", "as_user", help="On the node: see the catalogue as this user sees it.")
@click.option("--url", envvar="CLEARANCE_URL", help="Ask this node [env: CLEARANCE_URL].")
@click.option("--token", envvar="CLEARANCE_TOKEN", help="Bearer token [env: CLEARANCE_TOKEN].")
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
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
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
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
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
_REMOTE_TOKEN = click.option(
    "--token", envvar="CLEARANCE_TOKEN", show_envvar=True,
    help="With --url: bearer token; default: your `clearance login` to --url.",
)  # fmt: skip


@audit.command("verify")
@_REMOTE_URL
@_REMOTE_TOKEN
@click.option(
    "--public-key",
    "public_key_file",
    type=click.Path(path_type=Path, exists=True, dir_okay=False),
    help="Check signatures against this pinned audit public JWK, not the node's key file.",
)
def audit_verify(url: str | None, token: str | None, public_key_file: Path | None) -> None:
    """Check every entry, link, checkpoint and the head; exit 1 on any problem."""
    from access import read_public_jwk

    if url is not None:
        if public_key_file is not None:
            raise click.UsageError("--public-key checks this node's files: not with --url")
        remote_verify(url, token)
        return
    pinned = read_public_jwk(public_key_file) if public_key_file is not None else None
    report = audit_log(_node()).verify(public_key=pinned)
    if report.ok:
        click.echo(
            f"audit log OK: {report.entries} entries, {report.checkpoints} checkpoints, "
            f"head seq {report.head_seq}"
        )
        return
    for problem in report.problems:
        click.echo(str(problem))
    click.echo(f"audit log FAILED: {len(report.problems)} problem(s)", err=True)
    sys.exit(1)


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
def audit_checkpoint() -> None:
    """Sign a checkpoint at the current head now."""
    node = _node()
    with node.sessions.begin() as session:
        seq = audit_log(node).checkpoint(session)
    click.echo(f"checkpoint signed at seq {seq}")


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
