"""Two real worker processes racing over one queue, on SQLite and PostgreSQL: every job runs
exactly once; a worker SIGKILLed mid-job leaves it to be claimed again after the lease and
finished once. Also the worker's own rules: a runner's exception is ``internal``, nothing more; and
``clearance worker --once`` runs a queued job through the real pipeline to a signed release."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import select

from clearance.node import Node
from models.evaluation import JobResult, Split
from models.evaluation_queue import Job
from models.evaluation_tables import EvaluationRow
from models.worker import Worker
from tests.models.enclave_world import HOLDING, EnclaveWorld, build

ROOT = Path(__file__).resolve().parents[2]
JOBS = 40


@pytest.fixture
def world(node: Node, tmp_path: Path) -> EnclaveWorld:
    built = build(node, tmp_path / "sources")
    built.node.evaluations.set_policy(built.who["gbr-s"], HOLDING, {"budget": 1000})
    return built


def _worker(
    world: EnclaveWorld, runs: Path, name: str, lease: float, idle: float, *extra: str
) -> subprocess.Popen[bytes]:
    url = world.node.engine.url.render_as_string(hide_password=False)
    data = str(world.node.settings.data_dir)
    return subprocess.Popen(
        [sys.executable, "-m", "tests.models.worker_proc", data, url, str(runs), name,
         str(lease), str(idle), *extra],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip


def _lines(runs: Path, what: str) -> list[list[str]]:
    if not runs.exists():
        return []
    return [line.split() for line in runs.read_text().splitlines() if line.startswith(what + " ")]


def _states(world: EnclaveWorld) -> dict[str, tuple[str, int]]:
    with world.node.sessions() as session:
        rows = session.scalars(select(EvaluationRow))
        return {r.id: (r.state, r.attempts) for r in rows}


def test_two_worker_processes_run_each_job_exactly_once(
    world: EnclaveWorld, tmp_path: Path
) -> None:
    jobs = {world.submit() for _ in range(JOBS)}
    runs = tmp_path / "runs.txt"
    workers = [_worker(world, runs, name, 30, 1.0) for name in ("wA", "wB")]
    for proc in workers:
        _, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err.decode()[-2000:]
    started = Counter(line[1] for line in _lines(runs, "start"))
    done = Counter(line[1] for line in _lines(runs, "done"))
    assert set(started) == jobs and set(started.values()) == {1}
    assert done == started
    assert _states(world) == {job: ("released", 1) for job in jobs}
    by_worker = Counter(line[2] for line in _lines(runs, "done"))
    assert sum(by_worker.values()) == JOBS  # (how they shared it is load: not asserted)


def test_a_worker_killed_mid_job_leaves_it_to_be_retried_once(
    world: EnclaveWorld, tmp_path: Path
) -> None:
    job = world.submit()
    runs = tmp_path / "runs.txt"
    lease = 2.0
    doomed = _worker(world, runs, "doomed", lease, 1.0, "hang")
    deadline = time.monotonic() + 60
    while not _lines(runs, "start") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _lines(runs, "start") == [["start", job, "doomed", "1"]]
    os.kill(doomed.pid, signal.SIGKILL)
    doomed.wait(timeout=30)
    assert _states(world) == {job: ("running", 1)}  # still held: its lease has not run out
    rescuer = _worker(world, runs, "rescuer", lease, 3 * lease)
    _, err = rescuer.communicate(timeout=120)
    assert rescuer.returncode == 0, err.decode()[-2000:]
    assert _lines(runs, "done") == [["done", job, "rescuer", "2"]]
    assert _states(world) == {job: ("released", 2)}


class _Raising:
    def run(self, job: Job) -> JobResult:
        raise RuntimeError("secret pixel values 1 2 3")


def test_a_runner_exception_is_internal_and_its_text_goes_nowhere(world: EnclaveWorld) -> None:
    job = world.submit()
    worker = Worker(world.node.jobs, _Raising(), world.node.clock, "w")
    assert worker.run_once() is True
    shown = world.node.evaluations.get(world.who["nld-r"], job)
    assert (shown["state"], shown["outcome"]) == ("failed", "internal")
    assert "secret" not in repr(shown)
    assert worker.run_once() is False  # and it goes on serving: the queue is just empty


def test_the_worker_command_runs_a_queued_job_through_the_real_pipeline(
    world: EnclaveWorld,
) -> None:
    from click.testing import CliRunner

    from clearance.cli.node import cli

    job = world.submit(metrics={"metrics": ["map50"], "bootstrap_samples": 0}, split=Split.ALL)
    env = {
        "CLEARANCE_DATA": str(world.node.settings.data_dir),
        "CLEARANCE_DATABASE_URL": world.node.engine.url.render_as_string(hide_password=False),
        "CLEARANCE_ENCLAVE_ISOLATION": "relaxed",  # (strict needs network namespaces)
    }
    result = CliRunner().invoke(cli, ["worker", "--once", "--id", "w-cli"], env=env)
    assert result.exit_code == 0, result.output
    shown = world.node.evaluations.get(world.who["nld-r"], job)
    assert (shown["state"], shown["outcome"]) == ("released", None), shown
    assert set(shown["released"]["values"]) == {"map50"} and shown["has_receipt"]
    receipt = world.node.evaluations.receipt(world.who["nld-r"], job)
    assert receipt["payloadType"] == "application/vnd.in-toto+json"
