"""Client commands that move data: your Crypt4GH keys, upload a holding, pull under a grant,
decrypt one file. Nothing of the node side is imported.

    clearance keys generate|register
    clearance upload DIR          (publish a holding folder to a node, resumably)
    clearance pull GRANT          (download under a grant, verified)
    clearance decrypt FILE        (decrypt one Crypt4GH file)
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from clearance.cli.client import _client, _json, _run, _show, _token, _url
from clearance.cli.errors import Failure
from clearance.cli.params import holding_options

__all__ = ["decrypt", "keys", "pull", "upload"]


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
        if value:
            return value
        if sys.stdin.isatty():
            entered: str = click.prompt(f"Passphrase for {path}", hide_input=True)
            return entered
        raise Failure(f"{path} is locked", hint="set C4GH_PASSPHRASE to its passphrase")

    return load_private_key(path, passphrase)


_SECRET_KEY_OPTION = click.option(
    "--key",
    "key_file",
    required=True,
    type=click.Path(path_type=Path, exists=True, dir_okay=False),
    help="Your Crypt4GH private key file; its passphrase from C4GH_PASSPHRASE, or asked for "
    "on a terminal.",
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
