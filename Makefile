# Two commands for a newcomer: `make book` and `make test`. Each creates .venv
# and installs the pinned tools the first time (or when a requirements file changes).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# The notebooks are checked in a kernel from a second, Binder-like environment
# made from requirements.txt alone: a notebook that needs anything else fails.
BINDER ?= _build/binder-env
KERNEL ?= stdlib-book-binder
PYVER   = $(shell $(PYTHON) -c 'import sys; print("%d.%d" % sys.version_info[:2])')
# `make nbval NOTEBOOKS=...` checks some notebooks only.
NOTEBOOKS ?= notebooks
NBVAL_STATS ?= _build/execution-stats-py$(PYVER).json
NBVAL  = --nbval --nbval-kernel-name $(KERNEL) --nbval-sanitize-with tests/sanitize.cfg \
          --nbval-cell-timeout 600 --execution-stats $(NBVAL_STATS) \
          --execution-environment "a fresh virtual environment made from requirements.txt alone"
# Chapters whose verdicts depend on how many CPUs there are: `make test` checks
# them again with every CPU after the one-CPU run of every notebook.
PARALLEL_CHAPTERS := notebooks/02-core-system-utilities.ipynb notebooks/03-concurrency.ipynb \
          notebooks/04-data-handling.ipynb notebooks/10-performance.ipynb
# The Pythons besides this one that the book supports, run in a Debian sid chroot.
PYTHONS := 3.13 3.14 3.15
CHROOT  := _build/pythons-chroot
# Two CPUs or more: `make test` runs the notebooks pinned to CPU 0 (one CPU, as
# on Binder) while the other checks run pinned to CPU 1, so neither slows the other.
CPUS   := $(shell nproc 2>/dev/null || echo 1)
PINNING := $(if $(and $(shell command -v taskset),$(filter-out 0 1,$(CPUS))),yes)
PIN      = $(if $(PINNING),taskset -c $(1))
# Browser checks and the PDF use Debian's Chromium, installed once by `make chromium`.
CHROMIUM ?= /usr/bin/chromium
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# Every Python started by the checks (kernels and their children too) loads the
# network guard: a connection to anything but loopback fails and is logged.
GUARD  := PYTHONPATH=$(CURDIR)/tests/netguard NETGUARD_LOG=$(CURDIR)/_build/netguard.log
SUPPORTED := 3.11 3.13 3.14 3.15
comma := ,
space := $(subst ,, )
CHROOT_PACKAGES := make ca-certificates $(foreach v,$(PYTHONS),python$(v) python$(v)-venv)

.PHONY: help venv binder-env chromium book serve test checks lint unit nbval notebooks \
        notebooks-clean test-one-cpu test-pythons pythons-chroot book-strict browser \
        pdf pdf-check outputs reference bench fuzz clean lab jupyterlab links reader-routes

help:
	@echo "make book          build the HTML book into _build/html"
	@echo "make serve         serve the built book on http://127.0.0.1:8000"
	@echo "make test          every check: lint, unit tests and doctests, every notebook run"
	@echo "                   twice and compared (on one CPU), the parallel chapters again on"
	@echo "                   every CPU, strict build, browser, PDF, every chapter run in JupyterLab"
	@echo "make test-pythons  unit tests and nbval under Python $(PYTHONS) (Debian sid chroot, root)"
	@echo "make lab           JupyterLab on the notebooks (127.0.0.1), in the environment Binder builds"
	@echo "make jupyterlab    every chapter run in JupyterLab in headless Chromium (part of make test)"
	@echo "make reader-routes the how-to page's routes to JupyterLab, run as printed (slow; not in make test)"
	@echo "make pdf           the whole book as one PDF: _build/pdf/book.pdf"
	@echo "make outputs       re-execute every notebook and store its outputs"
	@echo "make reference     regenerate book/modules.md from the package data and the notebooks"
	@echo "make links         write the notebooks' references to other pages as links to the book"
	@echo "make bench         measure the speed goals (wall clock; not part of make test)"
	@echo "make fuzz          the property tests with new random examples (not part of make test)"

venv: $(STAMP)
$(STAMP): requirements.txt requirements-dev.txt pyproject.toml
	@$(PYTHON) -c 'import sys; v = "%d.%d" % sys.version_info[:2]; sys.exit(0 if v in "$(SUPPORTED)".split() else f"Python {v} is not supported: use one of $(SUPPORTED)")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

# As Binder builds it: a new environment from binder/requirements.txt (which is
# requirements.txt), installed from the repository's root, plus a kernel. The
# package must stay an editable install, as on Binder (tests/test_binder.py).
binder-env: $(BINDER)/.installed
$(BINDER)/.installed: requirements.txt binder/requirements.txt pyproject.toml
	rm -rf $(BINDER)
	$(PYTHON) -m venv $(BINDER)
	$(BINDER)/bin/python -m pip install --quiet --upgrade pip
	$(BINDER)/bin/python -m pip install --quiet -r binder/requirements.txt
	cd / && $(CURDIR)/$(BINDER)/bin/python -c 'import pathlib, stdlib_book, sys; \
	    src = pathlib.Path(stdlib_book.__file__).resolve().parent.parent; \
	    sys.exit(None if src == pathlib.Path("$(CURDIR)/src") else f"not editable: {src}")'
	$(BINDER)/bin/python -m ipykernel install --prefix $(CURDIR)/$(BINDER) --name $(KERNEL) \
	    --display-name "Python 3 (requirements.txt only)" > /dev/null
	touch $@

# A system package: installed with apt-get when missing (as root, or with sudo).
chromium: $(CHROMIUM)
$(CHROMIUM):
	@command -v apt-get > /dev/null || { echo "Install Chromium and set CHROMIUM=/path/to/it"; exit 1; }
	$(SUDO) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium > /dev/null

# The statistics page shows the notebook runs recorded when the build starts.
SNAPSHOT_STATS := rm -rf _build/stats-for-book && mkdir -p _build/stats-for-book && \
    for f in _build/execution-stats*.json; do [ ! -e "$$f" ] || cp "$$f" _build/stats-for-book/; done

book: $(STAMP)
	@$(SNAPSHOT_STATS)
	$(BIN)/jupyter-book build . --path-output . -W --keep-going
	@echo "The book is in _build/html: open file://$(CURDIR)/_build/html/index.html or run 'make serve'."

serve: book
	$(BIN)/python -m http.server --bind 127.0.0.1 --directory _build/html 8000

# The notebooks (one CPU) and the other checks (another CPU) side by side, then
# the chapters that measure parallelism again with every CPU, then every
# chapter in JupyterLab beside the book's rebuild (Sphinx keeps one CPU busy;
# nothing there measures speed), then the statistics page of this run checked.
test: venv binder-env chromium
	@mkdir -p _build
	$(MAKE) --no-print-directory $(if $(PINNING),-j2 --output-sync=target) test-one-cpu checks
	$(MAKE) --no-print-directory nbval NOTEBOOKS="$(PARALLEL_CHAPTERS)"
	$(MAKE) --no-print-directory $(if $(PINNING),-j2 --output-sync=target) book-strict jupyterlab
	CHROMIUM=$(CHROMIUM) $(BIN)/python -m pytest -q -m browser tests/browser/test_book_in_browser.py -k statistics
	@echo "make test: every check passed."

# The statistics page is checked after the notebook run, not against an older one.
checks:
	$(call PIN,1) $(MAKE) --no-print-directory lint unit book-strict browser pdf-check \
	    BROWSER_ARGS="-k 'not statistics'"

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/bandit -q -r src --severity-level medium

unit: $(STAMP)
	@mkdir -p _build
	$(GUARD) $(BIN)/python -m pytest tests src

# Plain nbval: each notebook once, compared cell by cell with its stored outputs.
nbval: $(STAMP) $(BINDER)/.installed
	@mkdir -p _build && rm -f _build/netguard.log
	$(GUARD) JUPYTER_PATH=$(CURDIR)/$(BINDER)/share/jupyter $(BIN)/python -m pytest $(NBVAL) $(NOTEBOOKS)

# Every notebook in the Binder-like kernel, compared with its stored outputs as
# nbval compares them, then run again in the same kernel and compared again,
# leaving no files, processes or ports (tests/test_notebook_hygiene.py).
notebooks: $(STAMP) $(BINDER)/.installed
	@mkdir -p _build && rm -f _build/netguard.log
	$(GUARD) JUPYTER_PATH=$(CURDIR)/$(BINDER)/share/jupyter BOOK_KERNEL=$(KERNEL) \
	    $(BIN)/python -m pytest -m slow tests/test_notebook_hygiene.py \
	    --execution-stats _build/execution-stats.json \
	    --execution-environment "a fresh virtual environment made from requirements.txt alone"
notebooks-clean: notebooks

# As on Binder: every notebook with its kernel limited to one CPU (Linux: taskset).
test-one-cpu:
	taskset -c 0 $(MAKE) --no-print-directory notebooks

# Python 3.13, 3.14 and 3.15 from Debian sid, in a chroot made once under _build
# (root only: debootstrap, chroot and mount namespaces; see tools/in-chroot).
# Each version gets its own pair of environments under _build/py3.N/.
test-pythons: pythons-chroot
	@failed=; for v in $(PYTHONS); do \
	  echo "== Python $$v: unit tests and nbval"; \
	  tools/in-chroot $(CHROOT) make -C /book --no-print-directory -k PYTHON=python$$v \
	      VENV=_build/py$$v/venv BINDER=_build/py$$v/binder-env unit nbval || failed="$$failed $$v"; \
	done; \
	if [ -n "$$failed" ]; then echo "make test-pythons: failed on Python$$failed"; exit 1; fi
	@echo "make test-pythons: Python $(PYTHONS) passed."

pythons-chroot: $(CHROOT)/.built
$(CHROOT)/.built:
	@[ "$$(id -u)" = 0 ] || { echo "make test-pythons needs root (debootstrap, chroot, namespaces)"; exit 1; }
	command -v debootstrap > /dev/null || { apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap > /dev/null; }
	rm -rf $(CHROOT) && mkdir -p _build
	debootstrap --variant=minbase \
	    --include=$(subst $(space),$(comma),$(CHROOT_PACKAGES)) \
	    sid $(CHROOT) http://deb.debian.org/debian > _build/debootstrap.log
	touch $@

book-strict: $(STAMP)
	rm -rf _build/html _build/.doctrees
	@$(SNAPSHOT_STATS)
	$(BIN)/jupyter-book build . --path-output . -W --keep-going

# Every page in headless Chromium: loads cleanly, links, plots, math, search,
# hidden solutions, launch buttons; screenshots in _build/screenshots.
browser: $(STAMP) $(CHROMIUM)
	@test -f _build/html/index.html || $(MAKE) book-strict
	CHROMIUM=$(CHROMIUM) $(BIN)/python -m pytest -m browser tests/browser/test_book_in_browser.py $(BROWSER_ARGS)

# JupyterLab on the notebooks in the environment Binder builds (requirements.txt
# alone), on 127.0.0.1 only; it prints its address with a token. Ctrl+C stops it.
lab: $(BINDER)/.installed
	$(BINDER)/bin/jupyter lab --ip=127.0.0.1 notebooks/

# Every chapter run in JupyterLab (from the Binder-like environment) in headless
# Chromium, as a reader runs it: tests/browser/test_notebooks_in_jupyterlab.py;
# screenshots in _build/screenshots. Its time is printed on its own line.
jupyterlab: $(STAMP) $(BINDER)/.installed $(CHROMIUM)
	@start=$$(date +%s); \
	CHROMIUM=$(CHROMIUM) $(BIN)/python -m pytest -m browser tests/browser/test_notebooks_in_jupyterlab.py; \
	status=$$?; echo "make jupyterlab: $$(( $$(date +%s) - start )) s"; exit $$status

# The how-to page's two routes to JupyterLab (with make, without), run as printed
# in a fresh clone of this repository's HEAD, each building its environment
# from the package registry (tests/test_reader_routes.py; several minutes).
reader-routes: $(STAMP)
	$(BIN)/python -m pytest -m slow tests/test_reader_routes.py

pdf: $(STAMP) $(CHROMIUM)
	@test -f _build/html/index.html || $(MAKE) book-strict
	CHROMIUM=$(CHROMIUM) $(BIN)/python tools/make_pdf.py _build/html _build/pdf/book.pdf

pdf-check: pdf
	$(BIN)/python -m pytest -m browser tests/browser/test_pdf.py

outputs: $(STAMP)
	$(GUARD) $(BIN)/python tools/store_outputs.py notebooks/*.ipynb

reference: $(STAMP)
	$(BIN)/python tools/gen_modref.py

# Cross-page {term}, {doc} and {ref} in the notebooks written as links to the
# rendered book, so that they work in JupyterLab (tools/book_links.py; it reads
# the built book's objects.inv). Running it again changes nothing.
links: $(STAMP)
	@test -f _build/html/objects.inv || $(MAKE) --no-print-directory book
	$(BIN)/python tools/book_links.py --write notebooks/*.ipynb

# Speed goals, measured against the clock: noisy on a busy machine, so kept out of `make test`.
# Property tests with new random examples each run, many more of them (make test
# draws the same ones every run; see tests/conftest.py). Not part of make test.
fuzz: $(STAMP)
	@mkdir -p _build
	$(GUARD) HYPOTHESIS_PROFILE=explore $(BIN)/python -m pytest tests

bench: $(STAMP)
	@mkdir -p _build
	$(GUARD) $(BIN)/python tools/bench.py

clean:
	rm -rf _build
