"""Where a ``clearance pull`` spends its time: phase timers and a per-thread CPU profile.

Runs the pull in this process (the CLI's own code path, ``clearance.client.pull.pull``) with timers
around its phases, summed over the worker threads, and a cProfile per worker thread measuring
thread CPU time (``time.thread_time``), merged. Diagnostic only: it wraps private functions of
``clearance.client.pull`` and ``transfer.verify``, so it follows their names.

Run: C4GH_PASSPHRASE=… python benchmarks/pull_profile.py GRANT_FILE --url URL --key KEY --out DIR
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import shutil
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import clearance.client.pull as pull_module
import transfer.verify as verify_module
from transfer.crypt4gh import load_private_key

_totals: defaultdict[str, float] = defaultdict(float)
_lock = threading.Lock()
_profiles: list[cProfile.Profile] = []
_cprofile_on = threading.Event()


def _timed(name: str | Callable[..., str], function: Callable[..., Any]) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            label = name if isinstance(name, str) else name(*args, **kwargs)
            with _lock:
                _totals[label] += time.perf_counter() - started

    return wrapper


def _request_kind(client: httpx.Client, request: httpx.Request, **_: Any) -> str:
    path = request.url.path
    kind = path.rsplit("/", 1)[-1] if "/objects/" in path else "manifest, keys"
    return f"request until response headers: {kind}"


def _profiled(function: Callable[..., Any]) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not _cprofile_on.is_set():
            return function(*args, **kwargs)
        profile = cProfile.Profile(time.thread_time)
        profile.enable()
        try:
            return function(*args, **kwargs)
        finally:
            profile.disable()
            with _lock:
                _profiles.append(profile)

    return wrapper


def instrument() -> None:
    p, v = pull_module, verify_module
    p._plan = _timed("plan: grant, keys, manifest", p._plan)
    p._receive = _timed("body request + receive (incl. feed)", p._receive)
    p._write_catalog = _timed("write STAC catalogue", p._write_catalog)
    p._fetch = _profiled(_timed("object total (worker)", p._fetch))
    writer = v.VerifyingWriter
    writer.__init__ = _timed("writer: open header, temp file", writer.__init__)  # type: ignore[method-assign]
    writer.feed = _timed("writer.feed: verify, decrypt, hash, write", writer.feed)  # type: ignore[method-assign]
    writer.finish = _timed("writer.finish: digests, fsync, rename", writer.finish)  # type: ignore[method-assign]
    httpx.Client.send = _timed(_request_kind, httpx.Client.send)  # type: ignore[method-assign]


def _run(options: pull_module.PullOptions) -> tuple[pull_module.PullResult, float, float]:
    shutil.rmtree(options.out, ignore_errors=True)
    os.sync()
    started, cpu = time.perf_counter(), time.process_time()
    result = pull_module.pull(options)
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    shutil.rmtree(options.out, ignore_errors=True)
    return result, wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("grant")
    parser.add_argument("--url", required=True)
    parser.add_argument("--key", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--cprofile", action="store_true", help="then a second pull, profiled")
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    instrument()
    key = load_private_key(args.key, os.environ["C4GH_PASSPHRASE"])
    options = pull_module.PullOptions(
        url=args.url,
        grant=pull_module.read_grant(args.grant),
        key=key,
        out=args.out,
        workers=args.workers,
        progress=False,
    )
    result, wall, cpu = _run(options)
    rate = result.body_bytes_fetched / 1e6 / wall
    print(f"\n#### Pull profile: {result.objects} objects, --workers {args.workers}\n")
    print(f"In process (no start-up): {wall:.1f} s wall, {cpu:.1f} s CPU, {rate:.0f} MB/s.\n")
    print("| phase (nested: see names) | seconds, summed over threads | per object ms |")
    print("|---|---:|---:|")
    for name, seconds in sorted(_totals.items(), key=lambda kv: -kv[1]):
        print(f"| {name} | {seconds:.1f} | {seconds / result.objects * 1e3:.1f} |")
    if not args.cprofile:
        return
    _cprofile_on.set()
    result, wall, cpu = _run(options)
    stats = io.StringIO()
    merged = pstats.Stats(_profiles[0], stream=stats)
    for profile in _profiles[1:]:
        merged.add(profile)
    merged.sort_stats("tottime").print_stats(args.top)
    print(
        f"\nSecond pull, profiled ({wall:.1f} s wall, {cpu:.1f} s CPU): worker threads' CPU time "
        "by function (cProfile with time.thread_time, merged over threads):\n"
    )
    print(stats.getvalue().split("\n\n", 1)[-1].rstrip())


if __name__ == "__main__":
    main()
