# Warmline: `make help` lists the targets.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: help demo test lint services install install-dev

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $@

install: $(VENV)/.installed ## Install the service into .venv

install-dev: $(VENV)/.installed-dev ## Install the service and the test tools into .venv

demo: install ## Run the demo: SQLite, in-process Redis stand-in, simulator at http://127.0.0.1:5000/simulator
	$(BIN)/warmline demo

services: ## Start PostgreSQL and Redis (and install Chromium and wrk) when missing
	./scripts/services.sh

lint: install-dev ## Lint, format check and type check (ruff, ruff format, mypy: settings in pyproject.toml)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: install-dev services lint ## Install everything, run the lint gate, then the whole test suite
	$(BIN)/python -m pytest
