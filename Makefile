# GDI IMS. `make run` sets everything up and serves the app; `make test` runs the whole suite.
SHELL := /bin/bash
PY := .venv/bin/python
PIP := .venv/bin/pip
MANAGE := $(PY) manage.py
TEST_SETTINGS := DJANGO_SETTINGS_MODULE=gdi_ims.settings.test

.PHONY: run dev static setup system services install assets env db migrate messages seed test lint fmt \
        pytest e2e bench typecheck migrations-check lock check-deploy backup restore clean

run: setup seed
	@echo ""
	@echo "GDI IMS is starting on http://127.0.0.1:$${PORT:-8000}/  (Ctrl-C stops web, worker and beat)"
	@mkdir -p var
	@exec .venv/bin/honcho start -f Procfile

# The same stack with Django's auto-reloading development server instead of gunicorn.
dev: setup seed
	@mkdir -p var
	@exec .venv/bin/honcho start -f Procfile.dev

# Static files collected for whitenoise (gunicorn serves them with DEBUG off too); collected
# again only when the IMS's own static files or the npm packages change.
staticfiles/.collected: .venv/.installed node_modules/.installed .env $(shell find static -type f)
	$(MANAGE) collectstatic --noinput -v 0
	touch $@

static: staticfiles/.collected

# Everything but serving: system packages, services, Python and npm packages, database, translations.
setup: system services install assets env db migrate messages static

system:
	@scripts/system-deps.sh

services:
	@scripts/services.sh >/dev/null

.venv/bin/python:
	python3 -m venv .venv

.venv/.installed: .venv/bin/python pyproject.toml requirements.lock
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -c requirements.lock -e ".[dev]"
	touch $@

install: .venv/.installed

node_modules/.installed: package.json package-lock.json
	npm ci --silent
	touch $@

assets: node_modules/.installed

env: .env

.env: .env.example
	@$(PY) scripts/make-env.py

# The owner and application roles and the database (scripts/create-db.py); idempotent.
db: install env services
	@scripts/create-db.sh

migrate: install db
	$(MANAGE) migrate --noinput -v 0
	$(MANAGE) load_geography

messages: install
	@$(MANAGE) compilemessages --ignore=.venv --ignore=node_modules -v 0

seed: setup
	$(MANAGE) seed_demo

# --- Tests ---------------------------------------------------------------------------------
test: system services install assets env db messages lint typecheck migrations-check check-deploy pytest

lint: install
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	$(PY) scripts/check_output_encoding.py
	.venv/bin/djlint --lint templates

# Static types (mypy with django-stubs, configured in pyproject.toml).
typecheck: install
	.venv/bin/mypy

fmt: install
	.venv/bin/ruff check --fix .
	.venv/bin/ruff format .

migrations-check: install env
	DATABASE_POOL=false $(TEST_SETTINGS) $(MANAGE) makemigrations --check --dry-run

# `manage.py check --deploy` under a production-like environment must report nothing.
check-deploy: install env
	@env -i PATH="$$PATH" DJANGO_SETTINGS_MODULE=gdi_ims.settings.base \
	  DJANGO_DEBUG=false DJANGO_SECRET_KEY="$$(head -c 48 /dev/urandom | base64 | tr -d '\n/+=')x" \
	  DJANGO_ALLOWED_HOSTS=ims.example.gov.kh DJANGO_SECURE_SSL_REDIRECT=true \
	  DJANGO_SECURE_COOKIES=true DJANGO_SECURE_HSTS_SECONDS=31536000 \
	  $(MANAGE) check --deploy --fail-level WARNING

pytest: install assets messages
	$(TEST_SETTINGS) .venv/bin/pytest --cov --cov-report=term-missing:skip-covered $(PYTEST_ARGS)

e2e: install assets messages
	$(TEST_SETTINGS) .venv/bin/pytest tests/e2e $(PYTEST_ARGS)

# --- Other ---------------------------------------------------------------------------------
bench: setup
	$(PY) -m bench $(BENCH_ARGS)

# Backups. `make backup` writes var/backups/gdi_ims-<UTC time>.dump (pg_dump, custom format);
# `make restore FILE=var/backups/<file>.dump [DB=new_name]` restores it into a NEW database and
# prints its address. backup reads DATABASE_URL, restore DATABASE_OWNER_URL (else DATABASE_URL),
# from the environment or .env.
backup:
	@scripts/backup.sh

restore:
	@test -n "$(FILE)" || { echo "usage: make restore FILE=var/backups/<file>.dump [DB=name]"; exit 2; }
	@scripts/restore.sh "$(FILE)" $(DB)

# Rewrite requirements.lock from the current environment, without any index address.
lock: install
	$(PIP) freeze --exclude-editable --exclude gdi-ims | grep -v '^-e ' > requirements.lock

clean:
	rm -rf .venv node_modules staticfiles .pytest_cache .ruff_cache .coverage
