# Two commands for a newcomer: `make demo` (install + run on a fixture), `make test`.
VENV    ?= .venv
PYTHON  ?= python3
PY      := $(VENV)/bin/python
SHARED  ?= $(abspath ../shared)
export DDD_LLM_ONNX_DIR ?= $(SHARED)/models/all-MiniLM-L6-v2/onnx

.PHONY: install demo test lint clean mermaid browser

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev,local,ray]'
	touch $@

install: $(VENV)/.installed

# Mermaid's own parser (Node.js + jsdom) checks escalation.md's flowcharts in tests/test_mermaid.py;
# without npm the test skips and says why.
MERMAID := tests/mermaid/node_modules/.package-lock.json
$(MERMAID): tests/mermaid/package.json tests/mermaid/package-lock.json
	@if command -v npm >/dev/null 2>&1; then npm ci --prefix tests/mermaid --no-audit --no-fund --loglevel=error; \
	else echo "npm not found: the Mermaid parser test will be skipped"; fi

mermaid: $(MERMAID)

# Headless Chromium opens the eval HTML report in tests/test_eval.py; installed from Debian's
# package where we may (root with apt-get), else that one test skips and says why.
browser:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || \
	{ if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    (apt-get install -y -q --no-install-recommends chromium >/dev/null 2>&1 || \
	     (apt-get update -q >/dev/null 2>&1 && apt-get install -y -q --no-install-recommends chromium >/dev/null 2>&1)) || \
	    echo "could not install chromium: the HTML report test will be skipped"; \
	  else echo "chromium not found: the HTML report test will be skipped"; fi; }

demo: install
	$(VENV)/bin/ddd-llm extract fixtures/compose-shop --out demo-output --llm local
	@echo "open demo-output/runbook-daily.md and demo-output/facts.json"

test: install mermaid browser
	$(VENV)/bin/pytest -q

lint: install
	$(VENV)/bin/ruff check ddd_llm tests benchmarks
	$(VENV)/bin/ruff format --check ddd_llm tests benchmarks
	$(VENV)/bin/mypy

clean:
	rm -rf demo-output .pytest_cache .mypy_cache .ruff_cache tests/mermaid/node_modules
