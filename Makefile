# Two commands for a newcomer: `make demo` (install + run on a fixture), `make test`.
VENV    ?= .venv
PYTHON  ?= python3
PY      := $(VENV)/bin/python
SHARED  ?= $(abspath ../shared)
export DDD_LLM_ONNX_DIR ?= $(SHARED)/models/all-MiniLM-L6-v2/onnx

.PHONY: install demo test test-fast lint clean mermaid browser lock rebuild-llama

LOCK    := requirements/lock.txt
UV      := uv==0.13.9

# Every package at the version CI tested (requirements/lock.txt, refreshed by `make lock`).
# llama-cpp-python comes only from the portable wheel scripts/llama-wheel.sh builds (never from
# pip's cache, which may hold a -march=native build); the smoke test then proves the installed
# library generates a token, and the install fails with the reason if it cannot.
$(VENV)/.installed: pyproject.toml $(LOCK) scripts/llama-wheel.sh
	@rm -f $@
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q -c $(LOCK) pip
	@house="$$(scripts/llama-wheel.sh $(PY))" && \
	  $(PY) -m pip install -q --no-deps --no-index --find-links "$$house" \
	    "$$(grep '^llama-cpp-python==' $(LOCK))"
	$(PY) -m pip install -q -c $(LOCK) -e '.[dev,local,ray]'
	$(PY) -m ddd_llm.llm.local_worker --smoke
	touch $@

install: $(VENV)/.installed

# Mermaid's own parser (Node.js + jsdom) checks escalation.md's flowcharts in tests/integration/test_mermaid.py;
# without npm the test skips and says why.
MERMAID := tests/mermaid/node_modules/.package-lock.json
$(MERMAID): tests/mermaid/package.json tests/mermaid/package-lock.json
	@if command -v npm >/dev/null 2>&1; then npm ci --prefix tests/mermaid --no-audit --no-fund --loglevel=error; \
	else echo "npm not found: the Mermaid parser test will be skipped"; fi

mermaid: $(MERMAID)

# Headless Chromium opens the eval HTML report in tests/e2e/test_eval.py; installed from Debian's
# package where we may (root with apt-get), else that one test skips and says why.
browser:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || \
	{ if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    (apt-get install -y -q --no-install-recommends chromium >/dev/null 2>&1 || \
	     (apt-get update -q >/dev/null 2>&1 && apt-get install -y -q --no-install-recommends chromium >/dev/null 2>&1)) || \
	    echo "could not install chromium: the HTML report test will be skipped"; \
	  else echo "chromium not found: the HTML report test will be skipped"; fi; }

# The bundled 135M model on 2 cores answers about 1 request in 8 s: the demo asks it about the best
# excerpt per fact kind (--max-chunks 1) and skips the prose pass; drop both flags for a full run.
demo: install
	$(VENV)/bin/ddd-llm extract fixtures/compose-shop --out demo-output --llm local \
	  --max-chunks 1 --no-prose
	@echo "open demo-output/runbook-daily.md and demo-output/facts.json"

# Everything: tests/unit (in memory), tests/e2e (CLI runs on fixtures, the local model included),
# tests/integration (real servers: chroma, llama.cpp, Ray, Chromium, Node). CI runs this.
test: install mermaid browser
	$(VENV)/bin/pytest -q

# The unit tier alone: no model, no network, no embedding; under a minute on 2 cores.
test-fast: install
	$(VENV)/bin/pytest -q tests/unit

# ruff and mypy --strict (CI runs this too, before the tests).
lint: install
	$(VENV)/bin/ruff check ddd_llm tests benchmarks
	$(VENV)/bin/ruff format --check ddd_llm tests benchmarks
	$(VENV)/bin/mypy

# Refresh the lock after changing dependencies in pyproject.toml (then run `make test`).
lock:
	$(PYTHON) -m venv .lock-venv && .lock-venv/bin/pip install -q $(UV)
	.lock-venv/bin/uv pip compile pyproject.toml --extra dev --extra local --extra ray \
	  --universal --python-version 3.11 --upgrade --custom-compile-command "make lock" -o $(LOCK)
	rm -rf .lock-venv

# Rebuild the portable llama-cpp-python wheel (e.g. after moving to another CPU family).
rebuild-llama:
	DDD_LLM_REBUILD_LLAMA=1 scripts/llama-wheel.sh $(PYTHON) >/dev/null
	rm -f $(VENV)/.installed
	$(MAKE) install

clean:
	rm -rf demo-output .pytest_cache .mypy_cache .ruff_cache tests/mermaid/node_modules
