# dailybrief: make demo | make test | make bench | make lint
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
CODE   := pipeline tests $(wildcard benchmarks)
DATA   ?= ../shared/data

.PHONY: venv demo test lint bench clean

$(BIN)/brief: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $@

venv: $(BIN)/brief

demo: venv
	$(BIN)/brief demo

lint: venv
	$(BIN)/ruff check $(CODE)
	$(BIN)/ruff format --check $(CODE)
	$(BIN)/mypy

test: venv lint
	$(BIN)/pytest -q

bench: venv
	$(BIN)/python -m benchmarks --data $(DATA)

clean:
	rm -rf $(VENV) .demo .pytest_cache .mypy_cache .ruff_cache
