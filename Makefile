# The README's commands. Each installs what it needs on a fresh machine with only Python.
SHELL := /bin/bash
UV := $(shell command -v uv 2>/dev/null || echo $(HOME)/.local/bin/uv)
PORT ?= 8050

.PHONY: run test lint format demo bench sysdeps venv bundle test-bundle spark-check spark-bench city-bench

$(UV):
	python3 -m pip install --user --quiet uv

venv: $(UV)
	$(UV) sync --frozen --quiet

sysdeps:
	@bash .ci/sysdeps.sh

## run: serve the dashboard at http://127.0.0.1:$(PORT) (builds the demo county if the store is empty)
run: venv
	$(UV) run pulse serve --demo-if-empty --port $(PORT)

## test: the whole test suite (installs chromium and CJK fonts when run as root); the loader's
## tests once more in the single-file store format (store.format = duckdb)
test: venv sysdeps
	$(UV) run ruff check .
	$(UV) run pytest
	PULSE_STORE_FORMAT=duckdb $(UV) run pytest -q tests/etl/test_load.py tests/etl/test_atomic.py

lint: venv
	$(UV) run ruff check .
	$(UV) run ruff format --check .

format: venv
	$(UV) run ruff format .
	$(UV) run ruff check --fix .

demo: venv
	$(UV) run pulse demo --out data/demo
	$(UV) run pulse load data/demo

bench: venv sysdeps
	$(UV) run python bench/run.py --scale $(or $(SCALE),1)

## spark-check: the product against DuckDB and Spark SQL (local mode) on every figure and 体外循环
## signal of a 2-county demo in one Parquet-format store (needs Java 17: make sysdeps as root);
## COUNTIES=N, SCALE=S to change the demo; writes bench/results/spark-check.md
spark-check: venv sysdeps
	$(UV) run python -m dashboard.engines.check --counties $(or $(COUNTIES),2) --scale $(or $(SCALE),0.02) --out bench/results/spark-check.md

## spark-bench: DuckDB against Spark local mode on the same queries at a few sizes
spark-bench: venv sysdeps
	$(UV) run python bench/spark_engines.py

## city-bench: one Parquet store grown from 1 to 20 demo counties (issue 18 point 4; ~1-1.5 h at SCALE=1)
city-bench: venv sysdeps
	$(UV) run python bench/city.py --scale $(or $(SCALE),1)

## bundle: the offline install bundle dist/service-pulse-<version>-debian12-amd64.tar.gz
## (on Debian 12 amd64 with access to the package registries; docs/deploy.md)
bundle: venv
	bash .ci/bundle.sh --out dist

## test-bundle: build the bundle and install it with no network (as root; part of `make test`)
test-bundle: venv sysdeps
	$(UV) run pytest tests/ops/test_bundle.py -s
