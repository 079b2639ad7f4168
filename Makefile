# Two commands for a newcomer: `make book` and `make test`. Each creates .venv
# and installs the pinned tools the first time (or when a requirements file changes).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
NBVAL  := --nbval --nbval-current-env --nbval-sanitize-with tests/sanitize.cfg --nbval-cell-timeout 600
# Every Python started by the checks (kernels and their children too) loads the
# network guard: a connection to anything but loopback fails and is logged.
GUARD  := PYTHONPATH=$(CURDIR)/tests/netguard NETGUARD_LOG=$(CURDIR)/_build/netguard.log

.PHONY: help venv book serve test lint unit notebooks-stored nbval notebooks-clean book-strict outputs bench clean

help:
	@echo "make book     build the HTML book into _build/html"
	@echo "make serve    serve the built book on http://127.0.0.1:8000"
	@echo "make test     every check: lint, unit tests, doctests, notebooks, strict build"
	@echo "make outputs  re-execute every notebook and store its outputs"
	@echo "make bench    measure the speed goals (wall clock; not part of make test)"

venv: $(STAMP)
$(STAMP): requirements.txt requirements-dev.txt pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

book: $(STAMP)
	$(BIN)/jupyter-book build . --path-output . -W --keep-going
	@echo "The book is in _build/html: open file://$(CURDIR)/_build/html/index.html or run 'make serve'."

serve: book
	$(BIN)/python -m http.server --bind 127.0.0.1 --directory _build/html 8000

test: lint unit nbval notebooks-clean book-strict
	@echo "make test: every check passed."

lint: $(STAMP)
	$(BIN)/ruff check .

unit: $(STAMP)
	@mkdir -p _build
	$(GUARD) $(BIN)/python -m pytest tests src

nbval: $(STAMP)
	@mkdir -p _build && rm -f _build/netguard.log
	$(GUARD) $(BIN)/python -m pytest $(NBVAL) notebooks

notebooks-clean: $(STAMP)
	@mkdir -p _build
	$(GUARD) $(BIN)/python -m pytest -m slow tests/test_notebook_hygiene.py

book-strict: $(STAMP)
	rm -rf _build/html _build/.doctrees
	$(BIN)/jupyter-book build . --path-output . -W --keep-going

outputs: $(STAMP)
	$(GUARD) $(BIN)/python tools/store_outputs.py notebooks/*.ipynb

# Speed goals, measured against the clock: noisy on a busy machine, so kept out of `make test`.
bench: $(STAMP)
	@mkdir -p _build
	$(GUARD) $(BIN)/python tools/bench.py

clean:
	rm -rf _build
