# Two commands on a fresh machine with Python 3.11 and make: `make site` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export NO_MKDOCS_2_WARNING := 1

.PHONY: site serve test e2e screenshots lint bench bench-quick clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

site: $(STAMP)  ## Build the example knowledge base into site/
	$(BIN)/mkdocs build --strict

serve: $(STAMP)  ## Preview the example knowledge base at http://127.0.0.1:8000/
	$(BIN)/mkdocs serve

test: $(STAMP)  ## Run the whole test suite
	$(BIN)/python -m pytest -n auto

bench: $(STAMP)  ## Benchmark builds, check and serve; writes benchmarks/results.md (about 30 min)
	$(BIN)/python -m benchmarks

bench-quick: $(STAMP)  ## A smoke test of the benchmark suite (small sizes, one repetition)
	$(BIN)/python -m benchmarks --quick --output benchmarks/work/results-quick.md

e2e: $(STAMP)  ## Only the browser tests (needs Debian's chromium: apt-get install chromium)
	$(BIN)/python -m pytest tests/e2e

screenshots: $(STAMP)  ## Retake the README's screenshots of the example into docs/assets/screenshots/
	$(BIN)/python tests/e2e/readme_screenshots.py

lint: $(STAMP)  ## ruff and mypy only
	$(BIN)/ruff check plugins tests benchmarks
	$(BIN)/ruff format --check plugins tests benchmarks
	$(BIN)/mypy

clean:
	rm -rf site .pytest_cache .ruff_cache .mypy_cache .pmkb-cache
