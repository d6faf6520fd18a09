#!/usr/bin/env bash
# Run every benchmark in benchmarks/ with the figures docs/benchmarks.md quotes. Starts the
# throw-away PostgreSQL (and S3) of scripts/services.sh for the PostgreSQL figures, stops them.
# Takes about an hour and needs ~15 GB of free disk (the 2 GiB transfer holding is cached in
# var/bench-transfer). Output: var/benchmarks/<name>.txt, one file per benchmark.
set -euo pipefail
cd "$(dirname "$0")/.."
services=var/bench-services
out=var/benchmarks
mkdir -p "$out"
cleanup() { bash scripts/services.sh stop "$services" >/dev/null 2>&1 || true; }
trap cleanup EXIT INT TERM
bash scripts/services.sh start "$services"
# shellcheck disable=SC1091
. "$services/services.env"
py=.venv/bin/python
run() { local name=$1; shift; echo "== $name: $*"; "$py" "$@" | tee "$out/$name.txt"; }
run grant_verify benchmarks/grant_verify.py
run sandbox_overhead benchmarks/sandbox_overhead.py
run enclave_throughput benchmarks/enclave_throughput.py --scans 60 --rounds 5
run enclave_queue_latency benchmarks/enclave_queue_latency.py --jobs 60 --pg-url "$CLEARANCE_TEST_PG_URL"
run access_roundtrip benchmarks/access_roundtrip.py --runs 200
run access_roundtrip_pg benchmarks/access_roundtrip.py --runs 200 --pg-url "$CLEARANCE_TEST_PG_URL"
run crypt4gh benchmarks/crypt4gh_throughput.py --size-mib 1024
run transfer_pull benchmarks/transfer_pull.py --size-gib 2 --runs 3
run catalog benchmarks/catalog_ingest_search.py --sizes 100000,1000000 --pg-url "$CLEARANCE_TEST_PG_URL"
