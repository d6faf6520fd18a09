"""Access workflow benchmark: request -> approve -> grant round trip through the HTTP API.

A node with one published holding is served by ``clearance serve`` in its own process; the client
creates a request as a researcher, approves it as the owner's steward and fetches the signed grant,
timing the three calls together. Reports p50 and p95 over the runs (SQLite by default; pass
--pg-url for PostgreSQL).

Run: .venv/bin/python benchmarks/access_roundtrip.py [--runs 200] [--pg-url URL]
"""

from __future__ import annotations

import argparse
import base64
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from access import Level, Role
from benchmarks.catalog_ingest_search import _pg_database, served
from catalog.synth import generate_holding
from clearance.node import open_node
from clearance.publishing.folder import publish_folder
from clearance.settings import Settings
from transfer.crypt4gh import generate_private_key, public_key_bytes


def _seed(settings: Settings) -> tuple[str, str]:
    node = open_node(settings)
    node.directory.add_administration("GBR", "UK Border Force")
    node.directory.add_administration("NLD", "Douane")
    node.directory.add_user("r", admin="NLD", roles=[Role.RESEARCHER], clearance=Level.R2)
    node.directory.add_user("s", admin="GBR", roles=[Role.STEWARD], clearance=Level.R3)
    folder = settings.data_dir / "src"
    generate_holding(folder, kind="parcel", count=20, seed=3, admin="GBR")
    publish_folder(
        node,
        folder,
        admin="GBR",
        holding_id="GBR-p",
        title="Parcels",
        description="",
        level="R1",
        marking="OFFICIAL",
        rel_to="ALL",
        handling="download",
        discovery="partners",
    )
    aud = settings.node_id
    return node.directory.issue_token("r", audience=aud), node.directory.issue_token(
        "s", audience=aud
    )


def run(settings: Settings, runs: int) -> tuple[float, float]:
    researcher, steward = _seed(settings)
    key = base64.b64encode(public_key_bytes(generate_private_key())).decode()
    body = {
        "holding": "GBR-p",
        "purpose": "benchmark",
        "purpose_code": "research",
        "mode": "download",
        "duration_days": 30,
    }
    times = []
    with served(settings) as url, httpx.Client(base_url=url) as c:
        r_auth = {"Authorization": f"Bearer {researcher}"}
        s_auth = {"Authorization": f"Bearer {steward}"}
        c.put("/access/keys/c4gh", json={"public_key": key}, headers=r_auth).raise_for_status()
        for n in range(runs + 10):
            started = time.perf_counter()
            created = c.post("/access/requests", json=body, headers=r_auth)
            created.raise_for_status()
            rid = created.json()["id"]
            approved = c.post(f"/access/requests/{rid}/approve", json={}, headers=s_auth)
            approved.raise_for_status()
            jti = approved.json()["grant"]
            c.get(f"/access/grants/{jti}", headers=r_auth).raise_for_status()
            if n >= 10:
                times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000, statistics.quantiles(times, n=100)[94] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--pg-url")
    args = parser.parse_args()
    (ROOT / "var").mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(dir=ROOT / "var") as tmp:
        url = (
            _pg_database(args.pg_url, "bench_roundtrip") if args.pg_url else f"sqlite:///{tmp}/c.db"
        )
        p50, p95 = run(Settings(data_dir=Path(tmp), database_url=url), args.runs)
    backend = "postgresql" if args.pg_url else "sqlite"
    print(f"| {backend} | request -> approve -> grant (3 HTTP calls) | {p50:.1f} | {p95:.1f} |")


if __name__ == "__main__":
    main()
