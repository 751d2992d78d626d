# The README's two commands. Each sets up from nothing (a local .venv) and runs its job.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
READY  := $(VENV)/.installed
# The emulator the end-to-end tests deploy to, in its own Python 3.13 venv.
LOCALSTACK := .localstack/venv/bin/python

.PHONY: generate test check golden bench clean postgres

# The default system, then every example system, in one run: one cfn-lint for all of them, and
# nothing built or linted again where nothing changed (docs/performance.md).
generate: $(READY)
	$(BIN)/python generate.py --system . $(addprefix --system ,$(wildcard examples/*/))

test: $(READY) $(LOCALSTACK) postgres
	$(BIN)/python -m pytest

# The fast loop, well under a minute: style, types, and the unit and contract tests without cfn-lint.
check: $(READY)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/python -m pytest -q tests/unit tests/contract -m "not slow"

# Rewrite tests/golden/ from the generator after an intended template change; review the diff.
golden: $(READY)
	$(BIN)/python -m tests.helpers.golden

bench: $(READY) $(LOCALSTACK) postgres
	$(BIN)/python bench/generate_bench.py
	$(BIN)/python bench/deploy_bench.py
	$(BIN)/python bench/cloud_sim.py
	$(BIN)/python bench/schema_bench.py

# Debian's PostgreSQL server, for the schema tests (checks first, installs only when missing).
postgres:
	scripts/install-postgres

$(LOCALSTACK): scripts/install-localstack
	scripts/install-localstack

# Reinstall whenever the declared dependencies change.
$(READY): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,dev]'
	touch $@

clean:
	rm -rf build outputs logs .pytest_cache
