"""An enclave worker: claims jobs from the database queue, runs each through a ``JobRunner``,
records the result. Any number run, on any number of machines; the queue
(:mod:`models.evaluation_queue`) makes a job run exactly once among them.

While a job runs, a heartbeat thread extends its lease every third of the lease; a worker that
dies (SIGKILL, power loss) stops extending it, and after the lease another worker takes the job
over. A runner's exception becomes ``Failed(INTERNAL)``: its text never leaves the worker (it
goes to the worker's own log as the exception type only, since a runner's message could carry
something of the data).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Protocol

from access import Clock
from models.errors import LeaseLost
from models.evaluation import Failed, JobResult
from models.evaluation_queue import Claim, Job, JobQueue
from models.outcomes import Outcome

__all__ = ["JobRunner", "Worker"]

log = logging.getLogger("clearance.worker")


class JobRunner(Protocol):
    """Carries out one evaluation (decrypt, preprocess, sandbox, metrics, release control)."""

    def run(self, job: Job) -> JobResult: ...


class Worker:
    def __init__(self, queue: JobQueue, runner: JobRunner, clock: Clock, worker_id: str) -> None:
        self.queue, self.runner, self.clock, self.worker_id = queue, runner, clock, worker_id

    def run_once(self) -> bool:
        """Claim and carry out one job; False when there was none."""
        claim = self.queue.claim(self.worker_id)
        if claim is None:
            return False
        result = self._run_with_heartbeat(claim)
        try:
            state = self.queue.finish(claim, result)
        except LeaseLost:
            # Another worker took the job over (this one stalled past its lease): its run counts.
            log.warning("evaluation %s: lease lost, result dropped", claim.job.id)
            return True
        log.info("evaluation %s: %s", claim.job.id, state.value)
        return True

    def _run_with_heartbeat(self, claim: Claim) -> JobResult:
        done = threading.Event()
        beat = threading.Thread(
            target=self._heartbeat, args=(claim, done), name="lease-heartbeat", daemon=True
        )
        beat.start()
        try:
            return self._run(claim.job)
        finally:
            done.set()
            beat.join()

    def _run(self, job: Job) -> JobResult:
        try:
            result = self.runner.run(job)
        except Exception as exc:
            log.error("evaluation %s: runner raised %s", job.id, type(exc).__name__)
            return Failed(Outcome.INTERNAL)
        if not isinstance(result, JobResult):
            log.error("evaluation %s: runner returned %s", job.id, type(result).__name__)
            return Failed(Outcome.INTERNAL)
        return result

    def _heartbeat(self, claim: Claim, done: threading.Event) -> None:
        interval = self.queue.lease.total_seconds() / 3
        while not done.wait(interval):
            try:
                if not self.queue.heartbeat(claim):
                    return  # taken over: finish() will find out and drop the result
            except Exception as exc:
                log.warning("evaluation %s: heartbeat failed (%s)", claim.job.id,
                            type(exc).__name__)  # fmt: skip

    def run_forever(
        self,
        stop: threading.Event,
        poll_interval: float = 1.0,
        on_idle: Callable[[], None] | None = None,
    ) -> None:
        """Work until ``stop`` is set; sleep ``poll_interval`` seconds whenever the queue is
        empty (a job queued meanwhile waits at most that long)."""
        while not stop.is_set():
            try:
                worked = self.run_once()
            except Exception as exc:
                log.error("worker %s: %s", self.worker_id, type(exc).__name__)
                worked = False
            if not worked:
                if on_idle is not None:
                    on_idle()
                stop.wait(poll_interval)
