# The two set-up commands (see README): each makes its own virtual environment.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DEMO_OUT ?= demo-output

.PHONY: demo test lint install clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# A regular (non-editable) install, so the tests run against what a wheel ships.
install: $(BIN)/python
	$(BIN)/python -m pip install --quiet ".[test]"

test: install
	$(BIN)/python -m ruff check src tests benchmarks cli.py
	$(BIN)/python -m pytest -q

demo: install
	mkdir -p $(DEMO_OUT)
	$(BIN)/literacy validate sample_data/responses-spss.sav -q cast-2024 -o $(DEMO_OUT)/clean.csv --force
	$(BIN)/literacy score $(DEMO_OUT)/clean.csv -q cast-2024 -o $(DEMO_OUT)/scored.csv --force
	$(BIN)/literacy estimate $(DEMO_OUT)/scored.csv --outcome literate --by city --format table
	@echo "Validated, scored and (unweighted) estimates in $(DEMO_OUT)/"

lint: install
	$(BIN)/python -m ruff check src tests benchmarks cli.py

clean:
	rm -rf $(VENV) build dist src/*.egg-info $(DEMO_OUT)
