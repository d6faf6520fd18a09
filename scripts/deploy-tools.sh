#!/usr/bin/env bash
# Make .venv-deploy (checkov, hadolint) for tests/deploy when it is missing or its pins changed.
# Safe to re-run: does nothing when the stamp matches scripts/deploy-tools.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-python3.11}
venv=.venv-deploy
stamp=$venv/.installed
wanted=$(sha256sum scripts/deploy-tools.txt | cut -d' ' -f1)
if [ -x "$venv/bin/checkov" ] && [ -x "$venv/bin/hadolint" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$wanted" ]; then
    exit 0
fi
command -v "$python" >/dev/null 2>&1 || python=python3
"$python" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r scripts/deploy-tools.txt
"$venv/bin/hadolint" --version >/dev/null
"$venv/bin/checkov" --version >/dev/null
echo "$wanted" >"$stamp"
echo "deploy tools ready in $venv"
