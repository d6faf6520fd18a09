# Two commands: `make demo` and `make test`. Both create .venv when it is missing and are safe
# to re-run. Python 3.11 is required.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
SERVICES := var/services

.PHONY: demo test lint unit services-start services-stop bench clean deploy-tools

$(BIN)/python:
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "need $(PYTHON) on PATH"; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

demo: $(STAMP)
	CLEARANCE_DATA=$${CLEARANCE_DATA:-var/demo} $(BIN)/clearance demo $(DEMO_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check access catalog transfer models clearance tests benchmarks
	$(BIN)/ruff format --check access catalog transfer models clearance tests benchmarks
	$(BIN)/mypy
	$(BIN)/lint-imports

test: $(STAMP) lint
	bash scripts/run-tests.sh

# checkov + hadolint in .venv-deploy for tests/deploy (run-tests.sh makes it too).
deploy-tools:
	bash scripts/deploy-tools.sh

bench: $(STAMP)
	bash scripts/run-benchmarks.sh

clean:
	rm -rf var .pytest_cache .mypy_cache .ruff_cache
