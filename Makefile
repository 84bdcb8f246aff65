# Shuiquan — the two commands a new user runs:  `make run`  and  `make test`.
# Everything is installed into the project: .venv/ (Python) and node_modules/ (front-end libraries).

PYTHON ?= python3.11
VENV   := .venv
PY     := $(VENV)/bin/python
HOST   ?= 127.0.0.1
PORT   ?= 8000
SIZE   ?= full

.PHONY: run test install assets migrate data bench clean backup restore check lint messages

$(VENV)/.installed: pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -r requirements.lock
	$(VENV)/bin/pip install --quiet --no-deps -e .
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

install: $(VENV)/.installed node_modules/.installed

messages: $(VENV)/.installed
	$(PY) manage.py compile_catalogs

migrate: install messages
	$(PY) manage.py migrate --no-input

data: migrate
	$(PY) manage.py setup_platform --demo --size $(SIZE)

## make run: install, migrate the database (SQLite in var/ unless DATABASE_URL is set), load the
## Nanyang data and the demo data, print the demo logins and serve at http://$(HOST):$(PORT)
run: data
	$(PY) manage.py demo_logins
	@echo "Serving on http://$(HOST):$(PORT)  (Ctrl-C to stop)"
	$(PY) manage.py runserver $(HOST):$(PORT) --noreload

## make test: the whole suite on SQLite, then on PostgreSQL (where reachable; required with
## REQUIRE_POSTGRES=1), then the browser tests (where /usr/bin/chromium exists; required with
## REQUIRE_BROWSER=1). MQTT end-to-end tests need a broker on 127.0.0.1:1883 (required with REQUIRE_MQTT=1).
test: install messages
	$(PY) scripts/run_tests.py

bench: install messages
	$(PY) bench/run.py

backup: install
	$(PY) manage.py backup

restore: install
	$(PY) manage.py restore $(FILE)

check: install
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) manage.py check

clean:
	rm -rf $(VENV) node_modules var/static

## make lock: re-pin every Python package after changing pyproject.toml
lock: $(VENV)/.installed
	$(VENV)/bin/pip install --quiet -e '.[test]'
	( echo "# Every Python package, pinned (pip freeze of .venv after 'pip install -e .[test]'). Regenerate: make lock"; \
	  $(VENV)/bin/pip freeze --exclude-editable ) > requirements.lock
