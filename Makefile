# `make demo` and `make test` set everything up from nothing: a virtualenv in .venv, exact pins from
# constraints.txt (torch 2.13.0 is the CPU wheel found on this machine; see README), then the job.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
DEMO_DIR ?= demo_out
export PIP_DISABLE_PIP_VERSION_CHECK = 1

.PHONY: demo test test-fast lint bench clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -c constraints.txt -e ".[test]"
	touch $(STAMP)

demo: $(STAMP)
	$(PY) -m panoconv.demo --out $(DEMO_DIR)

test: $(STAMP)
	$(PY) -m pytest -q

# the lint CI runs before the tests: ruff (pinned in constraints.txt) with pyproject.toml's rule set
lint: $(STAMP)
	$(VENV)/bin/ruff check panoconv tests benchmarks

test-fast: $(STAMP)
	$(PY) -m pytest -q -m "not slow"

bench: $(STAMP)
	$(PY) benchmarks/run_all.py

clean:
	rm -rf $(DEMO_DIR) .pytest_cache
