# Two commands for a newcomer: `make demo` (install + run on a fixture), `make test`.
VENV    ?= .venv
PYTHON  ?= python3
PY      := $(VENV)/bin/python
SHARED  ?= $(abspath ../shared)
export DDD_LLM_ONNX_DIR ?= $(SHARED)/models/all-MiniLM-L6-v2/onnx

.PHONY: install demo test lint clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev,local]'
	touch $@

install: $(VENV)/.installed

demo: install
	$(VENV)/bin/ddd-llm extract fixtures/compose-shop --out demo-output --llm local
	@echo "open demo-output/runbook-daily.md and demo-output/facts.json"

test: install
	$(VENV)/bin/pytest -q

lint: install
	$(VENV)/bin/ruff check ddd_llm tests
	$(VENV)/bin/ruff format --check ddd_llm tests
	$(VENV)/bin/mypy

clean:
	rm -rf demo-output .pytest_cache .mypy_cache .ruff_cache
