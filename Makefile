# The README's commands. Each creates (or reuses) the local virtual environment .venv from
# requirements.lock (the pinned set the tests ran with) and the package in editable mode.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: venv test test-slow report bench lock clean

$(STAMP): pyproject.toml requirements.lock
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements.lock
	$(BIN)/pip install -q --no-deps -e .
	touch $(STAMP)

venv: $(STAMP)

# the default tests: lint, format check, then pytest without the slow set (< 10 min here)
test: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest -q

# the long validation grids and the memory test
test-slow: venv
	$(BIN)/python -m pytest -q -m slow

# the main job: every notebook through papermill -> reports/index.html
# (REPORT_FLAGS=--quick: tiny parameters, as the tests run it; --full: the expensive sweeps)
report: venv
	$(BIN)/gmplab report $(REPORT_FLAGS)

bench: venv
	$(BIN)/python benchmarks/bench_kernel.py

# re-pin after changing pyproject.toml's dependencies
lock: venv
	$(BIN)/pip install -q -e '.[test]'
	$(BIN)/pip freeze --exclude-editable > requirements.lock

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
