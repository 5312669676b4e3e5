# `make demo` runs the example project; `make test` runs every test. Both set themselves up.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
DEMO_ADDRESS ?= 127.0.0.1
DEMO_PORT ?= 8000
# axe-core, for the browser tests' accessibility checks only (never shipped in the package).
AXE_VERSION := 4.14.1
AXE := $(VENV)/axe/node_modules/axe-core/axe.min.js

.PHONY: demo test lint system-deps benchmarks

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

$(VENV)/.demo-installed: pyproject.toml | $(VENV)/bin/python
	$(PY) -m pip install -q -e .
	touch $@

$(VENV)/.test-installed: pyproject.toml | $(VENV)/bin/python
	$(PY) -m pip install -q -e ".[test]"
	touch $@ $(VENV)/.demo-installed

demo: $(VENV)/.demo-installed
	cd example_project && ../$(PY) manage.py migrate --noinput -v 0
	cd example_project && ../$(PY) manage.py demo_user
	cd example_project && ../$(PY) -m daphne -b $(DEMO_ADDRESS) -p $(DEMO_PORT) demo.asgi:application

system-deps:
	@scripts/system-deps.sh

lint: $(VENV)/.test-installed
	$(VENV)/bin/ruff check .

$(AXE): | $(VENV)/bin/python
	npm install --silent --no-audit --no-fund --prefix $(VENV)/axe axe-core@$(AXE_VERSION)

test: $(VENV)/.test-installed system-deps lint $(AXE)
	$(PY) -m pytest

benchmarks: $(VENV)/.test-installed
	$(PY) benchmarks/dispatch.py
	$(PY) benchmarks/recorder.py
	$(PY) benchmarks/dashboard.py
	$(PY) benchmarks/frames.py
