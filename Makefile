# dailybrief: make demo | make test | make bench | make lint | make chaos
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
CODE   := pipeline tests $(wildcard benchmarks)
DATA   ?= ../shared/data
BENCH  := $(VENV)/.bench-installed

.PHONY: venv demo test lint docs bench chaos clean browser postgres

$(BIN)/brief: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $@

venv: $(BIN)/brief

$(BENCH): $(BIN)/brief pyproject.toml
	$(BIN)/pip install --quiet -e '.[dev,bench]'
	@touch $@

demo: venv
	$(BIN)/brief demo

lint: venv
	$(BIN)/ruff check $(CODE)
	$(BIN)/ruff format --check $(CODE)
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache
	$(BIN)/python -m pipeline.docs --check README.md

# The README's settings table is generated from the keys declared in pipeline/settings.py.
docs: venv
	$(BIN)/python -m pipeline.docs README.md

test: venv lint browser postgres $(BENCH)
	$(BIN)/pytest -q

# The archive's browser checks need Debian's chromium and chromium-driver: install them when
# missing and we can (root with apt-get); otherwise those tests are skipped and say why.
browser:
	@if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing chromium and chromium-driver for the browser checks"; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver) \
	      >/dev/null 2>&1 || echo "could not install chromium: the browser checks will be skipped"; \
	  else echo "chromium is not installed: the browser checks will be skipped"; fi; \
	fi

# The store's tests run against a real PostgreSQL server too, which they start themselves from
# Debian's postgresql package: install it when missing and we can (root with apt-get), without
# the cluster the package would make and start; otherwise those tests are skipped and say why.
postgres:
	@if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing postgresql for the store's tests"; \
	    mkdir -p /etc/postgresql-common/createcluster.d && \
	    echo "create_main_cluster = false" > /etc/postgresql-common/createcluster.d/dailybrief-tests.conf; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql) \
	      >/dev/null 2>&1 || echo "could not install postgresql: the PostgreSQL tests will be skipped"; \
	  else echo "postgresql is not installed: the PostgreSQL tests will be skipped"; fi; \
	fi

bench: venv $(BENCH)
	$(BIN)/python -m benchmarks --data $(DATA)

# Faults made for real (kills, full and read-only disks, damaged state, SMTP outages, the clock):
# about 50, about 10 minutes; the table says what each did and "N violations over M faults".
chaos: venv
	$(BIN)/python -m benchmarks.chaos

clean:
	rm -rf $(VENV) .demo .pytest_cache .mypy_cache .ruff_cache
