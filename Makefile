# Every target creates .venv and installs the project into it when it is missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# apt-get needs root: through sudo unless we are root already.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: train best test lint clean java

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,spark,spacy]'
	touch $(STAMP)

## java: Java 17 for the Spark tests (pyspark), installed with apt only where `java` is missing
java:
	@command -v java >/dev/null || { $(SUDO) apt-get update && \
		$(SUDO) apt-get install -y --no-install-recommends openjdk-17-jre-headless; }

## train: train the default model (configs/conll2003.toml) and print dev and test scores
train: $(STAMP)
	$(BIN)/ner-train --config configs/conll2003.toml --force

## best: the most accurate model on dev (configs/conll2003-best.toml): three seeds of the default
## with the shipped lexicons, joined into one ensemble (about 40 minutes here)
best: $(STAMP)
	$(BIN)/ner-train --config configs/conll2003-best.toml --seeds 0,1,2 --ensemble --force

## test: the test suite. It installs what its tests need where it is missing: Debian's chromium
## (the HTML pages are checked in headless Chromium) and Java (the Spark tests); under CI=true
## the tests fail, never skip, without them.
CHROMIUM := /usr/bin/chromium

$(CHROMIUM):
	$(SUDO) apt-get update
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium

# Two workers, one per core; a file's tests stay on one worker (its fixtures are built once).
test: $(STAMP) $(CHROMIUM) java
	$(BIN)/python -m pytest -q -n 2 --dist loadfile

## lint: ruff over the sources and tests
lint: $(STAMP)
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests

## bench: benchmarks/ (about 10 minutes on a quiet 2-core machine, 13 on a busy one): one JSON
## object on stdout and in benchmarks/results.json
.PHONY: bench
bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) runs build .pytest_cache .ruff_cache src/*.egg-info
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
