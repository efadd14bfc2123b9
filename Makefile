VENV ?= .venv
PY := $(VENV)/bin/python
export TESTING ?=

.PHONY: install run test lint
install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q -e ".[dev]"
	touch $@

test: install
	TESTING=true $(PY) -m pytest -q

lint: install
	$(VENV)/bin/ruff check .
