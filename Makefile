# ListenLoop: `make demo` runs the main job on the embedded DuckDB; `make test` runs the suite.
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
UV := $(shell command -v uv 2>/dev/null || echo $(HOME)/.local/bin/uv)
DBT_PARSE := cd dbt_project && ../$(BIN)/dbt parse --quiet --warn-error-options '{"error": ["Deprecations"]}'

.PHONY: install prepare demo test lint ui bench clean

$(VENV)/.installed: pyproject.toml uv.lock
	@command -v uv >/dev/null 2>&1 || [ -x "$(UV)" ] || python3 -m pip install --quiet --user uv
	$(UV) sync --frozen --compile-bytecode
	@touch $@

install: $(VENV)/.installed

# The manifest is prepared ahead of time so that the Dagster definitions load without running dbt.
prepare: install
	$(DBT_PARSE)

demo: prepare
	$(BIN)/listenloop demo

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(DBT_PARSE)

test: lint
	$(BIN)/pytest -n 2 --dist loadfile

ui: prepare
	$(BIN)/listenloop ui

bench: prepare
	$(BIN)/python -m benchmarks.run $(BENCH_ARGS)

clean:
	rm -rf data .dagster_home dbt_project/target dbt_project/logs
