"""Cost of parsing CQL2 filters out of process (catalog.parser_pool) against parsing in process.

Parses a typical search filter (cql2-text and cql2-json) N times each way, alternating, and
reports the median and p95 per parse; the difference is what isolation adds to every search
that carries a filter. The pool is warmed up first (its workers start on first use).

Run: .venv/bin/python benchmarks/cql2_isolation.py [--runs 500]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import cql2

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from catalog import ParserPool

TEXT = (
    "\"xray:conveyance\" IN ('parcel', 'post') AND \"xray:object_count\" >= 1 "
    "AND datetime >= TIMESTAMP('2024-01-01T00:00:00Z') AND a_overlaps(\"label:classes\", "
    "('300490', '930200'))"
)
JSON = json.dumps(cql2.parse_text(TEXT).to_json())


def _timed(parse: Callable[[], object]) -> float:
    start = time.perf_counter()
    parse()
    return (time.perf_counter() - start) * 1e6


def _summary(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[int(0.95 * (len(ordered) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=500)
    runs = parser.parse_args().runs
    pool = ParserPool(size=2)
    try:
        for _ in range(20):  # start the workers, warm the caches
            pool.parse("text", TEXT)
        print(f"{'filter':<10} {'where':<16} {'median µs':>10} {'p95 µs':>10}")
        for kind, text in (("text", TEXT), ("json", JSON)):
            native = cql2.parse_text if kind == "text" else cql2.parse_json
            inside: list[float] = []
            isolated: list[float] = []
            for _ in range(runs):  # alternating, so machine noise hits both alike
                inside.append(_timed(lambda: native(text).to_json()))  # noqa: B023
                isolated.append(_timed(lambda: pool.parse(kind, text)))  # type: ignore[arg-type]  # noqa: B023
            for where, samples in (("in process", inside), ("worker process", isolated)):
                median, p95 = _summary(samples)
                print(f"cql2-{kind:<5} {where:<16} {median:>10.1f} {p95:>10.1f}")
    finally:
        pool.close()
    print(f"\n.venv/bin/python benchmarks/cql2_isolation.py --runs {runs}")


if __name__ == "__main__":
    main()
