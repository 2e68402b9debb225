# Two commands on a fresh machine:
#   make demo   creates .venv, installs trimtab, tunes an SVM on scikit-learn's digits (SQLite)
#   make test   creates .venv, installs the dev tools (and Ray and Dask, for the executor
#               tests; `make test TEST_EXTRAS=dev` skips those), runs lint, type check and the tests
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo test lint typecheck pytest bench-overhead bench-quick bench-full clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.demo: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[sklearn]"
	touch $@

TEST_EXTRAS ?= dev,ray,dask

$(VENV)/.dev-$(TEST_EXTRAS): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[$(TEST_EXTRAS)]"
	touch $@

demo: $(VENV)/.demo
	$(BIN)/trimtab tune examples/digits_svm.yaml
	$(BIN)/trimtab studies

test: $(VENV)/.dev-$(TEST_EXTRAS) lint typecheck pytest

lint: $(VENV)/.dev-$(TEST_EXTRAS)
	$(BIN)/ruff check src tests benchmarks examples
	$(BIN)/ruff format --check src tests benchmarks examples

typecheck: $(VENV)/.dev-$(TEST_EXTRAS)
	$(BIN)/mypy

pytest: $(VENV)/.dev-$(TEST_EXTRAS)
	$(BIN)/python -m pytest -n 2 --dist loadgroup $(PYTEST_ARGS)

$(VENV)/.bench: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet -e ".[bench]"
	touch $@

bench-overhead: $(VENV)/.bench
	$(BIN)/python -m benchmarks.overhead

bench-quick: $(VENV)/.bench
	$(BIN)/python -m benchmarks.run --suite quick

bench-full: $(VENV)/.bench
	$(BIN)/python -m benchmarks.run --suite full

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
