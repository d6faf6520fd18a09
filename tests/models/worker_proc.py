"""A real worker process for the race tests: the project's ``Worker`` over the node's queue, with
a runner that records every run it starts and finishes in a shared append-only file.

    python -m tests.models.worker_proc DATA_DIR DB_URL RUNS_FILE WORKER_ID LEASE_S IDLE_S [hang]

It works until it has run nothing for IDLE_S seconds; it polls every ``WORKER_POLL_S`` seconds
(environment, default 0.05) when the queue is empty. With ``hang`` it announces its first job
and then sleeps (the test SIGKILLs it there).
"""

from __future__ import annotations

import os
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

from clearance.node import open_node
from clearance.settings import Settings
from models.evaluation import JobResult, Released
from models.evaluation_queue import Job
from models.worker import Worker


class RecordingRunner:
    def __init__(self, runs: Path, worker: str, hang: bool) -> None:
        self.runs, self.worker, self.hang = runs, worker, hang
        self.last_run = time.monotonic()

    def _record(self, what: str, job: Job) -> None:
        fd = os.open(self.runs, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, f"{what} {job.id} {self.worker} {job.attempt}\n".encode())
        finally:
            os.close(fd)

    def run(self, job: Job) -> JobResult:
        self._record("start", job)
        if self.hang:
            time.sleep(600)
        time.sleep(0.005)  # a little work, so that the two workers interleave
        self._record("done", job)
        self.last_run = time.monotonic()
        return Released({"runs": 1}, metric="m", score=0.5)


def main() -> None:
    data, url, runs, worker_id, lease, idle = sys.argv[1:7]
    hang = sys.argv[7:] == ["hang"]
    node = open_node(Settings(data_dir=Path(data), database_url=url))
    node.jobs.lease = timedelta(seconds=float(lease))
    runner = RecordingRunner(Path(runs), worker_id, hang)
    worker = Worker(node.jobs, runner, node.clock, worker_id)
    stop = threading.Event()

    def on_idle() -> None:
        if time.monotonic() - runner.last_run > float(idle):
            stop.set()

    poll = float(os.environ.get("WORKER_POLL_S", "0.05"))
    worker.run_forever(stop, poll_interval=poll, on_idle=on_idle)


if __name__ == "__main__":
    main()
