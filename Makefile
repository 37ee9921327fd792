# Two commands set everything up on a fresh machine: `make demo` and `make test`.
# Each creates .venv if missing and installs what it needs (pinned by constraints.txt).

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip install --disable-pip-version-check -q -c constraints.txt
DEPS   := pyproject.toml constraints.txt

.PHONY: demo test test-fast bench lint docs clean

$(PY):
	$(PYTHON) -m venv $(VENV)

$(VENV)/.demo-installed: $(DEPS) | $(PY)
	$(PIP) -e '.[torch,plot]'
	$(VENV)/bin/seqlab warm-up -q  # compile the numba kernels into the cache once (bench/first_run.py)
	touch $@

$(VENV)/.test-installed: $(DEPS) | $(PY)
	$(PIP) -e '.[torch,plot,test]'
	touch $@

demo: $(VENV)/.demo-installed
	$(VENV)/bin/seqlab demo

# pytest exits 5 when it collected no test: treat that as a failure, never as a pass.
test: $(VENV)/.test-installed
	$(PY) -m pytest -q; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "make test: no tests were collected" >&2; exit 1; fi; exit $$rc

test-fast: $(VENV)/.test-installed
	$(PY) -m pytest -q -m "not slow"

bench: $(VENV)/.test-installed
	$(PIP) -e '.[torch,test,bench]'
	for b in bench/*.py; do $(PY) $$b || exit 1; done

# The guides and the API reference (MkDocs + mkdocstrings), built offline into build/site; warnings fail.
docs: $(VENV)/.test-installed
	$(PY) -m mkdocs build --strict

lint: $(VENV)/.test-installed
	$(PIP) -e '.[dev]'
	$(PY) -m ruff check src tests bench examples

clean:
	rm -rf $(VENV) build *.egg-info src/*.egg-info .pytest_cache
