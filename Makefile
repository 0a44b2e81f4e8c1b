# Vigil: `make run` starts everything on the embedded default, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
# Two pytest-xdist workers: the suite is mostly waiting on PostgreSQL, Redis, a browser or a worker (docs: README)
PYTEST_ARGS ?= -n 2
export PORT
# Links in notifications and the demo's example commands point at the port `make run` serves on.
export VIGIL_BASE_URL ?= http://127.0.0.1:$(PORT)
export DJANGO_SETTINGS_MODULE ?= config.settings.local

.PHONY: run test install messages migrate demo lint format clean bench

$(BIN)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

# Compiles the translation catalogues that changed (pure Python: no GNU gettext needed to run Vigil).
install: $(BIN)/.installed
	$(BIN)/python -m config.translations compile

# Updates every catalogue from the strings the code marks (needs GNU gettext): docs/languages.md.
messages: install
	$(BIN)/python -m config.translations extract
	$(BIN)/python -m config.translations compile

migrate: install
	$(BIN)/python manage.py migrate --noinput

demo: migrate
	$(BIN)/python manage.py seed_demo
	$(BIN)/python manage.py seed_risks_demo
	$(BIN)/python manage.py ensure_admin

run: demo
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0
	$(BIN)/honcho start -f Procfile

test: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	DJANGO_SETTINGS_MODULE=config.settings.test $(BIN)/python manage.py check --fail-level ERROR
	DJANGO_SETTINGS_MODULE=config.settings.test $(BIN)/python manage.py makemigrations --check --dry-run
	# The production settings pass Django's deployment checklist (throwaway keys and host stand in for yours).
	DJANGO_SETTINGS_MODULE=config.settings.production ALLOWED_HOSTS=vigil.example.org \
		SECRET_KEY=$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(50))') \
		VIGIL_FIELD_KEYS=$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(32))') \
		$(BIN)/python manage.py check --deploy --fail-level WARNING
	DJANGO_SETTINGS_MODULE=config.settings.test $(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf var/broker var/static var/celerybeat-schedule*
