"""The container image's entry point: ``python -m clearance.container COMMAND``.

One image runs every role of a node (the Dockerfile's ENTRYPOINT; docs/operations.md):

    serve          the API: ``clearance serve`` on ``CLEARANCE_BIND`` (0.0.0.0) and
                   ``CLEARANCE_PORT`` (8000)
    worker [...]   an enclave worker: ``clearance worker [...]``
    migrate        apply the Alembic migrations to the database, then exit (run it once per
                   upgrade, before the new API and worker tasks start)
    healthcheck    exit 0 when ``GET /healthz`` on the local port answers 200 (``--ready``:
                   ``/readyz``), else 1; the image's HEALTHCHECK
    keys-export [--include PREFIX] [--exclude PREFIX]
                   print the data folder's ``keys/`` (or the files under it whose paths start
                   with PREFIX, or do not) as a key bundle (JSON) for a secret store
    queue-metrics [--once] [--interval S]
                   print the evaluation queue's depth (queued, running) every S seconds (60) as
                   CloudWatch embedded-metric JSON lines: the enclave workers scale on it
    ceremony ARGS  a key ceremony: ``clearance ARGS`` (``admin add NLD --name ...``,
                   ``admin rotate-key NLD``, ``admin retire-key KID``) on the keys of the bundles
                   it was started with, the node's own keys made if missing, then the changed
                   bundles written back to Secrets Manager (``CLEARANCE_CEREMONY_SIGNING_SECRET``
                   and ``CLEARANCE_CEREMONY_STORAGE_SECRET``, with the task's own credentials)
    audit-archive  verify the audit log, sign a checkpoint at its head, and put the entries, the
                   checkpoints and the audit public key into ``CLEARANCE_AUDIT_BUCKET`` (Object
                   Lock) under ``<CLEARANCE_AUDIT_PREFIX or the node id>/<UTC time>/``; a log
                   that fails verification prints ``audit log FAILED`` and exits 1, uploading
                   nothing
    anything else  ``clearance ...`` as given (``admin list``, ``audit verify``, ...)

Before it hands over to ``clearance`` it prepares the environment, which is the only place
settings come from:

* ``CLEARANCE_DATABASE_URL`` is composed from ``CLEARANCE_DB_HOST``, ``_PORT`` (5432), ``_NAME``,
  ``_USER`` and ``_PASSWORD`` when it is not given whole (an orchestrator injects the password
  alone from its secret store), the password percent-encoded, with ``sslmode`` from
  ``CLEARANCE_DB_SSLMODE`` (``require``; ``verify-full`` with ``CLEARANCE_DB_SSLROOTCERT``, the
  path of the database's CA bundle);
* ``NAME_FILE`` gives ``NAME`` from a file (Docker and compose secrets) for the database
  password, the S3 keys and the storage passphrase, when ``NAME`` itself is not set;
* every ``CLEARANCE_KEYS_BUNDLE*`` variable holds a key bundle, ``{"version": 1, "files":
  {"<path under keys/>": "<base64>"}}``: its files are written 0600 (folders 0700) under
  ``$CLEARANCE_DATA/keys``. With ``CLEARANCE_KEYS_REQUIRED=1`` the storage key, the audit key
  and the paging key must come from a bundle, so that replicas never each make their own;
* the bundles and the database password are then removed from the environment: the node (and
  its filter-parser children, which inherit it) never see them.
"""

from __future__ import annotations

import base64
import binascii
import io
import json
import os
import re
import sys
import urllib.error
import urllib.request
from collections.abc import Mapping, MutableMapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

from clearance.errors import ClientSideError

__all__ = ["bundle_of", "database_url", "install_bundles", "main", "prepared_environment"]

BUNDLE_PREFIX = "CLEARANCE_KEYS_BUNDLE"
# Key ids are base64url, so a key file may start with "-" (1 key in 64); never with ".".
_SEGMENT = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]{0,199}")
#: What every replica must share, so must come from the bundle when keys are required.
_REQUIRED = ("_node/storage/c4gh.sec", "paging.key")
_AUDIT_DIR = "_node/audit/"
_DB_PARTS = ("CLEARANCE_DB_HOST", "CLEARANCE_DB_PORT", "CLEARANCE_DB_NAME", "CLEARANCE_DB_USER")
_SECRET_NAMES = ("CLEARANCE_DB_PASSWORD",)
_FROM_FILES = (
    "CLEARANCE_DB_PASSWORD",
    "CLEARANCE_S3_ACCESS_KEY",
    "CLEARANCE_S3_SECRET_KEY",
    "CLEARANCE_STORAGE_PASSPHRASE",
)
_BUNDLE_MAX = 60_000  # a Secrets Manager secret holds at most 65,536 bytes


class ContainerError(ClientSideError):
    """A setting or bundle the container cannot start with; the message names no secret."""

    code = "container-setting"


def data_dir(env: Mapping[str, str]) -> Path:
    return Path(env.get("CLEARANCE_DATA", "var/data")).expanduser().resolve()


def database_url(env: Mapping[str, str]) -> str | None:
    """The database URL composed from its parts, or None when they are not given."""
    if env.get("CLEARANCE_DATABASE_URL") or not env.get("CLEARANCE_DB_HOST"):
        return None
    missing = [name for name in ("CLEARANCE_DB_NAME", "CLEARANCE_DB_USER") if not env.get(name)]
    if missing or "CLEARANCE_DB_PASSWORD" not in env:
        raise ContainerError(
            "CLEARANCE_DB_HOST needs CLEARANCE_DB_NAME, CLEARANCE_DB_USER and CLEARANCE_DB_PASSWORD"
        )
    port = env.get("CLEARANCE_DB_PORT") or "5432"
    if not port.isdigit():
        raise ContainerError("CLEARANCE_DB_PORT must be a port number")
    host = env["CLEARANCE_DB_HOST"]
    if not re.fullmatch(r"[A-Za-z0-9.-]+", host):
        raise ContainerError("CLEARANCE_DB_HOST must be a host name")
    user = quote(env["CLEARANCE_DB_USER"], safe="")
    password = quote(env["CLEARANCE_DB_PASSWORD"], safe="")
    name = quote(env["CLEARANCE_DB_NAME"], safe="")
    ssl = env.get("CLEARANCE_DB_SSLMODE", "require")
    if ssl not in ("disable", "require", "verify-ca", "verify-full"):
        raise ContainerError(
            "CLEARANCE_DB_SSLMODE must be disable, require, verify-ca or verify-full"
        )
    query = f"?sslmode={ssl}"
    root_cert = env.get("CLEARANCE_DB_SSLROOTCERT")
    if root_cert:
        query += f"&sslrootcert={quote(root_cert, safe='/')}"
    return f"postgresql+psycopg://{user}:{password}@{host}:{port}/{name}{query}"


def _bundle_files(name: str, text: str) -> dict[str, bytes]:
    try:
        bundle = json.loads(text)
    except json.JSONDecodeError:
        raise ContainerError(f"{name} is not JSON") from None
    if not isinstance(bundle, dict) or bundle.get("version") != 1:
        raise ContainerError(f'{name} must be {{"version": 1, "files": {{...}}}}')
    files = bundle.get("files")
    if not isinstance(files, dict):
        raise ContainerError(f"{name}: files must be an object")
    decoded: dict[str, bytes] = {}
    for path, content in files.items():
        parts = str(path).split("/")
        if not all(_SEGMENT.fullmatch(part) for part in parts) or ".." in parts:
            raise ContainerError(f"{name}: {str(path)[:80]!r} is not a path under keys/")
        if not isinstance(content, str):
            raise ContainerError(f"{name}: the content of {path!r} must be base64 text")
        try:
            decoded[str(path)] = base64.b64decode(content, validate=True)
        except (binascii.Error, ValueError):
            raise ContainerError(f"{name}: the content of {path!r} is not base64") from None
    return decoded


def _write_private(path: Path, content: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    temporary = path.with_name(f".bundle-{path.name}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def install_bundles(env: Mapping[str, str], keys_dir: Path, *, required: bool) -> list[str]:
    """Write every ``CLEARANCE_KEYS_BUNDLE*`` bundle's files under ``keys_dir``; their paths."""
    written: list[str] = []
    for name in sorted(n for n in env if n.startswith(BUNDLE_PREFIX)):
        for path, content in _bundle_files(name, env[name]).items():
            _write_private(keys_dir / path, content)
            written.append(path)
    for folder, _, _ in os.walk(keys_dir):
        os.chmod(folder, 0o700)
    if required:
        missing = [path for path in _REQUIRED if path not in written]
        if not any(path.startswith(_AUDIT_DIR) for path in written):
            missing.append(_AUDIT_DIR + "<kid>.pem")
        if missing:
            raise ContainerError(
                "CLEARANCE_KEYS_REQUIRED=1 but no key bundle holds " + ", ".join(missing)
                + " (docs/operations.md: the first start's key ceremony)"
            )  # fmt: skip
    return written


def bundle_of(keys_dir: Path, include: str = "", exclude: str | None = None) -> str:
    """The files under ``keys_dir`` (those whose paths start with ``include`` and not with
    ``exclude``) as a key bundle (JSON): what ``install_bundles`` reads."""
    files: dict[str, str] = {}
    for path in sorted(keys_dir.rglob("*")):
        name = path.relative_to(keys_dir).as_posix()
        if not path.is_file() or path.name.startswith(".") or not name.startswith(include):
            continue
        if exclude is not None and name.startswith(exclude):
            continue
        files[name] = base64.b64encode(path.read_bytes()).decode("ascii")
    text = json.dumps({"version": 1, "files": files}, indent=None, separators=(",", ":"))
    if len(text) > _BUNDLE_MAX:
        raise ContainerError(
            f"the key bundle has {len(text)} bytes, over the {_BUNDLE_MAX} a secret may hold: "
            "split it (keys-export --include / --exclude) or remove retired signing keys"
        )
    return text


def prepared_environment(env: Mapping[str, str], *, install: bool) -> dict[str, str]:
    """The environment ``clearance`` runs with: URL composed, bundles written and removed."""
    prepared = dict(env)
    for name in _FROM_FILES:
        path = prepared.pop(f"{name}_FILE", "")
        if path and not prepared.get(name):
            try:
                prepared[name] = Path(path).read_text(encoding="utf-8").rstrip("\r\n")
            except OSError:
                raise ContainerError(f"{name}_FILE names a file that cannot be read") from None
    env = prepared
    url = database_url(env)
    if url is not None:
        prepared["CLEARANCE_DATABASE_URL"] = url
    if install:
        keys_dir = data_dir(env) / "keys"
        keys_dir.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        keys_dir.mkdir(exist_ok=True, mode=0o700)
        install_bundles(env, keys_dir, required=env.get("CLEARANCE_KEYS_REQUIRED") == "1")
    for name in list(prepared):
        if name.startswith(BUNDLE_PREFIX) or name in _SECRET_NAMES:
            del prepared[name]
    return prepared


def healthcheck(env: Mapping[str, str], ready: bool) -> int:
    port = env.get("CLEARANCE_PORT", "8000")
    if not port.isdigit():
        return 1
    url = f"http://127.0.0.1:{port}/{'readyz' if ready else 'healthz'}"
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return 0 if response.status == 200 else 1
    except (urllib.error.URLError, OSError):
        return 1


def _migrate(env: Mapping[str, str]) -> None:
    from clearance.database import make_engine, migrate
    from clearance.settings import Settings

    settings = Settings.from_env(env)
    settings.prepare()
    engine = make_engine(settings.database_url)
    try:
        migrate(engine)
    finally:
        engine.dispose()
    print("migrations applied: the schema is at the newest revision", flush=True)


_QUEUE_SQL = (
    "SELECT state, count(*) FROM evaluations WHERE state IN ('queued', 'running') GROUP BY state"
)


def queue_metric(node_id: str, namespace: str, counts: Mapping[str, int], now_ms: int) -> str:
    """One CloudWatch embedded-metric-format line: the queue's depth, by node."""
    names = {"queued": "QueuedEvaluations", "running": "RunningEvaluations"}
    document: dict[str, object] = {
        "_aws": {
            "Timestamp": now_ms,
            "CloudWatchMetrics": [
                {
                    "Namespace": namespace,
                    "Dimensions": [["Node"]],
                    "Metrics": [{"Name": name, "Unit": "Count"} for name in names.values()],
                }
            ],
        },
        "Node": node_id,
    }
    for state, name in names.items():
        document[name] = int(counts.get(state, 0))
    return json.dumps(document, separators=(",", ":"))


def _queue_metrics(env: Mapping[str, str], rest: Sequence[str]) -> int:
    import time

    from sqlalchemy import text

    from clearance.database import make_engine
    from clearance.settings import Settings

    once = "--once" in rest
    interval = 60.0
    value = _option(rest, "--interval")
    if value is not None:
        if not value.isdigit() or not 5 <= int(value) <= 3600:
            raise ContainerError("--interval takes whole seconds, 5 to 3600")
        interval = float(value)
    settings = Settings.from_env(env)
    namespace = env.get("CLEARANCE_METRICS_NAMESPACE", "Clearance")
    engine = make_engine(settings.database_url)  # no migration: the schema is the API's business
    try:
        while True:
            try:
                with engine.connect() as connection:
                    rows = connection.execute(text(_QUEUE_SQL)).all()
            except Exception as exc:  # reported by type only; a missing metric alarms anyway
                print(f"queue-metrics: database unavailable ({type(exc).__name__})", flush=True)
                if once:
                    return 1
            else:
                counts = {str(state): int(count) for state, count in rows}
                now_ms = int(time.time() * 1000)
                print(queue_metric(settings.node_id, namespace, counts, now_ms), flush=True)
                if once:
                    return 0
            time.sleep(interval)
    finally:
        engine.dispose()


#: The storage key's bundle holds this folder; the signing bundle everything else.
STORAGE_PREFIX = "_node/storage/"


#: The ceremony's variables naming the secrets, and what each bundle is called in its output.
_TARGETS = {
    "CLEARANCE_CEREMONY_SIGNING_SECRET": "signing-keys",
    "CLEARANCE_CEREMONY_STORAGE_SECRET": "storage-key",
}


def _bundles(keys_dir: Path) -> dict[str, str]:
    return {
        "CLEARANCE_CEREMONY_SIGNING_SECRET": bundle_of(keys_dir, exclude=STORAGE_PREFIX),
        "CLEARANCE_CEREMONY_STORAGE_SECRET": bundle_of(keys_dir, include=STORAGE_PREFIX),
    }


def _files(bundle: str) -> dict[str, str]:
    files: dict[str, str] = json.loads(bundle)["files"]
    return files


def ceremony(arguments: Sequence[str], env: Mapping[str, str], secrets: Any = None) -> int:
    """Run ``clearance ARGS`` on the bundles' keys, then store the bundles that changed.

    ``secrets`` is a boto3 Secrets Manager client (made from the task's credentials when None).
    Nothing secret is printed: only which bundle was written and how many files it holds.
    """
    import subprocess

    targets = {name: env.get(name, "") for name in _TARGETS}
    if not all(targets.values()):
        raise ContainerError("a ceremony needs " + " and ".join(_TARGETS))
    prepared = prepared_environment(env, install=True)
    keys_dir = data_dir(prepared) / "keys"
    before = _bundles(keys_dir)
    if arguments:
        result = subprocess.run(["clearance", *arguments], env=prepared, check=False)
        if result.returncode != 0:
            print("ceremony: the command failed; no secret was changed", flush=True)
            return result.returncode
    _make_node_keys(prepared)
    after = _bundles(keys_dir)
    if secrets is None:
        import boto3

        region = prepared.get("AWS_REGION") or prepared.get("CLEARANCE_S3_REGION") or None
        secrets = boto3.client("secretsmanager", region_name=region)
    for name, bundle in after.items():
        if _files(bundle) == _files(before[name]):
            print(f"ceremony: the {_TARGETS[name]} bundle is unchanged", flush=True)
            continue
        secrets.put_secret_value(SecretId=targets[name], SecretString=bundle)
        count = len(_files(bundle))
        print(f"ceremony: the {_TARGETS[name]} bundle was written ({count} files)", flush=True)
    return 0


def _make_node_keys(env: Mapping[str, str]) -> None:
    """Open the node once so that its own keys exist: storage, audit and paging key."""
    from clearance.node import open_node
    from clearance.settings import Settings

    node = open_node(Settings.from_env(env))
    try:
        node.storage.public_key  # noqa: B018 (made on first use)
        node.audit.public_jwk()
    finally:
        node.engine.dispose()


def _archive_prefix(env: Mapping[str, str], node_id: str) -> str:
    prefix = env.get("CLEARANCE_AUDIT_PREFIX") or re.sub(r"[^A-Za-z0-9._-]+", "-", node_id)
    if not _SEGMENT.fullmatch(prefix):
        raise ContainerError("CLEARANCE_AUDIT_PREFIX must be one key segment ([A-Za-z0-9._-])")
    return prefix


def audit_archive(env: Mapping[str, str], s3: Any = None, now: Any = None) -> int:
    """Verify the audit log, checkpoint its head, and put it in the audit bucket (see above).

    ``s3`` is a boto3 S3 client (made from the task's credentials when None)."""
    from datetime import UTC, datetime

    from clearance.node import open_node
    from clearance.settings import Settings

    bucket = env.get("CLEARANCE_AUDIT_BUCKET", "")
    if not bucket:
        raise ContainerError("audit-archive needs CLEARANCE_AUDIT_BUCKET")
    prepared = prepared_environment(env, install=True)
    settings = Settings.from_env(prepared)
    prefix = _archive_prefix(prepared, settings.node_id)
    node = open_node(settings)
    try:
        report = node.audit.verify()
        if not report.ok:
            for problem in report.problems:
                print(str(problem), flush=True)
            print(f"audit log FAILED: {len(report.problems)} problem(s); nothing archived")
            return 1
        with node.sessions.begin() as session:
            head = node.audit.checkpoint(session)
        entries, checkpoints = io.StringIO(), io.StringIO()
        counted = (node.audit.export(entries), node.audit.export_checkpoints(checkpoints))
        public_key = json.dumps(node.audit.public_jwk(), indent=2) + "\n"
    finally:
        node.engine.dispose()
    if s3 is None:
        import boto3

        s3 = boto3.client("s3", region_name=prepared.get("AWS_REGION") or None)
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    folder = f"{prefix}/{stamp}"
    documents = (
        ("entries.jsonl", entries.getvalue(), "application/x-ndjson"),
        ("checkpoints.jsonl", checkpoints.getvalue(), "application/x-ndjson"),
        ("audit-public-key.jwk.json", public_key, "application/json"),
    )
    for name, text, content_type in documents:
        s3.put_object(
            Bucket=bucket,
            Key=f"{folder}/{name}",
            Body=text.encode("utf-8"),
            ContentType=content_type,
            ChecksumAlgorithm="SHA256",
        )
    print(
        f"audit log OK: {counted[0]} entries, {counted[1]} checkpoints, head seq {head}; "
        f"archived to s3://{bucket}/{folder}/",
        flush=True,
    )
    return 0


def _exec(arguments: Sequence[str], env: MutableMapping[str, str]) -> None:
    os.execvpe("clearance", ["clearance", *arguments], env)  # noqa: S606 (fixed program)


def _option(arguments: Sequence[str], name: str) -> str | None:
    if name not in arguments:
        return None
    position = list(arguments).index(name) + 1
    if position >= len(arguments):
        raise ContainerError(f"{name} needs a value")
    return arguments[position]


def run(argv: Sequence[str], env: Mapping[str, str]) -> int:
    command, rest = (argv[0], list(argv[1:])) if argv else ("serve", [])
    if command == "healthcheck":
        return healthcheck(env, ready="--ready" in rest)
    if command == "keys-export":
        include, exclude = _option(rest, "--include") or "", _option(rest, "--exclude")
        print(bundle_of(data_dir(env) / "keys", include, exclude))
        return 0
    if command == "queue-metrics":
        return _queue_metrics(prepared_environment(env, install=False), rest)
    if command == "ceremony":
        return ceremony(rest, env)
    if command == "audit-archive":
        return audit_archive(env)
    prepared = prepared_environment(env, install=True)
    if command == "migrate":
        _migrate(prepared)
        return 0
    if command == "serve":
        host = prepared.get("CLEARANCE_BIND", "0.0.0.0")  # noqa: S104 (a container's interface)
        port = prepared.get("CLEARANCE_PORT", "8000")
        _exec(["serve", "--host", host, "--port", port, *rest], prepared)
    elif command == "worker":
        _exec(["worker", *rest], prepared)
    else:
        _exec([command, *rest], prepared)
    return 0  # not reached: exec replaced the process


def main() -> None:
    try:
        code = run(sys.argv[1:], os.environ)
    except ContainerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        code = 2
    sys.exit(code)


if __name__ == "__main__":
    main()
