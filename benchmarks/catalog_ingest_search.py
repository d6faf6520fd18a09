"""Catalogue benchmark: bulk ingest (metadata only) and /search latency at scale.

For each backend (SQLite file, PostgreSQL) and each size (default 100k and 1M items) it
  1. bulk-ingests N synthetic item records through ``catalog.store.replace_holding`` — the exact
     database path ``clearance publish`` takes once images are read and documents built — and
     reports items/s;
  2. serves the node with ``clearance serve`` in its own process and times ``GET /search`` with a
     two-predicate CQL2 filter and a sort, as a partner who may not discover every holding,
     reporting p50 and p95 over the requests (client-side, loopback, keep-alive).
It also reports, once, how fast the pure-Python part of publishing (pystac document building and
offline schema validation) runs per item, for comparison.

Run: .venv/bin/python benchmarks/catalog_ingest_search.py [--sizes 100000,1000000] [--pg-url URL]
Without --pg-url it starts the throw-away PostgreSQL of scripts/services.sh itself.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from access import Level, Role
from catalog import ClassStat, HoldingRecord, ItemRecord, refresh_statistics, replace_holding
from clearance.node import open_node
from clearance.settings import Settings
from tests.helpers.server import free_port

HOLDINGS = 20
CONVEYANCES = ("sea-container", "road-vehicle", "parcel", "post")
OUTCOMES = ("cleared", "seized", "further-inspection", "not-inspected")
HS = ("9302", "2402", "2403", "8703", "8471", "3004", "2939", "7108")
T0 = datetime(2024, 1, 1, tzinfo=UTC)


def _document(hid: str, iid: str, when: datetime, conv: str, objects: int) -> dict[str, object]:
    return {
        "type": "Feature",
        "stac_version": "1.0.0",
        "id": iid,
        "collection": hid,
        "geometry": None,
        "bbox": None,
        "links": [],
        "stac_extensions": ["https://stac-extensions.github.io/label/v1.0.1/schema.json"],
        "properties": {
            "datetime": when.isoformat().replace("+00:00", "Z"),
            "xray:conveyance": conv,
            "xray:modality": "transmission-dual-energy",
            "xray:object_count": objects,
            "xray:scanner": "Acme Imaging LX-6",
            "sec:level": "R2",
            "label:classes": [{"name": "hs_code", "classes": list(HS[:3])}],
        },
        "assets": {
            k: {
                "href": f"/transfer/objects/{k}{iid}",
                "file:size": 6_000_000,
                "file:checksum": "1220" + "ab" * 32,
            }
            for k in ("high", "low", "annotations")
        },
    }


def _items(hid: str, count: int, rng: random.Random) -> list[ItemRecord]:
    out = []
    for n in range(count):
        when = T0 + timedelta(minutes=rng.randrange(2 * 365 * 24 * 60))
        conv = rng.choice(CONVEYANCES)
        objects = rng.randrange(9)
        iid = f"{hid}-{n:07d}"
        out.append(
            ItemRecord(
                id=iid,
                datetime=when,
                level=2,
                modality="transmission-dual-energy",
                conveyance=conv,
                container_type="45G1" if conv == "sea-container" else None,
                energy_profile="linac",
                scanner="Acme Imaging LX-6",
                source_format="TIFF16",
                inspection_outcome=rng.choice(OUTCOMES),
                synthetic=True,
                object_count=objects,
                search_text=f"{iid} {conv}".lower(),
                document=_document(hid, iid, when, conv, objects),
                classes={rng.choice(HS): objects} if objects else {},
            )
        )
    return out


def _holding(n: int, owner: str) -> HoldingRecord:
    hid = f"H{n:02d}"
    discovery = "releasable" if n % 4 == 3 else "partners"  # a quarter hidden from NLD
    return HoldingRecord(
        id=hid,
        owner=owner,
        title=hid,
        level=2,
        national_marking="OFFICIAL-SENSITIVE",
        handling="download",
        discovery=discovery,
        releasable_to=frozenset({"GBR"}),
        search_text=hid.lower(),
        document={"id": hid, "type": "Collection"},
        stats=(ClassStat("9302", "transmission-dual-energy", "Revolvers", 1, 1),),
    )


def ingest(settings: Settings, size: int) -> float:
    node = open_node(settings)
    for code in ("NLD", "GBR", "USA"):
        node.directory.add_administration(code, code)
    node.directory.add_user("bench", admin="NLD", roles=[Role.RESEARCHER], clearance=Level.R3)
    rng = random.Random(size)
    per = size // HOLDINGS
    elapsed = 0.0
    for n in range(HOLDINGS):
        records = _items(f"H{n:02d}", per, rng)  # built outside the timed part
        started = time.perf_counter()
        with node.sessions.begin() as session:
            replace_holding(session, _holding(n, ("GBR", "USA")[n % 2]), records, T0)
        elapsed += time.perf_counter() - started
    with node.sessions.begin() as session:
        refresh_statistics(session)  # as `clearance publish` does after its commit
    node.engine.dispose()
    return per * HOLDINGS / elapsed


@contextmanager
def served(settings: Settings) -> Iterator[str]:
    port = free_port()
    env = {
        **os.environ,
        "CLEARANCE_DATA": str(settings.data_dir),
        "CLEARANCE_DATABASE_URL": settings.database_url,
    }
    proc = subprocess.Popen(
        [str(ROOT / ".venv/bin/clearance"), "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                httpx.get(f"{url}/conformance", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        proc.wait(10)


def search_latency(settings: Settings, requests: int) -> tuple[float, float, int]:
    token = open_node(settings).directory.issue_token("bench", audience=settings.node_id)
    rng = random.Random(1)
    with served(settings) as url, httpx.Client(headers={"Authorization": f"Bearer {token}"}) as c:
        times, returned = [], 0
        for n in range(requests + 20):
            conv, floor = rng.choice(CONVEYANCES), rng.randrange(1, 8)
            params = {
                "filter": f'"xray:conveyance" = \'{conv}\' AND "xray:object_count" >= {floor}',
                "sortby": "-datetime",
                "limit": "10",
            }
            started = time.perf_counter()
            response = c.get(f"{url}/search", params=params)
            took = time.perf_counter() - started
            response.raise_for_status()
            if n >= 20:  # the first requests warm caches and connections
                times.append(took)
                returned += len(response.json()["features"])
    qs = statistics.quantiles(times, n=100)
    return statistics.median(times) * 1000, qs[94] * 1000, returned // requests


def _pg_database(base: str, name: str) -> str:
    engine = create_engine(base, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return make_url(base).set(database=name).render_as_string(hide_password=False)


@contextmanager
def postgres(url: str | None) -> Iterator[str]:
    if url:
        yield url
        return
    services = ROOT / "var" / "bench-services"
    subprocess.run(["bash", str(ROOT / "scripts/services.sh"), "start", str(services)], check=True)
    try:
        env = dict(
            line.split("=", 1) for line in (services / "services.env").read_text().splitlines()
        )
        yield env["CLEARANCE_TEST_PG_URL"]
    finally:
        subprocess.run(["bash", str(ROOT / "scripts/services.sh"), "stop", str(services)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--pg-url")
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args()
    rows = []
    with postgres(args.pg_url if "postgresql" in args.backends else "unused") as pg_base:
        for size in (int(s) for s in args.sizes.split(",")):
            for backend in args.backends.split(","):
                with tempfile.TemporaryDirectory(dir=ROOT / "var") as tmp:
                    url = (
                        f"sqlite:///{tmp}/clearance.db"
                        if backend == "sqlite"
                        else _pg_database(pg_base, f"bench_{size}")
                    )
                    settings = Settings(data_dir=Path(tmp), database_url=url)
                    rate = ingest(settings, size)
                    p50, p95, per_page = search_latency(settings, args.requests)
                    rows.append((backend, size, rate, p50, p95, per_page))
                    print(
                        f"{backend:<10} {size:>9,} items: ingest {rate:>8,.0f} items/s, "
                        f"search p50 {p50:6.1f} ms p95 {p95:6.1f} ms ({per_page}/page)",
                        flush=True,
                    )
    print("\n| backend | items | ingest items/s | /search p50 ms | /search p95 ms |")
    print("|---|---:|---:|---:|---:|")
    for backend, size, rate, p50, p95, _ in rows:
        print(f"| {backend} | {size:,} | {rate:,.0f} | {p50:.1f} | {p95:.1f} |")


if __name__ == "__main__":
    (ROOT / "var").mkdir(exist_ok=True)
    main()
