# Two commands on a fresh machine: `make demo` and `make test` (see README.md).
PYTHON ?= python3
# DJANGO=4.2 runs the same targets on Django 4.2 with what Open edX Teak pins
# (requirements/test-django42.txt), in a virtualenv of its own; the default is Django 5.2 (Ulmo).
DJANGO ?= 5.2
ifeq ($(DJANGO),4.2)
VENV := .venv-django42
SANDBOX_REQUIREMENTS := requirements/test-django42.txt
TEST_REQUIREMENTS := requirements/test-django42.txt
else ifeq ($(DJANGO),5.2)
VENV := .venv
SANDBOX_REQUIREMENTS := requirements/sandbox.txt
TEST_REQUIREMENTS := requirements/test.txt
else
$(error DJANGO must be 4.2 or 5.2)
endif
BIN := $(VENV)/bin
STAMPS := $(VENV)/.make-stamps
# Passed to pytest by `make test`, e.g. PYTEST_ARGS='-m "not rendering"'.
PYTEST_ARGS ?=

.PHONY: demo serve worker beat test sysdeps quality docs docs-tables messages upgrade wheel wheel-check openedx-plugin-venv clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

# Debian packages the tests need: MariaDB client headers (mysqlclient builds against them), qpdf,
# poppler-utils and zbar-tools (independent PDF, raster and QR checks) and TrueType fonts for
# Latin, Greek, Cyrillic, Arabic, Hebrew (DejaVu) and CJK (IPA Gothic), and chromium for the browser
# tests (Playwright drives Debian's build; it downloads no browser). Idempotent; installs with
# apt-get when run as root, otherwise says what is missing. Node.js and npm run the Open Badges tests'
# independent verifier: Debian's nodejs package brings no npm (its npm package does), another build of
# nodejs (NodeSource's) brings its own, so npm counts as present when the command is. GNU gettext
# extracts and compiles the translation catalogues (`make messages`, tests/test_translations.py).
SYSDEPS := libmariadb-dev pkg-config gcc qpdf poppler-utils zbar-tools fonts-dejavu-core fonts-ipafont-gothic chromium nodejs gettext
sysdeps:
	@missing=$$(for p in $(SYSDEPS); do dpkg -s $$p >/dev/null 2>&1 || printf '%s ' $$p; done; \
		command -v npm >/dev/null 2>&1 || printf 'npm '); \
	if [ -z "$$missing" ]; then \
		echo "sysdeps: all present"; \
	elif [ "$$(id -u)" = 0 ]; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	else \
		echo "sysdeps: please install: $$missing(e.g. sudo apt-get install $$missing)"; exit 1; \
	fi

$(STAMPS)/sandbox: $(SANDBOX_REQUIREMENTS) setup.cfg example/pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -r $(SANDBOX_REQUIREMENTS)
	@# The distribution was called learning-credentials (the open-craft plugin's name) before 0.1.0.
	@$(BIN)/pip uninstall -q -y learning-credentials 2>/dev/null || true
	$(BIN)/pip install -q --no-deps -e . -e ./example
	@mkdir -p $(STAMPS) && touch $@

$(STAMPS)/test: $(TEST_REQUIREMENTS) $(STAMPS)/sandbox | sysdeps
	$(BIN)/pip install -q -r $(TEST_REQUIREMENTS)
	@touch $@

# The open-craft plugin (the package index's learning-credentials 0.5.3, our import package's other owner) in a
# virtualenv of its own, whatever DJANGO says: tests/switch_over/ runs an old site with it (tests/switch_over/old_site/)
# to build the databases the switch-over command is tested on. Never on our sys.path, never in our virtualenvs.
OPENEDX_PLUGIN_VENV := .venv-openedx-plugin
OPENEDX_PLUGIN_STAMP := $(OPENEDX_PLUGIN_VENV)/.make-stamps/openedx-plugin-0.5.3
$(OPENEDX_PLUGIN_STAMP): requirements/openedx-plugin-0.5.3.txt | sysdeps
	test -x $(OPENEDX_PLUGIN_VENV)/bin/python || $(PYTHON) -m venv $(OPENEDX_PLUGIN_VENV)
	$(OPENEDX_PLUGIN_VENV)/bin/pip install -q --upgrade pip
	$(OPENEDX_PLUGIN_VENV)/bin/pip install -q -r requirements/openedx-plugin-0.5.3.txt
	@mkdir -p $(@D) && touch $@

openedx-plugin-venv: $(OPENEDX_PLUGIN_STAMP)

$(STAMPS)/docs: requirements/doc.txt $(STAMPS)/sandbox
	$(BIN)/pip install -q -r requirements/doc.txt
	@touch $@

# The sandbox's one address: every printed link, email, PDF text, QR code and LinkedIn URL starts with it.
# `make demo PORT=8001` and `make serve PORT=8001` agree; set LMS_ROOT_URL itself for another host name.
PORT ?= 8000
LMS_ROOT_URL ?= http://localhost:$(PORT)
# `make serve DEBUG=1`: Django's debug pages instead of the sandbox's friendly 404 and 500 pages.
DEBUG ?= 0

## demo: set up the sandbox host on SQLite, issue credentials and print where to see them
demo: $(STAMPS)/sandbox
	cd example && LMS_ROOT_URL=$(LMS_ROOT_URL) ../$(BIN)/python manage.py migrate --noinput -v 0
	cd example && LMS_ROOT_URL=$(LMS_ROOT_URL) ../$(BIN)/python manage.py demo

## serve: browse the sandbox after `make demo` at $(LMS_ROOT_URL) (PORT=8000, DEBUG=0 unless given)
serve: $(STAMPS)/sandbox
	cd example && LMS_ROOT_URL=$(LMS_ROOT_URL) DEBUG=$(DEBUG) ../$(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

## worker / beat: a real Celery worker and beat for the sandbox (Redis on 127.0.0.1:6379);
## then `CELERY_BROKER_URL=redis://127.0.0.1:6379/0 make demo` runs the demo through them.
worker: $(STAMPS)/sandbox
	cd example && LMS_ROOT_URL=$(LMS_ROOT_URL) CELERY_BROKER_URL=$${CELERY_BROKER_URL:-redis://127.0.0.1:6379/0} ../$(BIN)/celery -A sandbox worker -l INFO

beat: $(STAMPS)/sandbox
	cd example && LMS_ROOT_URL=$(LMS_ROOT_URL) CELERY_BROKER_URL=$${CELERY_BROKER_URL:-redis://127.0.0.1:6379/0} ../$(BIN)/celery -A sandbox beat -l INFO

## test: the whole suite on SQLite, or on the database in DATABASE_URL
test: $(STAMPS)/test
	SANDBOX_FAST_PASSWORDS=1 $(BIN)/python -m pytest $(PYTEST_ARGS)

quality: $(STAMPS)/test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check learning_credentials tests example

docs: $(STAMPS)/docs
	$(BIN)/sphinx-build -W -q -b html docs docs/_build/html

## docs-tables: rewrite the reference tables written from the code (docs/reference/urls.rst); a test fails
## when a committed one is out of date
docs-tables: $(STAMPS)/test
	$(BIN)/python tests/docs_tables.py

## messages: the catalogues of learning_credentials/locale/ regenerated from the source, then compiled (.mo,
## committed); the languages are learning_credentials.languages.CATALOGUES. Each catalogue keeps its header.
messages: $(STAMPS)/sandbox | sysdeps
	languages=$$($(BIN)/python -c 'from learning_credentials.languages import CATALOGUES; print(" ".join(CATALOGUES))') && \
	cd learning_credentials && ../$(BIN)/django-admin makemessages --no-obsolete --add-location=file $$(printf -- '-l %s ' $$languages) && \
	../$(BIN)/django-admin compilemessages $$(printf -- '-l %s ' $$languages)

wheel: $(BIN)/python
	$(BIN)/pip wheel -q --no-deps -w dist .

## wheel-check: the built wheel (not the source tree) in a clean virtualenv next to a minimal Open edX-style
## LMS, on Django 4.2 with Teak's pins and on 5.2: check, migrate, the verification page (tests/packaging/)
wheel-check: $(BIN)/python
	$(BIN)/python tests/packaging/check_wheel.py

## upgrade: recompile the pinned requirements from requirements/*.in
upgrade: $(BIN)/python
	$(BIN)/pip install -q -r requirements/pip-tools.txt
	cd requirements && compile="../$(BIN)/pip-compile -q --upgrade --strip-extras --allow-unsafe --no-emit-index-url --no-emit-find-links" && \
	$$compile -o base.txt base.in && \
	$$compile -c base.txt -o sandbox.txt sandbox.in && \
	$$compile -c sandbox.txt -o test.txt test.in && \
	$$compile -o test-django42.txt test-django42.in && \
	$$compile -o openedx-plugin-0.5.3.txt openedx-plugin-0.5.3.in && \
	$$compile -o doc.txt doc.in && \
	$$compile -o dev.txt dev.in

clean:
	rm -rf .venv .venv-django42 .venv-openedx-plugin .make-stamps build dist *.egg-info docs/_build example/db.sqlite3
