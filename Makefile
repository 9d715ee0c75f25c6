# NovaVMS Events. `make dev` runs the whole stack locally; `make test` runs lint, types and tests.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 8080
PYTEST_ARGS ?=

.PHONY: install dev test lint typecheck check-indexes bench clean

install: $(STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is required")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $(STAMP)

dev: $(STAMP)
	PORT=$(PORT) $(BIN)/novavms-events dev

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

check-indexes: $(STAMP)
	$(BIN)/novavms-events indexes --check

test: lint typecheck check-indexes
	$(BIN)/pytest $(PYTEST_ARGS)

bench: $(STAMP)
	$(BIN)/python -m bench.cold_start
	$(BIN)/python -m bench.export_memory

clean:
	rm -rf $(VENV) .devstack .pytest_cache .mypy_cache .ruff_cache *.egg-info
