# Two commands matter: `make run` (the demo county on this machine, no services needed)
# and `make test` (the whole suite); `make lint` checks style, imports and types. Both create .venv on first use.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
export TESTING ?=

.PHONY: install run test lint seed

install: $(VENV)/.installed

# Re-installs only when pyproject.toml changes (the stamp is newer otherwise).
$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[dev]"
	touch $@

seed: install
	DEBUG=true $(PY) manage.py migrate --noinput
	DEBUG=true $(PY) manage.py seed_demo

# Web server and a Celery worker with embedded beat. Without REDIS_URL the broker is
# kombu's filesystem transport under var/broker; with REDIS_URL it is that Redis.
# `set -m` puts each server in its own process group, so the trap can stop each group
# as a whole (runserver's autoreloader child, the worker's pool and its beat) and
# Ctrl-C — or either server dying — stops everything.
run: seed
	@set -m; export DEBUG=true TESTING=; \
	$(PY) manage.py runserver $(HOST):$(PORT) & web=$$!; \
	$(VENV)/bin/celery -A config worker -B --loglevel INFO --concurrency 2 & worker=$$!; \
	stop() { \
	  trap - INT TERM EXIT; \
	  kill -TERM -- -$$web 2>/dev/null; kill -TERM $$worker 2>/dev/null; \
	  for _ in $$(seq 40); do \
	    kill -0 -- -$$web 2>/dev/null || kill -0 -- -$$worker 2>/dev/null || break; sleep 0.25; \
	  done; \
	  kill -KILL -- -$$web -$$worker 2>/dev/null; wait; true; \
	}; \
	trap 'stop; exit 130' INT TERM; trap stop EXIT; \
	sleep 3; \
	echo; echo "==> http://$(HOST):$(PORT)/  broker: $${REDIS_URL:-filesystem (var/broker)}  Ctrl-C stops web, worker and beat"; \
	$(PY) manage.py seed_demo --logins-only; \
	wait -n; status=$$?; echo "==> a server stopped (exit $$status); stopping the rest"; exit $$status

test: install
	TESTING=true $(PY) -m pytest -q

# Style, formatting, the import contracts in pyproject.toml, and the types (django-stubs).
lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	TESTING=true $(VENV)/bin/mypy
