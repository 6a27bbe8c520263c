# subpipe: `make demo` localizes the embedded sample; `make test` runs the tests.
# Both create .venv and install everything (ffmpeg and fonts come from pip) on first use.
PY ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup demo test lint bench clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: setup
	$(BIN)/subpipe run subpipe.toml

test: setup
	$(BIN)/python -m pytest -q

lint: setup
	$(BIN)/ruff check pipeline tests assets/promo benchmarks
	$(BIN)/mypy

bench: setup
	$(BIN)/python benchmarks/bench_burn.py

clean:
	rm -rf output .pytest_cache .mypy_cache .ruff_cache
