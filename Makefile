# Every target installs what it needs first: `make console` and `make test` work on a fresh clone.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
QA := bench/data/cmrc2018

.PHONY: install console bot test test-each test-lowest lint format bench eval calibrate clean

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
	$(BIN)/pytest -q -n 2

# Each test file in a process of its own: no test may rely on another file having run first.
test-each: $(STAMP)
	@set -e; for f in tests/test_*.py; do printf '%s: ' $$f; $(BIN)/pytest -q -p no:cacheprovider $$f | tail -n 1; done

# The suite against the lowest version of every dependency that pyproject.toml allows.
test-lowest:
	rm -rf .venv-lowest
	$(PYTHON) -m venv .venv-lowest
	.venv-lowest/bin/pip install --quiet --upgrade pip
	$(PYTHON) .ci/lowest.py > .venv-lowest/constraints.txt
	.venv-lowest/bin/pip install --quiet -c .venv-lowest/constraints.txt -e '.[dev]'
	.venv-lowest/bin/pytest -q

lint: $(STAMP)
	$(BIN)/ruff check src tests bench bot.py
	$(BIN)/ruff format --check src tests bench bot.py

format: $(STAMP)
	$(BIN)/ruff format src tests bench bot.py
	$(BIN)/ruff check --fix src tests bench bot.py

bench: $(STAMP)
	$(BIN)/python bench/agreement.py
	$(BIN)/python bench/parallel.py
	$(BIN)/python bench/run.py
	$(BIN)/python bench/soak.py
	$(BIN)/python bench/extractors.py
	$(BIN)/python bench/subscriptions.py
	$(BIN)/python bench/pushes.py
	$(BIN)/python bench/peers.py

eval: $(STAMP)
	$(BIN)/python bench/quality.py --qa $(QA)

# Refit the confidence model on the labelled sets (src/newsbot/resources/calibration.yaml).
calibrate: $(STAMP)
	$(BIN)/python bench/calibrate.py --write

clean:
	rm -rf $(VENV) .venv-lowest data .pytest_cache .ruff_cache
