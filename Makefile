# VibeTrading — one Makefile for the whole workspace. The same targets run locally and in CI.
SHELL := /bin/bash
.DEFAULT_GOAL := help

UV := $(shell command -v uv 2>/dev/null || echo python3 -m uv)
PY_DIRS := packages database api-gateway strategy-ai-worker backtest-engine market-data-service market-research-service trading-service benchmarks
PACKAGES := vt_contracts vt_kit vt_engine vt_sandbox vt_devstack vt_client vt_db vt_gateway vt_strategy_ai vt_backtest vt_market_data vt_research vt_trading vt_fakes vt_mcp
export NUMBA_CACHE_DIR ?= $(CURDIR)/var/numba-cache
export UV_LINK_MODE ?= copy

.PHONY: help setup up up-detached down backup restore test test-py test-transformer test-frontend lint format typecheck gen gen-check compose-check bench frontend clean

help: ## list targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

setup: ## install uv if missing, then the locked Python environment (bytecode precompiled: fast starts)
	@command -v uv >/dev/null 2>&1 || python3 -m uv --version >/dev/null 2>&1 || python3 -m pip install --quiet uv
	$(UV) sync --frozen --compile-bytecode
	@mkdir -p var

frontend: ## build the front end (static export) when it has changed
	@if [ -f frontend/package.json ]; then $(MAKE) -C frontend build; fi

up: setup frontend ## run the whole platform (embedded PostgreSQL/Redis unless DATABASE_URL/REDIS_URL are set)
	$(UV) run --frozen vt-dev up

up-detached: setup frontend ## like `up`, in the background (logs in var/stack.log); `make down` stops it
	@nohup $(UV) run --frozen vt-dev up > var/stack.log 2>&1 &
	@echo "starting in the background; logs: var/stack.log"

backup: setup ## dump the database to var/backups/ (OUT=path to choose the file; the newest VT_BACKUP_KEEP=14 are kept)
	$(UV) run --frozen vt-dev backup $(if $(OUT),--out "$(OUT)")

restore: setup ## replace the database with a backup, stack stopped: make restore FILE=var/backups/<name>.dump
	@if [ -z "$(FILE)" ]; then echo "usage: make restore FILE=var/backups/<name>.dump"; exit 2; fi
	$(UV) run --frozen vt-dev restore "$(FILE)"

down: ## stop a background run
	$(UV) run --frozen vt-dev down

test: setup test-py test-transformer test-frontend ## everything: Python suites against real PostgreSQL/Redis, then the front end

test-py:
	$(UV) run --frozen pytest

# The transformer sentiment path needs PyTorch, which uv cannot take from the machine's local CPU
# wheel (and PyPI's build drags in GBs of CUDA): it is proven in a side venv with that wheel.
TORCH_WHEEL ?= $(firstword $(wildcard /opt/wheels/torch-2.13.0+cpu-cp311-*.whl))
test-transformer:
	@if [ -n "$(TORCH_WHEEL)" ]; then \
		TORCH_WHEEL="$(TORCH_WHEEL)" bash market-research-service/scripts/transformer-proof.sh; \
	else \
		echo "transformer sentiment proof NOT run: no local CPU torch wheel (set TORCH_WHEEL=/path/to/torch-*.whl)"; \
	fi

test-frontend:
	@if [ -f frontend/package.json ]; then $(MAKE) -C frontend test; fi

lint: setup ## ruff (lint + format check)
	$(UV) run --frozen ruff check $(PY_DIRS) conftest.py
	$(UV) run --frozen ruff format --check $(PY_DIRS) conftest.py

format: setup
	$(UV) run --frozen ruff check --fix $(PY_DIRS) conftest.py
	$(UV) run --frozen ruff format $(PY_DIRS) conftest.py

typecheck: setup ## mypy (strict) over every package, tsc (strict) over the front end
	$(UV) run --frozen mypy $(addprefix -p ,$(PACKAGES))
	@if [ -f frontend/package.json ]; then $(MAKE) -C frontend typecheck; fi

gen: setup ## regenerate committed artefacts (JSON Schemas, front-end API types)
	$(UV) run --frozen python -m vt_contracts.schemas
	$(UV) run --frozen python -m vt_devstack.envfile
	@if [ -f frontend/package.json ]; then $(MAKE) -C frontend gen; fi

gen-check: setup ## fail when generated artefacts drift from the code
	$(UV) run --frozen python -m vt_contracts.schemas --check
	$(UV) run --frozen python -m vt_devstack.envfile --check
	@if [ -f frontend/package.json ]; then $(MAKE) -C frontend gen-check; fi

compose-check: setup ## validate docker-compose.yml and lint the Dockerfiles
	$(UV) run --frozen check-jsonschema --builtin-schema vendor.compose-spec docker-compose.yml
	$(UV) run --frozen hadolint docker/python.Dockerfile docker/frontend.Dockerfile

bench: setup ## run every benchmark (prints ratios against references measured in the same run)
	@for b in benchmarks/bench_*.py; do echo "== $$b"; $(UV) run --frozen python $$b || exit 1; done

clean: ## remove caches (keeps var/ data)
	rm -rf .pytest_cache .mypy_cache .ruff_cache
