# The README's two commands. Each sets up from nothing (a local .venv) and runs its job.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
READY  := $(VENV)/.installed

.PHONY: generate test bench clean

generate: $(READY)
	$(BIN)/python generate.py

test: $(READY)
	$(BIN)/python -m pytest

bench: $(READY)
	$(BIN)/python bench/generate_bench.py

# Reinstall whenever the declared dependencies change.
$(READY): setup.cfg pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

clean:
	rm -rf build .pytest_cache
