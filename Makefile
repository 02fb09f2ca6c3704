# Carehelm — two commands: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.13 || command -v python3.12 || command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export CAREHELM_DATA_DIR ?= $(CURDIR)/var

.PHONY: run dev test test-fast lint install migrate demo bench clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Carehelm needs Python 3.11 or newer"'
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
