# The two set-up commands (see README): each makes its own virtual environment.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DEMO_OUT ?= demo-output

.PHONY: demo test lint install browser fonts office schemas docs clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# A regular (non-editable) install, so the tests run against what a wheel ships.
install: $(BIN)/python
	$(BIN)/python -m pip install --quiet ".[test]"

# Install Debian packages when missing and allowed (root with apt-get; apt-get
# update only when the first try fails); $(1) a test that they are there,
# $(2) the packages, $(3) what happens without them.
apt_install = $(1) || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && \
	{ apt-get install -y -q $(2) >/dev/null 2>&1 || \
	  { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q $(2) >/dev/null 2>&1; }; }; } || \
	echo "$(2) is not installed and cannot be: $(3)"

# The report test opens the HTML in Debian's chromium; otherwise that one test
# is skipped and says why.
browser:
	@$(call apt_install,command -v chromium >/dev/null 2>&1,chromium,the browser test will be skipped)

# The charts' Chinese labels want a CJK font (the report finds it by its file).
fonts:
	@$(call apt_install,[ -n "$$(fc-list :lang=zh file 2>/dev/null)" ],fonts-noto-cjk,the charts will have English labels)

# The Word report's PDF check converts it with LibreOffice, and the PDF tests
# render pages with poppler (pdftoppm, pdftotext); without them those tests
# are skipped and say why.
office:
	@$(call apt_install,command -v soffice >/dev/null 2>&1 && command -v pdftoppm >/dev/null 2>&1,libreoffice-writer-nogui poppler-utils,the LibreOffice and PDF page tests will be skipped)

test: install browser fonts office
	$(BIN)/python -m ruff check src tests benchmarks cli.py
	$(BIN)/python -m pytest -q

demo: install fonts
	$(BIN)/literacy demo --out $(DEMO_OUT) --force

lint: install
	$(BIN)/python -m ruff check src tests benchmarks cli.py

# The JSON Schemas of instruments, plans and run configurations, regenerated
# from their one definition (src/literacy/schemas.py) into the source tree.
schemas: install
	PYTHONPATH=src $(BIN)/python -c "from literacy.schemas import write_schemas; write_schemas('src/literacy/reference/schemas')"

# The API reference: pdoc renders the docstrings of the public API
# (literacy.__all__) into docs/api/ (not committed; open docs/api/literacy.html).
docs: install
	$(BIN)/python -m pdoc --docformat markdown -o docs/api literacy

clean:
	rm -rf $(VENV) build dist src/*.egg-info $(DEMO_OUT)
