"""End-to-end transfer: ``clearance pull`` against a plain HTTP download of the same bytes.

A data node (SQLite, local blob store, in a temporary folder under ``--workdir``) publishes a
synthetic cargo holding of about ``--size-gib`` GiB (16-bit dual-energy TIFFs, DICOS sidecars;
generated once with ``catalog.synth`` and cached under ``--workdir``) and a second holding of a
quarter of that size. A researcher gets a grant for each through the real workflow (request,
steward approval, signed grant). The node is served by ``clearance serve`` (one uvicorn worker) in
its own process on 127.0.0.1.

Measured, in alternating rounds (the order rotates each round), each a separate process writing
into the same output folder, dirty pages written back (``sync``) and the output deleted, untimed,
before every run:

* ``clearance pull --workers N --quiet``: grant and manifest verification, header and ranged body
  of every object, every segment authenticated and decrypted, the plaintext SHA-256 checked,
  plaintext fsynced into place (with a small resume record per object in flight; nothing is
  written twice). Its peak RSS is the pull process's own (``os.wait4`` on its pid, spawned by a
  tiny launcher).
* with ``--baseline-checkout DIR``: the same ``clearance pull`` from another checkout of the
  project (e.g. ``main``), in the same rounds against the same server, and per round the ratio of
  this checkout's wall time and client CPU to the baseline's (the ratios of one round tolerate
  background load that medians of absolute figures do not).
* the plain download: ``curl`` fetching the whole-file route of the same objects
  (``/transfer/holdings/{h}/objects/{id}``: the same Crypt4GH bytes, header and body, from the
  same server, with the same grant) to files on disk, with N parallel connections and with one;
  httpx threads in a subprocess when curl is missing. No decryption, no verification, no fsync.
* ``clearance pull --help``: the client's start-up alone (interpreter, imports), time and RSS.
* a bare static file server over the same *plaintext* files (the published source folder):
  uvicorn with Starlette's ``StaticFiles`` and nothing else, one worker, in its own process,
  fetched with curl and N connections (``static-n``; its bytes are plaintext bytes), and pull's
  plaintext rate set against it per round (the issue's floor is 0.8x). nginx is not started by
  this script.
* with ``--kill-resume``, after the rounds: one pull killed with SIGKILL half-way (half the median
  pull time) and run again to the end, both under ``tests.helpers.pull_probe`` (which logs every
  body chunk received before the client sees it); the body bytes received over both runs minus
  the holding's body bytes are the bytes fetched twice, set against the issue's bound of one
  segment (65,564 bytes; the pull reads one segment at a time) per object that was under way
  when the kill came (those with a plaintext prefix).

* with ``--s3-env FILE`` (a ``scripts/services.sh`` environment file): the node's blob store is
  that S3 bucket (pull's bodies come as 302s to presigned URLs; curl's whole-file downloads
  stream through the node), and boto3's transfer manager (what ``aws s3 cp --recursive`` is
  built on) fetches the same encrypted bodies straight from the bucket with N threads, in its own
  process, in every round; pull's body rate is set against it per round (the issue's floor is
  0.8x). What this run put in the bucket is deleted at the end.

The report also gives pull's per-core figure: client CPU per GiB, cores kept busy (CPU / wall)
and plaintext MB verified and written per client CPU-second.

Rates are 10^6 bytes per second of wall time of the client process (start-up included): the
ciphertext body bytes for pull (its plaintext rate is also shown), the bytes received for the
plain download. Medians over ``--runs`` rounds. Floors (exit 1 below them): pull at least half the
best plain rate of the same run; client peak RSS under 200 MB, for the holding and its quarter.

``--profile`` then pulls the holding twice more in a profiling process (benchmarks/pull_profile.py:
phase timers, then a per-thread cProfile). The report is also written to ``--report``.

Run: .venv/bin/python benchmarks/transfer_pull.py [--size-gib 2] [--runs 3] [--workers 4]
         [--profile] [--kill-resume] [--baseline-checkout ../main] [--s3-env services.env]

Without ``.venv/bin/clearance`` in this checkout (a git worktree), the client and server run as
``python -c 'from clearance.cli.node import main; main()'`` with ``PYTHONPATH`` set to the
checkout, so its code is what runs whichever installation the interpreter has.
"""

from __future__ import annotations

import argparse
import ast
import base64
import json
import os
import shlex
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from access import Conditions, Level, Mode, NewRequest, PurposeCode, Role
from catalog.synth import generate_holding
from clearance.node import open_node
from clearance.publishing.folder import publish_folder
from clearance.settings import S3Settings, Settings
from transfer.crypt4gh import generate_keypair, public_key_bytes
from transfer.objects import body_key

GIB = 1 << 30
SCAN_BYTES = 10_800_000  # mean bytes published per synthetic cargo scan (all its assets)
PASSPHRASE = "benchmark-passphrase"
OWNER = "NLD"
RSS_FLOOR_MB = 200.0
RATIO_FLOOR = 0.5
CLI = ROOT / ".venv" / "bin" / "clearance"
_MAIN = "import sys; from clearance.cli.node import main; sys.argv[0] = 'clearance'; main()"


def clearance_command(checkout: Path | None = None) -> tuple[list[str], dict[str, str]]:
    """How to run the ``clearance`` command of ``checkout`` (default: this one), and the
    environment additions it needs."""
    checkout = (checkout or ROOT).resolve()
    own = checkout / ".venv" / "bin" / "clearance"
    path = {"PYTHONPATH": str(checkout)}  # also over a PYTHONPATH the driver runs with
    if own.exists():
        return [str(own)], path
    return [sys.executable, "-P", "-c", _MAIN], path  # -P: not the working folder's code first


# --- the data node --------------------------------------------------------------------------------


def source_folder(cache: Path, size_gib: float, seed: int) -> Path:
    """The synthetic cargo holding of about ``size_gib`` GiB, generated once and cached."""
    count = max(1, round(size_gib * GIB / SCAN_BYTES))
    folder = cache / f"cargo-n{count}-s{seed}"
    if not (folder / "annotations.json").exists():
        shutil.rmtree(folder, ignore_errors=True)
        started = time.perf_counter()
        summary = generate_holding(folder, kind="cargo", count=count, seed=seed, admin=OWNER)
        print(
            f"generated {folder.name}: {summary.bytes_written / GIB:.2f} GiB "
            f"in {time.perf_counter() - started:.0f} s",
            file=sys.stderr,
        )
    return folder


@dataclass(frozen=True)
class Holding:
    id: str
    grant_file: Path
    token: str
    objects: tuple[str, ...]
    body_bytes: int
    plain_bytes: int


@dataclass(frozen=True)
class DataNode:
    data_dir: Path
    key_file: Path
    holdings: dict[str, Holding] = field(default_factory=dict)


def build_node(data_dir: Path, folders: dict[str, Path], s3: S3Settings | None = None) -> DataNode:
    """A node with ``folders`` published by NLD and a GBR researcher's grant for each; its blob
    store is ``s3`` when given, else the local folder."""
    node = open_node(Settings(data_dir=data_dir, database_url=f"sqlite:///{data_dir}/c.db", s3=s3))
    directory = node.directory
    for code in (OWNER, "GBR"):
        directory.add_administration(code, f"{code} customs")
    directory.add_user("steward", admin=OWNER, roles=[Role.STEWARD], clearance=Level.R3)
    directory.add_user("res", admin="GBR", roles=[Role.RESEARCHER], clearance=Level.R2)
    researcher = directory.user("res").principal()
    steward = directory.user("steward").principal()
    key_file = data_dir / "res.sec"
    key = generate_keypair(key_file, data_dir / "res.pub", PASSPHRASE)
    node.recipient_keys.register(researcher, base64.b64encode(public_key_bytes(key)).decode())
    holdings = {}
    for holding_id, folder in folders.items():
        started = time.perf_counter()
        result = publish_folder(
            node, folder, admin=OWNER, holding_id=holding_id, title=f"{holding_id} cargo",
            description="", level="R1", marking="OFFICIAL", rel_to="ALL", handling="download",
            discovery="partners",
        )  # fmt: skip
        print(
            f"published {holding_id}: {result.assets} assets, {result.bytes / GIB:.2f} GiB "
            f"in {time.perf_counter() - started:.0f} s",
            file=sys.stderr,
        )
        view = node.requests.create(
            researcher,
            NewRequest(
                holding_id=holding_id,
                purpose="transfer benchmark",
                purpose_code=PurposeCode.MODEL_TRAINING,
                mode=Mode.DOWNLOAD,
                duration_days=30,
            ),
        )
        approved = node.requests.approve(steward, view.id, Conditions(), "bench")
        assert approved.grant is not None, approved
        token = node.grants.grant_token(researcher, approved.grant)
        grant_file = data_dir / f"{holding_id}.grant"
        grant_file.write_text(token + "\n", encoding="ascii")
        stored = node.manifests.get(holding_id, result.version)
        assert stored is not None
        objects = stored.manifest.objects
        holdings[holding_id] = Holding(
            holding_id,
            grant_file,
            token,
            tuple(o.id for o in objects),
            sum(o.body_size for o in objects),
            sum(o.plaintext_size for o in objects),
        )
    node.engine.dispose()
    return DataNode(data_dir, key_file, holdings)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class Server:
    url: str
    pid: int

    def cpu_seconds(self) -> float:
        """User + system CPU time of the server process so far."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def s3_environment(s3: S3Settings | None) -> dict[str, str]:
    """The node's environment for blob store ``s3`` (none for the local store)."""
    if s3 is None:
        return {}
    return {
        "CLEARANCE_S3_BUCKET": s3.bucket,
        "CLEARANCE_S3_ENDPOINT": s3.endpoint_url or "",
        "CLEARANCE_S3_REGION": s3.region,
        "CLEARANCE_S3_ACCESS_KEY": s3.access_key,
        "CLEARANCE_S3_SECRET_KEY": s3.secret_key,
        "CLEARANCE_S3_PREFIX": s3.prefix,
    }


@contextmanager
def served(data_dir: Path, log: Path, s3: S3Settings | None = None) -> Iterator[Server]:
    """``clearance serve`` (one uvicorn worker) on the node, in its own process."""
    port = free_port()
    env = {
        **os.environ,
        "CLEARANCE_DATA": str(data_dir),
        "CLEARANCE_DATABASE_URL": f"sqlite:///{data_dir}/c.db",
        # One grant serves every client of every round (thousands of requests a minute); the
        # per-grant bound (transfer.throttle) is not what is measured here.
        "CLEARANCE_GRANT_RATE": "1000000/minute",
        **s3_environment(s3),
    }
    command, extra = clearance_command()
    env.update(extra)
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [*command, "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            if proc.poll() is not None:
                raise SystemExit(f"the server exited ({proc.returncode}); see {log}")
            try:
                httpx.get(f"{url}/conformance", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        yield Server(url, proc.pid)
    finally:
        proc.terminate()
        proc.wait(10)


# --- the measured runs ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    seconds: float
    bytes: int
    client_cpu_s: float
    server_cpu_s: float
    max_rss: int  # bytes, the client process's own peak


# Runs one command and writes (exit code, wall s, CPU s, ru_maxrss KiB) of it, from wait4 on its
# pid. Linux folds the RSS of the process that spawned a program into the program's ru_maxrss
# (the memory it replaced at exec), so this tiny launcher, not the driver (hundreds of MB after
# publishing), spawns the measured client: its figure is the client's own peak, or the launcher's
# ~10 MB if that were larger.
_LAUNCHER = """import os, sys, time
started = time.perf_counter()
pid = os.posix_spawn(sys.argv[2], sys.argv[2:], os.environ)
_, status, usage = os.wait4(pid, 0)
seconds = time.perf_counter() - started
with open(sys.argv[1], "w") as f:
    f.write(repr((os.waitstatus_to_exitcode(status), seconds,
                  usage.ru_utime + usage.ru_stime, usage.ru_maxrss)))
"""


def _child(cmd: list[str], env: dict[str, str] | None, server: Server, log: Path) -> Run:
    """Run ``cmd`` to its end: its wall time, its own rusage, and the server's CPU meanwhile."""
    os.sync()
    server_before = server.cpu_seconds()
    result = log.with_name("rusage.txt")
    with log.open("ab") as out:
        out.write(f"\n$ {shlex.join(cmd)}\n".encode())
        out.flush()
        subprocess.run(
            [sys.executable, "-S", "-c", _LAUNCHER, str(result), *cmd],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            check=True,
        )
    code, seconds, cpu, max_rss_kib = ast.literal_eval(result.read_text())
    result.unlink()
    if code != 0:
        raise SystemExit(f"{cmd[0]} failed ({code}); see {log}")
    return Run(seconds, 0, cpu, server.cpu_seconds() - server_before, max_rss_kib * 1024)


def pull_command(
    node: DataNode, holding: Holding, url: str, out: Path, workers: int, cli: list[str]
) -> list[str]:
    return [
        *cli, "pull", str(holding.grant_file), "--url", url, "--key", str(node.key_file),
        "--out", str(out), "--workers", str(workers), "--quiet",
    ]  # fmt: skip


def run_pull(
    node: DataNode,
    holding: Holding,
    server: Server,
    out: Path,
    workers: int,
    log: Path,
    checkout: Path | None = None,
) -> Run:
    shutil.rmtree(out, ignore_errors=True)
    cli, extra = clearance_command(checkout)
    env = {**os.environ, "C4GH_PASSPHRASE": PASSPHRASE, **extra}
    run = _child(pull_command(node, holding, server.url, out, workers, cli), env, server, log)
    leftovers = [p for p in (out / holding.id).rglob(".*") if p.is_file()]
    if leftovers or not (out / "catalog.json").exists():  # exit 0: every object verified
        raise SystemExit(f"pull left {leftovers[:3]} or no catalogue; see {log}")
    shutil.rmtree(out)
    return Run(run.seconds, holding.body_bytes, run.client_cpu_s, run.server_cpu_s, run.max_rss)


@dataclass(frozen=True)
class KillResume:
    killed_after_s: float
    under_way: int
    received: int  # body bytes the client received over both runs
    body_bytes: int

    @property
    def refetched(self) -> int:
        return self.received - self.body_bytes

    @property
    def bound(self) -> int:
        return self.under_way * 65_564  # one Crypt4GH segment each


def _probe_received(log: Path) -> int:
    """Body bytes logged by tests/helpers/pull_probe.py (every chunk read off a ranged answer,
    logged before the client sees it, so the log survives kill -9 and never under-counts)."""
    if not log.exists():
        return 0
    return sum(int(line.rsplit(" ", 1)[1]) for line in log.read_text().splitlines() if line)


def kill_and_resume(
    node: DataNode, holding: Holding, server: Server, out: Path, workers: int, after_s: float
) -> KillResume:
    """A pull SIGKILLed ``after_s`` seconds after it started, then run again to the end, both
    under ``tests.helpers.pull_probe`` (which counts the body bytes received)."""
    import signal

    shutil.rmtree(out, ignore_errors=True)
    _, extra = clearance_command()
    env = {**os.environ, "C4GH_PASSPHRASE": PASSPHRASE, **extra}
    args = pull_command(node, holding, server.url, out, workers, [])
    logs = [out.parent / f"{out.name}-run{i}.log" for i in (1, 2)]
    for log in logs:
        log.unlink(missing_ok=True)
    probe = [sys.executable, "-m", "tests.helpers.pull_probe"]
    first = subprocess.Popen(
        [*probe, str(logs[0]), *args], cwd=ROOT, env=env, stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    assert first.stdin is not None
    first.stdin.write(b"go\n")
    first.stdin.close()
    time.sleep(after_s)
    if first.poll() is not None:
        raise SystemExit("the pull finished before it could be killed: use a larger holding")
    os.kill(first.pid, signal.SIGKILL)
    first.wait()
    under_way = sum(1 for _ in out.rglob(".*.partial"))  # every object a worker had begun
    subprocess.run(
        [*probe, str(logs[1]), *args], cwd=ROOT, env=env, input=b"go\n", check=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    received = sum(_probe_received(log) for log in logs)
    shutil.rmtree(out, ignore_errors=True)
    for log in logs:
        log.unlink(missing_ok=True)
    return KillResume(after_s, under_way, received, holding.body_bytes)


_STATIC_APP = """import os
from starlette.staticfiles import StaticFiles
app = StaticFiles(directory=os.environ["BENCH_STATIC_DIR"])
"""


@contextmanager
def static_server(folder: Path, workdir: Path, log: Path) -> Iterator[Server]:
    """uvicorn + Starlette StaticFiles over ``folder``, one worker, in its own process."""
    (workdir / "bench_static_app.py").write_text(_STATIC_APP, encoding="utf-8")
    port = free_port()
    env = {**os.environ, "BENCH_STATIC_DIR": str(folder)}
    command = [
        sys.executable, "-m", "uvicorn", "bench_static_app:app", "--app-dir", str(workdir),
        "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning", "--no-access-log",
    ]  # fmt: skip
    with log.open("wb") as out:
        proc = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            if proc.poll() is not None:
                raise SystemExit(f"the static server exited ({proc.returncode}); see {log}")
            try:
                httpx.get(f"{url}/annotations.json", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        yield Server(url, proc.pid)
    finally:
        proc.terminate()
        proc.wait(10)


def run_static(folder: Path, server: Server, out: Path, connections: int, log: Path) -> Run:
    """curl fetching every file of ``folder`` from the static server, to disk."""
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    config = out.parent / f"{out.name}.config"
    lines = ["silent", "show-error", "fail"]
    for i, path in enumerate(files):
        lines += [f'url = "{server.url}/{path.relative_to(folder).as_posix()}"',
                  f'output = "{out / str(i)}"']  # fmt: skip
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")
    run = _child(plain_command(config, connections), None, server, log)
    received = sum(p.stat().st_size for p in out.iterdir())
    if received != sum(p.stat().st_size for p in files):
        raise SystemExit(f"static download got {received} bytes; see {log}")
    shutil.rmtree(out)
    config.unlink()
    return Run(run.seconds, received, run.client_cpu_s, run.server_cpu_s, run.max_rss)


def object_url(url: str, holding: Holding, object_id: str) -> str:
    return f"{url}/transfer/holdings/{holding.id}/objects/{object_id}"


def plain_command(config: Path, connections: int) -> list[str]:
    curl = shutil.which("curl")
    if curl is None:
        return [sys.executable, str(Path(__file__).resolve()), "--fetch", str(config)]
    parallel = ["--parallel", "--parallel-max", str(connections)] if connections > 1 else []
    return [curl, *parallel, "--config", str(config)]


def _write_config(holding: Holding, url: str, out: Path, connections: int) -> Path:
    """The download list: curl's config format, or JSON for the httpx fallback."""
    config = out.parent / f"{out.name}.config"
    targets = [(object_url(url, holding, i), str(out / f"{i}.c4gh")) for i in holding.objects]
    if shutil.which("curl") is None:
        spec = {"token": holding.token, "connections": connections, "targets": targets}
        config.write_text(json.dumps(spec), encoding="utf-8")
        return config
    lines = ["silent", "show-error", "fail", f'header = "Authorization: Bearer {holding.token}"']
    for target, path in targets:
        lines += [f'url = "{target}"', f'output = "{path}"']
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")
    config.chmod(0o600)
    return config


def run_plain(holding: Holding, server: Server, out: Path, connections: int, log: Path) -> Run:
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    config = _write_config(holding, server.url, out, connections)
    run = _child(plain_command(config, connections), None, server, log)
    files = list(out.iterdir())
    received = sum(p.stat().st_size for p in files)
    if len(files) != len(holding.objects) or received <= holding.body_bytes:
        raise SystemExit(f"plain download got {len(files)} files, {received} bytes; see {log}")
    shutil.rmtree(out)
    config.unlink()
    return Run(run.seconds, received, run.client_cpu_s, run.server_cpu_s, run.max_rss)


def run_s3_direct(
    holding: Holding, s3: S3Settings, server: Server, out: Path, connections: int, log: Path
) -> Run:
    """The same encrypted bodies straight from the bucket with boto3's transfer manager (what
    ``aws s3 cp --recursive`` runs on), ``connections`` threads, files on disk, own process."""
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    root = f"{s3.prefix}/" if s3.prefix else ""
    config = out.with_name(out.name + ".json")
    config.write_text(
        json.dumps(
            {
                "endpoint": s3.endpoint_url,
                "region": s3.region,
                "bucket": s3.bucket,
                "connections": connections,
                "targets": [
                    (root + body_key(object_id), str(out / f"{n:05d}.c4gh"))
                    for n, object_id in enumerate(holding.objects)
                ],
            }
        ),
        encoding="utf-8",
    )
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": s3.access_key,
        "AWS_SECRET_ACCESS_KEY": s3.secret_key,
    }
    run = _child([sys.executable, str(Path(__file__)), "--s3-fetch", str(config)], env, server, log)
    received = sum(p.stat().st_size for p in out.iterdir())
    if received != holding.body_bytes:
        raise SystemExit(f"boto3 got {received} bytes, not {holding.body_bytes}; see {log}")
    shutil.rmtree(out)
    config.unlink()
    return Run(run.seconds, received, run.client_cpu_s, run.server_cpu_s, run.max_rss)


def s3_fetch_main(config: Path) -> None:
    """``--s3-fetch``: boto3's TransferManager downloading every target, then waiting for all."""
    import boto3
    from boto3.s3.transfer import TransferConfig
    from botocore.config import Config
    from s3transfer.manager import TransferManager

    spec = json.loads(config.read_text(encoding="utf-8"))
    n = spec["connections"]
    client = boto3.client(
        "s3",
        endpoint_url=spec["endpoint"],
        region_name=spec["region"],
        config=Config(max_pool_connections=n),
    )
    with TransferManager(client, TransferConfig(max_concurrency=n)) as manager:
        futures = [manager.download(spec["bucket"], key, path) for key, path in spec["targets"]]
        for future in futures:
            future.result()


def s3_settings(env_file: Path) -> S3Settings:
    """The bucket of a ``scripts/services.sh`` environment file (``CLEARANCE_TEST_S3_*``), under
    a fresh key prefix of this run."""
    values = dict(line.split("=", 1) for line in env_file.read_text().splitlines() if "=" in line)
    return S3Settings(
        bucket=values["CLEARANCE_TEST_S3_BUCKET"],
        endpoint_url=values["CLEARANCE_TEST_S3_ENDPOINT"] or None,
        region=values.get("CLEARANCE_TEST_S3_REGION") or "us-east-1",
        access_key=values["CLEARANCE_TEST_S3_ACCESS_KEY"],
        secret_key=values["CLEARANCE_TEST_S3_SECRET_KEY"],
        prefix=f"bench-transfer-{os.getpid()}-{int(time.time())}",
    )


def drop_s3_prefix(s3: S3Settings) -> None:
    """Delete what this run published to the bucket."""
    import boto3

    client = boto3.client(
        "s3",
        endpoint_url=s3.endpoint_url,
        region_name=s3.region,
        aws_access_key_id=s3.access_key,
        aws_secret_access_key=s3.secret_key,
    )
    pages = client.get_paginator("list_objects_v2").paginate(
        Bucket=s3.bucket, Prefix=f"{s3.prefix}/"
    )
    for page in pages:
        keys = [{"Key": o["Key"]} for o in page.get("Contents", [])]
        if keys:
            client.delete_objects(Bucket=s3.bucket, Delete={"Objects": keys})


def fetch_main(config: Path) -> None:
    """The plain download without curl: httpx, one thread per connection, files on disk."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    spec = json.loads(config.read_text(encoding="utf-8"))
    local = threading.local()

    def fetch(target: tuple[str, str]) -> None:
        if not hasattr(local, "client"):
            local.client = httpx.Client(headers={"Authorization": f"Bearer {spec['token']}"})
        with local.client.stream("GET", target[0]) as r, open(target[1], "wb") as f:
            r.raise_for_status()
            for chunk in r.iter_raw(1 << 20):
                f.write(chunk)

    with ThreadPoolExecutor(spec["connections"]) as pool:
        list(pool.map(fetch, spec["targets"]))


# --- the report -----------------------------------------------------------------------------------


def _mb_s(run: Run) -> float:
    return run.bytes / 1e6 / run.seconds


def _median(runs: list[Run], key: Callable[[Run], float]) -> float:
    return statistics.median(key(r) for r in runs)


def report(
    args: argparse.Namespace,
    node: DataNode,
    runs: dict[str, list[Run]],
    plain_client: str,
    killed: KillResume | None = None,
) -> tuple[str, bool]:
    full, quarter = node.holdings["NLD-bench-full"], node.holdings["NLD-bench-quarter"]
    n = args.workers
    best_plain = max(_median(runs[name], _mb_s) for name in ("plain-n", "plain-1"))
    ratio = _median(runs["pull"], _mb_s) / best_plain
    rss = {name: max(r.max_rss for r in runs[name]) / 1e6 for name in ("pull", "pull-quarter")}
    pull_secs = _median(runs["pull"], lambda r: r.seconds)
    baseline = runs.get("pull-baseline", [])
    lines = [
        f"### End-to-end transfer over loopback: {full.body_bytes / GIB:.2f} GiB holding "
        f"({len(full.objects)} objects), median of {args.runs} alternating runs",
        "",
        "| client (own process) | bytes | runs (s) | median MB/s | vs best plain "
        "| client CPU s | server CPU s | client peak RSS MB |",
        "|---|---:|---|---:|---:|---:|---:|---:|",
    ]
    quarter_label = f"¼-size holding ({len(quarter.objects)} objects)"
    rows = [
        ("pull", f"`clearance pull --workers {n}` (ciphertext body)"),
        ("plain-n", f"plain download, {plain_client}, {n} connections"),
        ("plain-1", f"plain download, {plain_client}, 1 connection"),
        ("pull-baseline", f"`clearance pull --workers {n}` of {args.baseline_checkout}"),
        ("s3-direct", f"boto3 TransferManager, {n} threads, straight from the bucket (bodies)"),
        ("static-n", f"bare uvicorn StaticFiles, plaintext files, curl, {n} connections"),
        ("pull-quarter", f"`clearance pull --workers {n}`, {quarter_label}"),
        ("startup", "`clearance pull --help` (start-up only)"),
    ]
    for name, label in rows:
        done = runs.get(name, [])
        if not done:
            continue
        rate = _median(done, _mb_s)
        compared = ("pull", "plain-n", "plain-1", "pull-baseline", "s3-direct")
        versus = f"{rate / best_plain:.2f}" if name in compared else "—"
        size, speed = (f"{done[0].bytes / 1e6:,.0f} MB", f"{rate:.0f}") if rate else ("—", "—")
        lines.append(
            f"| {label} | {size} | {', '.join(f'{r.seconds:.1f}' for r in done)} | {speed} "
            f"| {versus} "
            f"| {_median(done, lambda r: r.client_cpu_s):.1f} "
            f"| {_median(done, lambda r: r.server_cpu_s):.1f} "
            f"| {max(r.max_rss for r in done) / 1e6:.0f} |"
        )
    lines += [
        "",
        f"Pull verified and decrypted {full.plain_bytes / 1e6:,.0f} MB of plaintext: "
        f"{full.plain_bytes / 1e6 / pull_secs:.0f} MB/s (median wall {pull_secs:.1f} s). "
        "MB = 10^6 bytes; wall time of the client process, start-up included.",
        f"Floors: pull ≥ {RATIO_FLOOR:.0%} of the best plain rate: {ratio:.2f} "
        f"({'ok' if ratio >= RATIO_FLOOR else 'BELOW'}); client peak RSS < {RSS_FLOOR_MB:.0f} MB: "
        f"{rss['pull']:.0f} MB full, {rss['pull-quarter']:.0f} MB ¼ "
        f"({'ok' if max(rss.values()) < RSS_FLOOR_MB else 'BELOW'}).",
        *_per_core_lines(runs["pull"], full),
        *_baseline_lines(runs["pull"], baseline, full),
        *_static_lines(runs["pull"], runs.get("static-n", []), full),
        *_s3_lines(runs["pull"], runs.get("s3-direct", [])),
        *_kill_lines(killed),
        "",
        "Command line:",
        "",
        f"    {shlex.join([Path(sys.executable).name, *sys.argv])}",
        "",
        "Measured client commands (curl's config: one url/output pair per object, and the "
        "`Authorization: Bearer <grant>` header):",
        "",
        "    C4GH_PASSPHRASE=… clearance pull GRANT_FILE --url http://127.0.0.1:PORT "
        f"--key KEY_FILE --out OUT --workers {n} --quiet",
        "    " + shlex.join(["curl", *plain_command(Path("CONFIG"), n)[1:]]),
        "    " + shlex.join(["curl", *plain_command(Path("CONFIG"), 1)[1:]]),
        "",
        "Server: `clearance serve --host 127.0.0.1 --port PORT` (one uvicorn worker), SQLite, "
        f"{_STORES[args.s3_env is not None]}. "
        "Every client writes to disk in the same folder. "
        f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs.",
    ]
    passed = ratio >= RATIO_FLOOR and max(rss.values()) < RSS_FLOOR_MB
    return "\n".join(lines), passed


_STORES = {
    False: "local blob store",
    True: "S3 blob store (SeaweedFS on loopback; each body a 302 to a presigned URL)",
}


def _per_core_lines(pulls: list[Run], full: Holding) -> list[str]:
    """What one core of the client does: CPU per GiB, cores kept busy, MB per CPU-second."""
    cpu = _median(pulls, lambda r: r.client_cpu_s)
    wall = _median(pulls, lambda r: r.seconds)
    return [
        "",
        f"Pull's client CPU: {cpu / (full.body_bytes / GIB):.2f} s per GiB of body; "
        f"{cpu / wall:.2f} cores busy on average (CPU / wall); per core "
        f"{full.plain_bytes / 1e6 / cpu:.0f} MB of plaintext verified and written per CPU-second.",
    ]


def _s3_lines(pulls: list[Run], direct: list[Run]) -> list[str]:
    """Per round, pull's body rate against boto3's straight from the bucket (same round)."""
    if not direct:
        return []
    ratios = [
        (p.bytes / p.seconds) / (d.bytes / d.seconds) for p, d in zip(pulls, direct, strict=True)
    ]
    return [
        "",
        "Pull against boto3's transfer manager straight from the same bucket (body bytes per "
        f"second), per round: {', '.join(f'{x:.2f}' for x in ratios)} "
        f"(median {statistics.median(ratios):.2f}; the issue's floor 0.8).",
    ]


def _static_lines(pulls: list[Run], static: list[Run], full: Holding) -> list[str]:
    """Per round, pull's plaintext rate against the bare static server's (same round)."""
    if not static:
        return []
    ratios = [
        (full.plain_bytes / p.seconds) / (s.bytes / s.seconds)
        for p, s in zip(pulls, static, strict=True)
    ]
    return [
        "",
        "Pull (plaintext bytes per second) against the bare uvicorn StaticFiles server over the "
        f"same plaintext, per round: {', '.join(f'{x:.2f}' for x in ratios)} "
        f"(median {statistics.median(ratios):.2f}; the issue's floor 0.8).",
    ]


def _kill_lines(killed: KillResume | None) -> list[str]:
    if killed is None:
        return []
    verdict = "ok" if killed.refetched <= killed.bound else "ABOVE"
    return [
        "",
        f"Kill -9 after {killed.killed_after_s:.1f} s and resume: the client received "
        f"{killed.received:,} body bytes over both runs for {killed.body_bytes:,} bytes of body, "
        f"so {killed.refetched:,} bytes were fetched twice; {killed.under_way} objects were under "
        f"way at the kill, bound {killed.bound:,} bytes (one segment each): "
        f"{verdict}.",
    ]


def _baseline_lines(pulls: list[Run], baseline: list[Run], full: Holding) -> list[str]:
    """Per round, this checkout's pull against the baseline checkout's (same round, same
    server): wall-time and client-CPU ratios, and client CPU seconds per GiB of body."""
    if not baseline:
        return []
    speed = [b.seconds / p.seconds for p, b in zip(pulls, baseline, strict=True)]
    cpu = [p.client_cpu_s / b.client_cpu_s for p, b in zip(pulls, baseline, strict=True)]
    gib = full.body_bytes / GIB
    return [
        "",
        "This checkout against the baseline checkout, per round (same round, same server): "
        f"speed ratio (baseline wall / this wall) {', '.join(f'{x:.2f}' for x in speed)} "
        f"(median {statistics.median(speed):.2f}); client CPU ratio (this / baseline) "
        f"{', '.join(f'{x:.2f}' for x in cpu)} (median {statistics.median(cpu):.2f}); "
        f"client CPU s per GiB: this {_median(pulls, lambda r: r.client_cpu_s) / gib:.2f}, "
        f"baseline {_median(baseline, lambda r: r.client_cpu_s) / gib:.2f} (medians).",
    ]


# --- main -----------------------------------------------------------------------------------------


def _profile(node: DataNode, holding: Holding, server: Server, out: Path, workers: int) -> str:
    """One more pull of ``holding``, in a profiling process (benchmarks/pull_profile.py)."""
    command = [
        sys.executable, str(Path(__file__).with_name("pull_profile.py")), str(holding.grant_file),
        "--url", server.url, "--key", str(node.key_file), "--out", str(out),
        "--workers", str(workers), "--cprofile",
    ]  # fmt: skip
    env = {**os.environ, "C4GH_PASSPHRASE": PASSPHRASE}
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    return "\n" + done.stdout


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-gib", type=float, default=2.0, help="holding size (default 2)")
    parser.add_argument("--runs", type=int, default=3, help="alternating rounds (default 3)")
    parser.add_argument("--workers", type=int, default=4, help="pull workers = plain connections")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workdir", type=Path, default=ROOT / "var" / "bench-transfer")
    parser.add_argument("--report", type=Path, default=ROOT / "var" / "bench-transfer.txt")
    parser.add_argument(
        "--profile", action="store_true", help="then profile one pull (benchmarks/pull_profile.py)"
    )
    parser.add_argument(
        "--kill-resume",
        action="store_true",
        help="then kill -9 one pull half-way, resume it, report the bytes fetched twice",
    )
    parser.add_argument(
        "--baseline-checkout",
        type=Path,
        help="also pull with the clearance of this checkout, in the same rounds, and compare",
    )
    parser.add_argument(
        "--s3-env",
        type=Path,
        help="serve from this S3 bucket (a scripts/services.sh services.env) and compare with "
        "boto3's transfer manager straight from the bucket",
    )
    parser.add_argument("--fetch", type=Path, help=argparse.SUPPRESS)  # the httpx fallback
    parser.add_argument("--s3-fetch", type=Path, help=argparse.SUPPRESS)  # boto3, own process
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    if args.fetch is not None:
        fetch_main(args.fetch)
        return
    if args.s3_fetch is not None:
        s3_fetch_main(args.s3_fetch)
        return
    args.workdir = args.workdir.resolve()
    args.workdir.mkdir(parents=True, exist_ok=True)
    folders = {
        "NLD-bench-full": source_folder(args.workdir, args.size_gib, args.seed),
        "NLD-bench-quarter": source_folder(args.workdir, args.size_gib / 4, args.seed + 1),
    }
    plain_client = "curl" if shutil.which("curl") else "httpx"
    s3 = s3_settings(args.s3_env) if args.s3_env is not None else None
    with tempfile.TemporaryDirectory(dir=args.workdir, prefix="node-") as tmp:
        node = build_node(Path(tmp), folders, s3)
        full, quarter = node.holdings["NLD-bench-full"], node.holdings["NLD-bench-quarter"]
        out = args.workdir / "out"
        log = args.workdir / "clients.log"
        log.write_bytes(b"")
        n = args.workers
        command, extra = clearance_command()
        startup = (command, {**os.environ, **extra} if extra else None)
        jobs: list[tuple[str, Callable[[Server], Run]]] = [
            ("pull", lambda s: run_pull(node, full, s, out / "pull", n, log)),
            ("plain-n", lambda s: run_plain(full, s, out / "plain-n", n, log)),
            ("plain-1", lambda s: run_plain(full, s, out / "plain-1", 1, log)),
            ("pull-quarter", lambda s: run_pull(node, quarter, s, out / "pull-q", n, log)),
            ("startup", lambda s: _child([*startup[0], "pull", "--help"], startup[1], s, log)),
        ]
        if s3 is not None:
            jobs.insert(1, ("s3-direct", lambda s: run_s3_direct(full, s3, s, out / "s3", n, log)))
        if args.baseline_checkout is not None:
            base = args.baseline_checkout.resolve()
            jobs.insert(
                1, ("pull-baseline", lambda s: run_pull(node, full, s, out / "base", n, log, base))
            )
        runs: dict[str, list[Run]] = {name: [] for name, _ in jobs}
        runs["static-n"] = []
        static_folder = folders["NLD-bench-full"]
        with (
            served(node.data_dir, args.workdir / "server.log", s3) as server,
            static_server(static_folder, args.workdir, args.workdir / "static.log") as static,
        ):
            jobs.append(
                ("static-n", lambda s: run_static(static_folder, static, out / "static", n, log))
            )
            for round_ in range(args.runs):
                for name, job in jobs[round_ % len(jobs) :] + jobs[: round_ % len(jobs)]:
                    run = job(server)
                    runs[name].append(run)
                    print(
                        f"round {round_ + 1} {name}: {run.seconds:.1f} s, {_mb_s(run):.0f} MB/s, "
                        f"RSS {run.max_rss / 1e6:.0f} MB",
                        file=sys.stderr,
                    )
            profile = _profile(node, full, server, out / "profile", n) if args.profile else ""
            killed = None
            if args.kill_resume:
                half = _median(runs["pull"], lambda r: r.seconds) / 2
                killed = kill_and_resume(node, full, server, out / "killed", n, half)
        shutil.rmtree(out, ignore_errors=True)
    if s3 is not None:
        drop_s3_prefix(s3)
    text, passed = report(args, node, runs, plain_client, killed)
    text += profile
    print(text)
    args.report.write_text(text + "\n", encoding="utf-8")
    print(f"\n(written to {args.report})", file=sys.stderr)
    if not passed:
        sys.exit(1)


if __name__ == "__main__":
    main()
