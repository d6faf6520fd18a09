#!/usr/bin/env bash
# Start the throw-away PostgreSQL and S3 servers, run the whole suite against them, stop them.
# CLEARANCE_REQUIRE_SERVICES=1 makes a missing service a test failure, never a skip.
set -euo pipefail
cd "$(dirname "$0")/.."
services=var/services
cleanup() { bash scripts/services.sh stop "$services" >/dev/null 2>&1 || true; }
# Browser tests drive Debian's Chromium (never a downloaded browser): install it where missing.
if ! command -v chromium >/dev/null 2>&1; then
    apt-get install -y chromium >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y chromium >/dev/null; }
fi
# checkov and hadolint for tests/deploy live in their own venv (they pin packages of their own).
bash scripts/deploy-tools.sh
trap cleanup EXIT INT TERM
bash scripts/services.sh start "$services"
set -a
# shellcheck disable=SC1091
. "$services/services.env"
set +a
export CLEARANCE_REQUIRE_SERVICES=1
.venv/bin/python -m pytest -q "$@"
