# The two commands of the quick start: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
LISTEN ?= 127.0.0.1:5000
DATA_DIR ?= ./data

.PHONY: run test lint typecheck pytest bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(BIN)/dockyard: $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.test-extras: $(BIN)/dockyard
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

run: $(BIN)/dockyard
	$(BIN)/dockyard serve --listen $(LISTEN) --data-dir $(DATA_DIR)

lint: $(VENV)/.test-extras
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests

typecheck: $(VENV)/.test-extras
	$(BIN)/mypy

pytest: $(VENV)/.test-extras
	$(BIN)/pytest -q

test: lint typecheck pytest

bench: $(BIN)/dockyard
	$(BIN)/pip install --quiet -e '.[test]'
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
