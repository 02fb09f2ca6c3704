# Carehelm — two commands: `make run` and `make test`.
# The first interpreter that really runs and is >= 3.11 (pyenv shims may exist without a version behind them).
PYTHON ?= $(shell for c in python3 python3.13 python3.12 python3.11; do $$c -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null && { command -v $$c; break; }; done)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export CAREHELM_DATA_DIR ?= $(CURDIR)/var

.PHONY: run dev test test-fast lint install migrate demo bench clean

$(BIN)/python:
	@test -n "$(PYTHON)" || { echo "Carehelm needs Python 3.11 or newer on PATH"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e '.[test]'
	@touch $(STAMP)

install: $(STAMP)

migrate: install
	$(BIN)/carehelm migrate --noinput -v0

demo: migrate
	$(BIN)/carehelm load_demo --if-empty

run: demo
	$(BIN)/carehelm collectstatic --noinput -v0
	$(BIN)/carehelm serve

dev: demo
	CAREHELM_DEBUG=1 $(BIN)/carehelm serve --reload

lint: install
	$(BIN)/ruff check src tests bench

test: lint
	CAREHELM_TESTING=1 $(BIN)/pytest

bench: install
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
