# The two set-up commands (see README): each makes its own virtual environment.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DEMO_OUT ?= demo-output

.PHONY: demo test lint install browser clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# A regular (non-editable) install, so the tests run against what a wheel ships.
install: $(BIN)/python
	$(BIN)/python -m pip install --quiet ".[test]"

# The report test opens the HTML in Debian's chromium (and the charts want
# fonts-noto-cjk for Chinese labels). Install them when missing and allowed
# (root with apt-get); otherwise that one test is skipped and says why.
browser:
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && \
		{ apt-get install -y -q chromium fonts-noto-cjk >/dev/null 2>&1 || \
		  { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q chromium fonts-noto-cjk >/dev/null 2>&1; }; }; } || \
		echo "chromium is not installed and cannot be: the browser test will be skipped"

test: install browser
	$(BIN)/python -m ruff check src tests benchmarks cli.py
	$(BIN)/python -m pytest -q

demo: install
	$(BIN)/literacy demo --out $(DEMO_OUT) --force

lint: install
	$(BIN)/python -m ruff check src tests benchmarks cli.py

clean:
	rm -rf $(VENV) build dist src/*.egg-info $(DEMO_OUT)
