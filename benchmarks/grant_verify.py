#!/usr/bin/env python
"""Grant verification rate: ``access.grants.verify_grant`` on one thread.

The same ES256 grant is verified ``--n`` times in a row (all checks, including the revocation
callback, which here is a constant ``False``), ``--runs`` times; the median rate is reported in
verifications per second. For comparison, the same work with PyJWT's JWS layer
(``PyJWS.decode_complete`` + ``Grant.from_claims``) and a bare ECDSA P-256 verify (the floor set
by OpenSSL) are timed the same way. The rate per CPU-second of this process is shown too: on a
shared machine it is less disturbed by other load. Floor for the project: 5,000 verifications/s
(wall clock, median). Exit status 1 below the floor.

Usage: python benchmarks/grant_verify.py [--n 20000] [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import cryptography
import jwt
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from access import (
    Grant,
    TrustedKey,
    generate_signing_key,
    item_set_hash,
    sign_grant,
    transfer_audience,
    verify_grant,
)

FLOOR = 5000.0
NOW = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)


def rate(action: Callable[[], object], n: int, runs: int) -> tuple[float, list[float], float]:
    """Median wall-clock rate, the runs, and the median rate per CPU second of this process."""
    rates, cpu_rates = [], []
    for _ in range(runs):
        start, cpu = time.perf_counter(), time.process_time()
        for _ in range(n):
            action()
        rates.append(n / (time.perf_counter() - start))
        cpu_rates.append(n / max(time.process_time() - cpu, 1e-9))
    return statistics.median(rates), rates, statistics.median(cpu_rates)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=20_000, help="verifications per run")
    parser.add_argument("--runs", type=int, default=5, help="runs; the median is reported")
    args = parser.parse_args()

    key = generate_signing_key()
    public = key.private_key.public_key()
    keys = {key.kid: TrustedKey(key.kid, "NLD", public)}
    grant = Grant(
        issuer_admin="NLD",
        subject="alice",
        audience=transfer_audience("NLD"),
        jti="bench-grant-jti-000000000000",
        issued_at=NOW,
        not_before=NOW,
        expires_at=NOW + timedelta(days=30),
        holding="nld-cargo-2025",
        holding_version=3,
        items_sha256=item_set_hash(f"scan-{i:05d}" for i in range(1000)),
        operations=("download",),
        request="req-42",
        conditions={"max_days": 30, "item_filter": None, "evaluation_only": False},
        recipient_key=bytes(range(32)),
    )
    token = sign_grant(grant, key)
    audience = transfer_audience("NLD")

    def ours() -> Grant:
        return verify_grant(
            token,
            keys=keys,
            audience=audience,
            now=NOW,
            is_revoked=lambda jti: False,
            holding="nld-cargo-2025",
            operation="download",
        )

    pyjws = jwt.PyJWS()

    def with_pyjwt() -> Grant:
        decoded = pyjws.decode_complete(token, public, algorithms=["ES256"])
        return Grant.from_claims(json.loads(decoded["payload"]))

    head, payload, signature = token.split(".")
    raw = jwt.utils.base64url_decode(signature)
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    signing_input = f"{head}.{payload}".encode()

    def bare_ecdsa() -> None:
        public.verify(der, signing_input, ec.ECDSA(hashes.SHA256()))

    assert ours() == grant and with_pyjwt() == grant
    bare_ecdsa()

    results = [
        ("verify_grant (own JWS parsing + cryptography)", rate(ours, args.n, args.runs)),
        ("PyJWS.decode_complete + Grant.from_claims", rate(with_pyjwt, args.n, args.runs)),
        ("bare ECDSA P-256 verify (floor)", rate(bare_ecdsa, args.n, args.runs)),
    ]
    command = shlex.join([sys.executable, *sys.argv])
    print(f"\n### Grant verification, one thread, N={args.n}, median of {args.runs}\n")
    print("| path | median verifications/s (wall) | per CPU-second | runs (wall) |")
    print("|---|---:|---:|---|")
    for label, (median, rates, cpu_median) in results:
        runs = ", ".join(f"{r:,.0f}" for r in rates)
        print(f"| {label} | {median:,.0f} | {cpu_median:,.0f} | {runs} |")
    ours_median = results[0][1][0]
    print(
        f"\n| grant verify | {ours_median:,.0f}/s | floor {FLOOR:,.0f}/s | "
        f"{'PASS' if ours_median >= FLOOR else 'FAIL'} | `{command}` |"
    )
    print(
        f"\nPython {platform.python_version()}, cryptography {cryptography.__version__}, "
        f"PyJWT {jwt.__version__}, {os.cpu_count()} CPUs, {platform.machine()}, "
        f"load average {os.getloadavg()[0]:.2f} at the end"
    )
    return 0 if ours_median >= FLOOR else 1


if __name__ == "__main__":
    sys.exit(main())
