# Two commands on a fresh clone: `make book` and `make test`. Both set up .venv first and are
# idempotent: the environment is rebuilt only when pyproject.toml or the lock changes.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# A CPU build is enough for every chapter; CUDA is used automatically when present.
# Override for another build, e.g. `make test TORCH=torch`.
TORCH ?= torch==2.13.0
# Exact versions of everything else, the environment the committed outputs were made with.
# `make lock` refreshes it; `make test LOCK=` installs from pyproject's lower bounds instead.
LOCK ?= requirements-lock.txt
LOCK_PYTHON := $(shell sed -n 's/^# python: //p' requirements-lock.txt)
export RECSYS_DATA_HOME ?= $(abspath ../shared/data)
NOTEBOOKS := $(sort $(wildcard notebooks/*.ipynb))
# The book's scripts for diagrams (mermaid) and formulas (MathJax), fetched once from the npm
# registry and served from the built book itself, so that it renders offline (no CDN).
VENDOR := .vendor/js
VENDORED := $(VENDOR)/mermaid.min.js $(VENDOR)/tex-svg-full.js
JB_FLAGS := -n -W --keep-going

.PHONY: install lock book book-committed test test-unit test-notebooks test-seeds test-book \
	execute lint clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml $(LOCK)
	@if [ -n "$(LOCK)" ]; then \
	  have=$$($(PYTHON) -c 'import sys; print("%d.%d" % sys.version_info[:2])'); \
	  if [ "$$have" != "$(LOCK_PYTHON)" ]; then \
	    echo "$(LOCK) was made with Python $(LOCK_PYTHON) but $(PYTHON) is $$have:"; \
	    echo "  use PYTHON=python$(LOCK_PYTHON), or LOCK= to install from pyproject's lower"; \
	    echo "  bounds (the notebooks' figures may then differ in the last digits)."; \
	    exit 1; \
	  fi; \
	fi
	rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet "$(TORCH)" $(if $(LOCK),-c $(LOCK))
	$(BIN)/python -m pip install --quiet -e ".[book,test]" $(if $(LOCK),-c $(LOCK))
	touch $@

# Resolve the newest releases allowed by pyproject.toml in a scratch environment and write
# them as exact pins (torch stays with TORCH). Then `make execute` and commit both.
lock:
	rm -rf .lock-venv
	$(PYTHON) -m venv .lock-venv
	.lock-venv/bin/python -m pip install --quiet "$(TORCH)"
	.lock-venv/bin/python -m pip install --quiet -e ".[book,test]"
	{ echo "# Exact versions for make install (pip constraints); refresh with make lock."; \
	  .lock-venv/bin/python -c 'import sys; print("# python: %d.%d" % sys.version_info[:2])'; \
	  .lock-venv/bin/python -m pip freeze --exclude-editable | grep -v -i '^torch=='; \
	} > requirements-lock.txt.tmp
	mv requirements-lock.txt.tmp requirements-lock.txt
	rm -rf .lock-venv

# $(call npm_file,package@version,file inside its tarball,sha256 of that file)
define npm_file
	@command -v npm >/dev/null || { echo "npm is needed once to fetch $(1) (or put its"\
	  "$(2) at $@)"; exit 1; }
	rm -rf $@.tmp && mkdir -p $@.tmp
	cd $@.tmp && npm pack --silent $(1) >/dev/null && tar -xzf *.tgz $(2)
	echo "$(3)  $@.tmp/$(2)" | sha256sum --check --quiet
	mv $@.tmp/$(2) $@ && rm -rf $@.tmp
endef

$(VENDOR)/mermaid.min.js:
	$(call npm_file,mermaid@11.12.1,package/dist/mermaid.min.js,198b19442f86f0b46a17e56d3abf744c3a28a3427e66fa8dada3b589a77babcc)

$(VENDOR)/tex-svg-full.js:
	$(call npm_file,mathjax@3.2.2,package/es5/tex-svg-full.js,a4354ff94fd868aea0cc6eaaa79a57fda0588646fc46ee3700a349ee0a11cbe6)

# The book for readers: notebooks whose code changed are executed (Jupyter Book cache).
book: install $(VENDORED)
	$(BIN)/jupyter-book build . $(JB_FLAGS)
	@echo "The book is built: open $(abspath _build/html/index.html)"

# The book from the committed outputs as they are (what nbval has just verified): no execution.
book-committed: install $(VENDORED)
	sed 's/^\(  execute_notebooks:\).*/\1 "off"/' _config.yml > _build_config.yml
	$(BIN)/jupyter-book build . $(JB_FLAGS) --config _build_config.yml; \
	  status=$$?; rm -f _build_config.yml; exit $$status

test: test-unit test-notebooks test-book

test-unit: install
	$(BIN)/python -m pytest -m "not notebooks and not book" tests

# nbval: a fresh run of every committed notebook must reproduce its outputs; then papermill
# runs with other parameters that assert the recorded figures.
test-notebooks: install
	$(BIN)/python -m pytest --nbval --nbval-current-env $(NOTEBOOKS) \
		--nbval-sanitize-with tests/notebooks/sanitize.cfg --durations=12
	$(BIN)/python -m pytest -m "notebooks and not extra_seeds" tests --durations=20

# Papermill runs at further seeds that CI leaves out to keep within its time (about 15 minutes
# on the 2-core Xeon): run them before changing what a chapter claims holds at every seed.
test-seeds: install
	$(BIN)/python -m pytest -m extra_seeds tests --durations=20

# The built book as a reader sees it, offline, in headless Chromium.
test-book: book-committed
	$(BIN)/python -m pytest -m book tests

# Re-run every notebook in place with its default parameters (refreshes committed outputs).
execute: install
	$(BIN)/python -m recsys_helpers.execute $(NOTEBOOKS)

lint: install
	$(BIN)/ruff check recsys_helpers tests benchmarks book/_ext

clean:
	rm -rf _build
