# The README's commands: `make run` serves the app, `make test` runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test test-postgres bench load install install-dev translations migrate messages

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Reinstall only when a requirements file changed.
$(VENV)/.installed: requirements.txt $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt $(VENV)/.installed
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed translations
install-dev: $(VENV)/.installed-dev translations

translations: $(VENV)/.installed
	$(BIN)/pybabel -q compile -d app/translations

migrate: install
	$(BIN)/flask db upgrade

run: migrate
	$(BIN)/flask run --host $(HOST) --port $(PORT)

# Lint first, then every test: on PostgreSQL when TEST_DATABASE_URL is set, SQLite otherwise.
# TEST_LOCAL_TIME=HH:MM sets the workshop's clock the tests start at (default 10:00).
test: install-dev
	$(BIN)/ruff check .
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: install-dev
	$(BIN)/python bench/run.py

# 20 clients for 60 s on the list, toggles and sends; PostgreSQL when TEST_DATABASE_URL is set.
load: install-dev
	$(BIN)/python bench/load.py

# Refresh the catalogs after changing visible strings (source strings are Bahasa Indonesia).
messages: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o app/translations/messages.pot --no-location --sort-output --width 120 .
	$(BIN)/pybabel update -i app/translations/messages.pot -d app/translations --no-fuzzy-matching --width 120
