# Two commands set everything up on a fresh machine: `make demo` and `make test`.
# Each creates .venv if missing and installs what it needs (pinned by constraints.txt).

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip install --disable-pip-version-check -q -c constraints.txt
DEPS   := pyproject.toml constraints.txt

.PHONY: demo test test-fast bench lint docs clean chromium

$(PY):
	$(PYTHON) -m venv $(VENV)

$(VENV)/.demo-installed: $(DEPS) | $(PY)
	$(PIP) -e '.[torch,plot,report]'
	$(VENV)/bin/seqlab warm-up -q  # compile the numba kernels into the cache once (bench/first_run.py)
	touch $@

$(VENV)/.test-installed: $(DEPS) | $(PY)
	$(PIP) -e '.[torch,plot,test,report]'
	touch $@

# The n-gram vs neural comparison on kjv with a small budget: the table, samples, and report/index.html.
DEMO_BUDGET ?= 20
demo: $(VENV)/.demo-installed
	$(VENV)/bin/seqlab compare lm --data kjv --models ngram:order=3 ngram:order=5 lstm transformer \
	  mix:ngram:order=5+lstm --budget $(DEMO_BUDGET) --prompt "in the beginning" --report report --force

# The report's browser test needs headless Chromium: install Debian's package where we can,
# otherwise say why (the test then skips with that reason).
chromium:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || \
	  { SUDO=$$( [ "$$(id -u)" = 0 ] || echo "sudo -n" ); \
	    ( $$SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q \
	      --no-install-recommends chromium ) >/dev/null 2>&1 \
	    && echo "make test: installed chromium for the report's browser test" \
	    || echo "make test: could not install chromium (apt-get needs root); the browser test will be skipped" >&2; }

# pytest exits 5 when it collected no test: treat that as a failure, never as a pass.
test: $(VENV)/.test-installed chromium
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
	$(PY) -m ruff check src tests bench examples scripts
	$(PY) -m mypy --strict src/seqlab

clean:
	rm -rf $(VENV) build *.egg-info src/*.egg-info .pytest_cache
