# NovaVMS Events. `make dev` runs the whole stack locally; `make test` runs lint, types and tests.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 8080
PYTEST_ARGS ?=
# Coverage of shared/ and functions/ by the integration layer, which fails under this floor (a full
# run measures about 95%, branches included). Only a full run is held to it: with PYTEST_ARGS (say -k)
# the report still prints.
COVERAGE_FLOOR ?= 94
UNIT_TESTS = $(BIN)/pytest tests/unit $(PYTEST_ARGS)
INTEGRATION_TESTS = $(BIN)/pytest -n 2 --cov --cov-report=term-missing:skip-covered \
	--cov-fail-under=$(if $(PYTEST_ARGS),0,$(COVERAGE_FLOOR)) tests/integration $(PYTEST_ARGS)
# With PYTEST_ARGS a layer may select no test at all (pytest's exit 5): that layer has nothing to say.
NO_TESTS_OK = $(if $(PYTEST_ARGS),|| [ $$? -eq 5 ])

.PHONY: install dev test test-unit test-integration lint typecheck client-python-check check-indexes docs docs-check \
	browser bench clean

install: $(STAMP)

$(STAMP): pyproject.toml deploy/requirements.lock docs-ui/package-lock.json clients/python/pyproject.toml \
		clients/js/package-lock.json
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is required")'
	@$(PYTHON) -c 'import sys; from deploy.runtime import python_version as v; sys.exit(0 if sys.version_info[:2] == v() else "Python %d.%d is required: the deployed runtime and the lock use it" % v())'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c deploy/requirements.lock -e '.[dev]' -e ./clients/python
	npm ci --prefix docs-ui --ignore-scripts --no-audit --no-fund --silent
	npm ci --prefix clients/js --ignore-scripts --no-audit --no-fund --silent
	@touch $(STAMP)

dev: $(STAMP)
	PORT=$(PORT) $(BIN)/novavms-events dev

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP) client-python-check
	$(BIN)/mypy
	npm run --prefix clients/js --silent typecheck
	cd clients/js && npm publish --dry-run --ignore-scripts --silent  # packs the committed dist/ (no network)

# The Python client (clients/python) supports Python 3.9: its code and example program are
# type-checked strictly for 3.9 by a pinned mypy in its own venv (ruff's py39 target is in its
# pyproject.toml, and `make lint` applies it).
CLIENT_CHECK := $(VENV)/client-check
$(CLIENT_CHECK)/.installed: clients/python/requirements-check.txt | $(STAMP)
	$(BIN)/uv venv --quiet --python $(BIN)/python $(CLIENT_CHECK)
	$(BIN)/uv pip install --quiet --python $(CLIENT_CHECK)/bin/python -r clients/python/requirements-check.txt
	@touch $@

client-python-check: $(CLIENT_CHECK)/.installed
	cd clients/python && $(abspath $(CLIENT_CHECK))/bin/mypy --python-version 3.9 --strict

check-indexes: $(STAMP)
	$(BIN)/novavms-events indexes --check

# The documentation site (mkdocs.yml: docs/, README.md as its home, the OpenAPI document) into site/.
# --strict: a broken link, a missing page or a page left out of the nav fails the build.
docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict

docs-check: docs

# The unit layer (no emulator, seconds) runs first and stops the build when it fails; then the
# integration layer against real emulators (one pair per xdist worker), with coverage.
test: lint typecheck check-indexes docs-check browser
	$(UNIT_TESTS) $(NO_TESTS_OK)
	$(INTEGRATION_TESTS) $(NO_TESTS_OK)

# Headless Chromium for the docs page's browser test (Debian's chromium and chromium-driver, installed
# with apt when missing).
browser: $(STAMP)
	$(BIN)/python -m devstack.browser

test-unit: $(STAMP)
	$(UNIT_TESTS) $(NO_TESTS_OK)

test-integration: $(STAMP) browser
	$(INTEGRATION_TESTS) $(NO_TESTS_OK)

# The suite (bench/results.json, bench/latency.png, docs/benchmarks.md's table) is the main one; it also measures
# export memory (bench.export_memory's method) and cold start. bench.totals adds the list's billed reads
# at 1k and 200k events to bench/results.json; bench.bulk measures batch throughput. bench.cold_start stays for its check that
# delete_event never loads google.cloud.storage. bench.abuse adds the attacker's numbers (store reads per
# 100 forged keys; the console's share served while two keys flood) to bench/results.json. bench.ingest adds
# ingest_events_per_s_ratio (batch ingest through the function against bare batched writes); bench.pubsub
# adds events/s through Pub/Sub (emulator, delivery, function) over the HTTPS batch ingest's; bench.webhooks
# adds the commit-to-receipt lag of webhooks and their deliveries per second to 10 endpoints; bench.stream
# adds the event stream's write-to-message lag and the store reads of 20 idle streams over a minute. bench.search
# adds search_list_p50_ratio (tag and q first pages against the bare Firestore queries doing the same work).
bench: $(STAMP)
	$(BIN)/python -m bench.suite
	$(BIN)/python -m bench.totals
	$(BIN)/python -m bench.changes
	$(BIN)/python -m bench.ingest
	$(BIN)/python -m bench.bulk
	$(BIN)/python -m bench.cold_start
	$(BIN)/python -m bench.load
	$(BIN)/python -m bench.limits
	$(BIN)/python -m bench.contention
	$(BIN)/python -m bench.abuse
	$(BIN)/python -m bench.pubsub
	$(BIN)/python -m bench.webhooks
	$(BIN)/python -m bench.stream
	$(BIN)/python -m bench.search

clean:
	rm -rf $(VENV) .devstack .pytest_cache .mypy_cache .ruff_cache *.egg-info .coverage .coverage.* htmlcov docs-ui/node_modules \
		clients/js/node_modules clients/js/dist clients/js/build-test .venv/client-check site
