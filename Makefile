# Warmline: `make help` lists the targets.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Every install takes exact versions from requirements/*.txt and checks each file against the
# lock's hashes; the project itself is installed after them, without dependencies.
PIP_LOCKED := $(BIN)/pip install --quiet --require-hashes
PIP_PROJECT := $(BIN)/pip install --quiet --no-deps --no-build-isolation -e .
# uv resolves once for every platform and Python >= 3.11 (--universal), so one lock serves a
# developer's machine, CI and the image (docs/operations.md). UPGRADE=--upgrade moves every pin
# to the newest allowed release; without it existing pins are kept.
LOCK := UV_CUSTOM_COMPILE_COMMAND="make lock" $(BIN)/uv pip compile --quiet --universal --python-version 3.11 --generate-hashes $(UPGRADE)

.PHONY: help demo test lint services install install-dev install-demo lock

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

# pip and setuptools from their own lock (requirements/build.in says why).
$(VENV)/.base: requirements/build.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP_LOCKED) -r requirements/build.txt
	touch $@

$(VENV)/.installed: pyproject.toml requirements/runtime.txt $(VENV)/.base
	$(PIP_LOCKED) -r requirements/runtime.txt
	$(PIP_PROJECT)
	touch $@

$(VENV)/.installed-demo: pyproject.toml requirements/demo.txt $(VENV)/.base
	$(PIP_LOCKED) -r requirements/demo.txt
	$(PIP_PROJECT)
	touch $@

$(VENV)/.installed-dev: pyproject.toml requirements/dev.txt $(VENV)/.base
	$(PIP_LOCKED) -r requirements/dev.txt
	$(PIP_PROJECT)
	touch $@

install: $(VENV)/.installed ## Install the service into .venv (production dependencies only)

install-demo: $(VENV)/.installed-demo ## Install the service and the demo's extras into .venv

install-dev: $(VENV)/.installed-dev ## Install the service, the demo's extras and the test tools into .venv

demo: install-demo ## Run the demo: SQLite, in-process Redis stand-in, simulator at http://127.0.0.1:5000/simulator
	$(BIN)/warmline demo

services: ## Start PostgreSQL and Redis (and install Chromium, wrk and systemd's tools) when missing
	./scripts/services.sh

lint: install-dev ## Lint, format check and type check (ruff, ruff format, mypy: settings in pyproject.toml)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: install-dev services lint ## Install everything, run the lint gate, then the whole test suite
	$(BIN)/python -m pytest

lock: install-dev ## Regenerate requirements/*.txt from pyproject.toml (UPGRADE=--upgrade for newer releases)
	$(LOCK) pyproject.toml -o requirements/runtime.txt
	$(LOCK) pyproject.toml --extra demo -c requirements/runtime.txt -o requirements/demo.txt
	$(LOCK) pyproject.toml --extra dev -c requirements/demo.txt -o requirements/dev.txt
	$(LOCK) requirements/build.in -o requirements/build.txt
