# The two set-up commands: `make demo` and `make test`. Everything else is optional.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: demo test bench lint install clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## Build the demo MSO network on SQLite (./var/openmso.db), run its work, serve on http://127.0.0.1:8000
demo: $(STAMP)
	$(BIN)/openmso demo run

## Run the whole suite: SQLite always, PostgreSQL too when OPENMSO_TEST_POSTGRES_URL is set.
## pytest exits 5 when it collected nothing; that is not a failure of the set-up.
test: $(STAMP)
	$(BIN)/python -m pytest; rc=$$?; if [ $$rc -eq 5 ]; then echo "pytest: no tests collected"; exit 0; fi; exit $$rc

## Benchmarks: each script prints a table with a ratio against a named baseline.
bench: $(STAMP)
	$(BIN)/python -m benchmarks

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks

clean:
	rm -rf $(VENV) var build .pytest_cache
