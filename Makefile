# Two commands for a newcomer: `make book` and `make test`. Each creates .venv
# and installs the pinned tools the first time (or when a requirements file changes).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# The notebooks are checked in a kernel from a second, Binder-like environment
# made from requirements.txt alone: a notebook that needs anything else fails.
BINDER := _build/binder-env
KERNEL := stdlib-book-binder
NBVAL  := --nbval --nbval-kernel-name $(KERNEL) --nbval-sanitize-with tests/sanitize.cfg \
          --nbval-cell-timeout 600 --execution-stats _build/execution-stats.json \
          --execution-environment "a fresh virtual environment made from requirements.txt alone"
# Browser checks and the PDF use Debian's Chromium, installed once by `make chromium`.
CHROMIUM ?= /usr/bin/chromium
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# Every Python started by the checks (kernels and their children too) loads the
# network guard: a connection to anything but loopback fails and is logged.
GUARD  := PYTHONPATH=$(CURDIR)/tests/netguard NETGUARD_LOG=$(CURDIR)/_build/netguard.log

.PHONY: help venv binder-env chromium book serve test lint unit nbval notebooks-clean book-strict \
        browser pdf pdf-check outputs reference bench clean

help:
	@echo "make book     build the HTML book into _build/html"
	@echo "make serve    serve the built book on http://127.0.0.1:8000"
	@echo "make test     every check: lint, unit tests, doctests, notebooks, strict build"
	@echo "make pdf      the whole book as one PDF: _build/pdf/book.pdf"
	@echo "make outputs  re-execute every notebook and store its outputs"
	@echo "make reference  regenerate book/modules.md from the package data and the notebooks"
	@echo "make bench    measure the speed goals (wall clock; not part of make test)"

venv: $(STAMP)
$(STAMP): requirements.txt requirements-dev.txt pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

# As Binder builds it: a new environment from requirements.txt, plus a kernel.
binder-env: $(BINDER)/.installed
$(BINDER)/.installed: requirements.txt pyproject.toml
	rm -rf $(BINDER)
	$(PYTHON) -m venv $(BINDER)
	$(BINDER)/bin/python -m pip install --quiet --upgrade pip
	$(BINDER)/bin/python -m pip install --quiet -r requirements.txt
	$(BINDER)/bin/python -m ipykernel install --prefix $(CURDIR)/$(BINDER) --name $(KERNEL) \
	    --display-name "Python 3 (requirements.txt only)" > /dev/null
	touch $@

# A system package: installed with apt-get when missing (as root, or with sudo).
chromium: $(CHROMIUM)
$(CHROMIUM):
	@command -v apt-get > /dev/null || { echo "Install Chromium and set CHROMIUM=/path/to/it"; exit 1; }
	$(SUDO) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium > /dev/null

book: $(STAMP)
	$(BIN)/jupyter-book build . --path-output . -W --keep-going
	@echo "The book is in _build/html: open file://$(CURDIR)/_build/html/index.html or run 'make serve'."

serve: book
	$(BIN)/python -m http.server --bind 127.0.0.1 --directory _build/html 8000

test: lint unit nbval notebooks-clean book-strict browser pdf-check
	@echo "make test: every check passed."

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/bandit -q -r src --severity-level medium

unit: $(STAMP)
	@mkdir -p _build
	$(GUARD) $(BIN)/python -m pytest tests src

nbval: $(STAMP) $(BINDER)/.installed
	@mkdir -p _build && rm -f _build/netguard.log
	$(GUARD) JUPYTER_PATH=$(CURDIR)/$(BINDER)/share/jupyter $(BIN)/python -m pytest $(NBVAL) notebooks

notebooks-clean: $(STAMP)
	@mkdir -p _build
	$(GUARD) $(BIN)/python -m pytest -m slow tests/test_notebook_hygiene.py

book-strict: $(STAMP)
	rm -rf _build/html _build/.doctrees
	$(BIN)/jupyter-book build . --path-output . -W --keep-going

# Every page in headless Chromium: loads cleanly, links, plots, math, search,
# hidden solutions, launch buttons; screenshots in _build/screenshots.
browser: $(STAMP) $(CHROMIUM)
	@test -f _build/html/index.html || $(MAKE) book-strict
	CHROMIUM=$(CHROMIUM) $(BIN)/python -m pytest -m browser tests/browser/test_book_in_browser.py

pdf: $(STAMP) $(CHROMIUM)
	@test -f _build/html/index.html || $(MAKE) book-strict
	CHROMIUM=$(CHROMIUM) $(BIN)/python tools/make_pdf.py _build/html _build/pdf/book.pdf

pdf-check: pdf
	$(BIN)/python -m pytest -m browser tests/browser/test_pdf.py

outputs: $(STAMP)
	$(GUARD) $(BIN)/python tools/store_outputs.py notebooks/*.ipynb

reference: $(STAMP)
	$(BIN)/python tools/gen_modref.py

# Speed goals, measured against the clock: noisy on a busy machine, so kept out of `make test`.
bench: $(STAMP)
	@mkdir -p _build
	$(GUARD) $(BIN)/python tools/bench.py

clean:
	rm -rf _build
