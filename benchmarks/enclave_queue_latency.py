"""Enclave queue latency: how long a submitted evaluation waits before a worker starts it.

One node (SQLite, or PostgreSQL with --pg-url); 1 or 2 real worker processes
(``tests/models/worker_proc.py``: the project's ``Worker`` with a 5 ms recording runner) poll the
queue every --poll seconds when it is empty; the parent submits --jobs evaluations, one every
--gap seconds. Latency = ``claimed_at - created`` of each job (both written by the node's clock on
one machine). Reports p50/p95 in ms per (backend, workers, poll interval).

Run: .venv/bin/python benchmarks/enclave_queue_latency.py [--jobs 60] [--pg-url URL]
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import select

from benchmarks.catalog_ingest_search import _pg_database
from clearance.node import open_node
from clearance.settings import Settings
from models.evaluation_tables import EvaluationRow
from tests.models.enclave_world import HOLDING, build


def _quantile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q * 100) - 1]


def run(url: str, root: Path, workers: int, poll: float, jobs: int, gap: float) -> list[float]:
    node = open_node(Settings(data_dir=root / "data", database_url=url))
    world = build(node, root / "sources")
    node.evaluations.set_policy(world.who["gbr-s"], HOLDING, {"budget": 10_000})
    env = {**os.environ, "WORKER_POLL_S": str(poll)}
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.models.worker_proc",
                str(root / "data"),
                url,
                str(root / "runs.txt"),
                f"w{i}",
                "30",
                str(6 + 2 * poll),
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
        )
        for i in range(workers)
    ]
    time.sleep(3)  # let the workers open the node and start polling
    for _ in range(jobs):
        world.submit()
        time.sleep(gap)
    for proc in procs:
        proc.wait(timeout=300)
    with node.sessions() as session:
        rows = session.execute(select(EvaluationRow.created, EvaluationRow.claimed_at)).all()
    node.engine.dispose()
    return [(claimed - created).total_seconds() * 1000 for created, claimed in rows if claimed]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=60)
    parser.add_argument("--gap", type=float, default=0.1)
    parser.add_argument("--pg-url")
    args = parser.parse_args()
    print("| backend | workers | poll s | jobs | p50 ms | p95 ms |")
    print("|---|---:|---:|---:|---:|---:|")
    backends = ["sqlite"] + (["postgresql"] if args.pg_url else [])
    for backend in backends:
        for poll in (0.05, 0.5):
            for workers in (1, 2):
                with tempfile.TemporaryDirectory() as tmp:
                    root = Path(tmp)
                    name = f"bench_{secrets.token_hex(4)}"
                    url = (f"sqlite:///{root}/bench.db" if backend == "sqlite"
                           else _pg_database(args.pg_url, name))  # fmt: skip
                    waits = run(url, root, workers, poll, args.jobs, args.gap)
                p50, p95 = _quantile(waits, 0.5), _quantile(waits, 0.95)
                print(f"| {backend} | {workers} | {poll} | {len(waits)} | {p50:.1f} | {p95:.1f} |")


if __name__ == "__main__":
    main()
