# ticketdesk — the two commands that matter: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
PYTEST_ARGS ?=

.PHONY: run test test-pg lint format translations check-migrations bench-intake bench-sms bench-realtime bench-queue bench-senderauth bench clean

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test,prod]'
	@touch $(STAMP)

venv: $(STAMP)

## run: install, migrate, load the demo on an empty database, serve on http://127.0.0.1:5000
run: $(STAMP)
	$(VENV)/bin/ticketdesk demo --if-empty
	$(VENV)/bin/ticketdesk serve --host 127.0.0.1 --port 5000

## test: install and run the whole suite (SQLite; PostgreSQL too when TICKETDESK_TEST_DATABASE_URL is set)
test: $(STAMP)
	$(PY) -m pytest -q $(PYTEST_ARGS)

test-pg: $(STAMP)
	TICKETDESK_TEST_DATABASE_URL=$${TICKETDESK_TEST_DATABASE_URL:-postgresql://postgres@127.0.0.1/ticketdesk_test} \
		$(PY) -m pytest -q $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check ticketdesk tests bench
	$(VENV)/bin/ruff format --check ticketdesk tests bench

format: $(STAMP)
	$(VENV)/bin/ruff format ticketdesk tests bench
	$(VENV)/bin/ruff check --fix ticketdesk tests bench

check-migrations: $(STAMP)
	$(PY) -m pytest -q tests/integration/test_migrations.py

bench-intake: $(STAMP)
	$(PY) bench/intake.py

bench-sms: $(STAMP)
	$(PY) bench/sms.py

bench-realtime: $(STAMP)
	$(PY) bench/realtime.py

bench-queue: $(STAMP)
	$(PY) bench/queue_page.py

bench-senderauth: $(STAMP)
	$(PY) bench/senderauth.py

bench: bench-intake bench-senderauth bench-sms bench-realtime bench-queue

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .ruff_cache

## translations: extract, update and compile the Czech/English catalogs (Flask-Babel)
translations: $(STAMP)
	$(VENV)/bin/pybabel extract -F babel.cfg -k lazy_gettext -k _l --no-location -o translations/messages.pot .
	$(VENV)/bin/pybabel update -i translations/messages.pot -d translations --ignore-obsolete
	$(VENV)/bin/pybabel compile -d translations
