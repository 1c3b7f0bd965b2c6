# QMK: make demo (install and run the pipeline on an example), make test (install and run the tests).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install test demo bench examples schema clean regen-examples golden-estimator

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

test: install
	$(BIN)/python -m pytest -q -p no:cacheprovider tests --ignore=tests/benchmarks

demo: install
	PATH="$(CURDIR)/$(BIN):$$PATH" $(MAKE) --no-print-directory -C examples demo

examples: install
	PATH="$(CURDIR)/$(BIN):$$PATH" $(MAKE) --no-print-directory -C examples all

bench: install
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	$(BIN)/python -m pytest -q -s -p no:cacheprovider tests/benchmarks -m bench

# Regenerate the shipped JSON Schema from the op table.
schema: install
	$(BIN)/python -m qmk.schema > qmk/data/qvm.schema.json

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache
	$(MAKE) -C examples clean

# Regenerate checked-in generated data (run by hand; never edit the outputs).
regen-examples: install
	PATH="$(CURDIR)/$(BIN):$$PATH" $(MAKE) --no-print-directory -C examples regen-qir

# Reference estimates from the qsharp package for the estimator's golden tests (needs the bench extras).
golden-estimator: install
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	$(BIN)/python tools/qre_golden.py
