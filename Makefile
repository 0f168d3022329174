# Two commands on a fresh clone: `make book` and `make test`. Both set up .venv first and are
# idempotent: the environment is rebuilt only when pyproject.toml changes.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# A CPU build is enough for every chapter; CUDA is used automatically when present.
# Override for another build, e.g. `make test TORCH=torch`.
TORCH ?= torch==2.13.0
export RECSYS_DATA_HOME ?= $(abspath ../shared/data)
NOTEBOOKS := $(sort $(wildcard notebooks/*.ipynb))

.PHONY: install book test test-unit test-notebooks execute lint clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet "$(TORCH)"
	$(BIN)/python -m pip install --quiet -e ".[book,test]"
	touch $@

book: install
	$(BIN)/jupyter-book build . -n -W --keep-going
	@echo "The book is built: open $(abspath _build/html/index.html)"

test: test-unit test-notebooks

test-unit: install
	$(BIN)/python -m pytest -m "not notebooks" tests

# nbval: a fresh run of every committed notebook must reproduce its outputs; then papermill
# runs with other parameters that assert the recorded figures.
test-notebooks: install
	$(BIN)/python -m pytest --nbval --nbval-current-env $(NOTEBOOKS) \
		--nbval-sanitize-with tests/notebooks/sanitize.cfg
	$(BIN)/python -m pytest -m notebooks tests

# Re-run every notebook in place with its default parameters (refreshes committed outputs).
execute: install
	$(BIN)/python -m recsys_helpers.execute $(NOTEBOOKS)

lint: install
	$(BIN)/ruff check recsys_helpers tests benchmarks

clean:
	rm -rf _build
