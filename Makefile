# `make demo` runs the example project; `make test` runs every test. Both set themselves up.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
DEMO_ADDRESS ?= 127.0.0.1
DEMO_PORT ?= 8000
# axe-core, for the browser tests' accessibility checks only (never shipped in the package).
AXE_VERSION := 4.14.1
AXE := $(VENV)/axe/node_modules/axe-core/axe.min.js
# `make demo RESET_PASSWORD=1` gives the demo's admin a new password.
DEMO_USER_ARGS = --address $(DEMO_ADDRESS) --port $(DEMO_PORT) $(if $(RESET_PASSWORD),--reset)

.PHONY: demo demo-cluster test lint system-deps benchmarks matrix matrix-ci

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

$(VENV)/.demo-installed: pyproject.toml | $(VENV)/bin/python
	$(PY) -m pip install -q -e .
	touch $@

$(VENV)/.test-installed: pyproject.toml | $(VENV)/bin/python
	$(PY) -m pip install -q -e ".[test]"
	touch $@ $(VENV)/.demo-installed

$(VENV)/.redis-installed: pyproject.toml | $(VENV)/bin/python
	$(PY) -m pip install -q -e ".[redis]"
	touch $@ $(VENV)/.demo-installed

$(VENV)/.dev-installed: pyproject.toml | $(VENV)/bin/python
	$(PY) -m pip install -q --group dev
	touch $@

demo: $(VENV)/.demo-installed
	cd example_project && ../$(PY) manage.py migrate --noinput -v 0
	cd example_project && ../$(PY) manage.py demo_user $(DEMO_USER_ARGS)
	cd example_project && ../$(PY) -m daphne -b $(DEMO_ADDRESS) -p $(DEMO_PORT) demo.asgi:application

# Redis and three daphne workers on DEMO_PORT and the next two ports; Ctrl-C stops them all.
demo-cluster: $(VENV)/.redis-installed system-deps
	$(PY) scripts/demo_cluster.py $(DEMO_USER_ARGS)

system-deps:
	@scripts/system-deps.sh

lint: $(VENV)/.test-installed
	$(VENV)/bin/ruff check .

$(AXE): | $(VENV)/bin/python
	npm install --silent --no-audit --no-fund --prefix $(VENV)/axe axe-core@$(AXE_VERSION)

test: $(VENV)/.test-installed system-deps lint $(AXE)
	$(PY) -m pytest

# Every supported combination of Python, Django and the rest (noxfile.py).
matrix: $(VENV)/.dev-installed system-deps
	$(VENV)/bin/nox

# What CI adds to `make test`: the oldest and newest combinations, and the package check.
matrix-ci: $(VENV)/.dev-installed system-deps
	$(VENV)/bin/nox -t ci

benchmarks: $(VENV)/.test-installed
	$(PY) benchmarks/dispatch.py
	$(PY) benchmarks/recorder.py
	$(PY) benchmarks/dashboard.py
	$(PY) benchmarks/frames.py
