# Two commands do all the set-up: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8501

.PHONY: run test install install-dev lint bench demo clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt $(VENV)/.installed
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

## Start the dashboard on http://localhost:$(PORT) (demo data is loaded into an empty store on first start).
run: install
	$(BIN)/python -m ui.serve --server.port $(PORT)

## Run the whole suite: the import contract and ruff (pyproject.toml), then unit, app (AppTest),
## real files, and the browser tests (Chromium).
test: install-dev lint
	$(BIN)/python -m pytest -q -n 2 --dist loadfile tests

## The rules a command checks: the import contract (analytics one way down, no streamlit in the core) and ruff.
lint: install-dev
	$(BIN)/lint-imports --no-cache
	$(BIN)/ruff check .

bench: install-dev
	$(BIN)/python bench/ingest.py

demo: install
	$(BIN)/python -m analytics demo

clean:
	rm -rf $(VENV) .pytest_cache
