# One-command set-up: every target creates .venv and installs what it needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 8080
export PORT

.PHONY: run test test-fast lint format bench clean browsers proxy

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/lienthong demo run --port $(PORT)

# Chromium for the browser tests comes from the system package registry when missing.
browsers:
	@test -x /usr/bin/chromium || { echo "Installing chromium (browser tests)..."; \
	  (apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium) >/dev/null; }

# nginx for the reverse-proxy layout test (tests/e2e/test_behind_proxy.py), likewise.
proxy:
	@command -v nginx >/dev/null || test -x /usr/sbin/nginx || { echo "Installing nginx (proxy tests)..."; \
	  (apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q nginx-light) >/dev/null; }

test: $(STAMP) browsers proxy
	$(BIN)/python -m pytest -n 2 --dist loadfile $(PYTEST_ARGS)

test-fast: $(STAMP)
	$(BIN)/python -m pytest -n 2 --dist loadfile -m "not slow" $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format src tests benchmarks
	$(BIN)/ruff check --fix src tests benchmarks

bench: $(STAMP)
	$(BIN)/python -m benchmarks.run $(BENCH_ARGS)

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
