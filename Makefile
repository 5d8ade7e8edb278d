# Every target installs what it needs first: `make console` and `make test` work on a fresh clone.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
QA := ../shared/qa

.PHONY: install console bot test lint format bench eval clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

console: $(STAMP)
	$(BIN)/newsbot console

bot: $(STAMP)
	$(BIN)/newsbot bot

test: $(STAMP)
	$(BIN)/pytest -q

lint: $(STAMP)
	$(BIN)/ruff check src tests bench bot.py
	$(BIN)/ruff format --check src tests bench bot.py

format: $(STAMP)
	$(BIN)/ruff format src tests bench bot.py
	$(BIN)/ruff check --fix src tests bench bot.py

bench: $(STAMP)
	$(BIN)/python bench/agreement.py
	$(BIN)/python bench/run.py
	$(BIN)/python bench/soak.py

eval: $(STAMP)
	$(BIN)/python bench/quality.py --qa $(QA)

clean:
	rm -rf $(VENV) data .pytest_cache .ruff_cache
