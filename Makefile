# Two commands for a newcomer: `make run` and `make test`. Each sets itself up from a fresh clone.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 5000
FLASK  := $(BIN)/flask --app circles

.PHONY: run test lint serve migrate demo clean catalogues messages

# pip compiles what it installs one file at a time (17 s of a 30 s install); compileall does
# it on every core (7.5 s on two), so every process the app and the suite start finds bytecode.
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --no-compile -e '.[dev]'
	$(BIN)/python -m compileall -q -j 0 $(VENV)/lib >/dev/null
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

# numba compiles the solvers' kernels on first use and caches them: do it once here, not in
# the middle of someone's first formation run (redone whenever a kernel changes).
$(VENV)/.kernels: $(VENV)/.installed graph/mdgp/kernel.py graph/schedule_kernel.py graph/plan/kernel.py
	$(BIN)/python -m graph.compile
	touch $@

# The catalogues: `make messages` extracts every marked string (babel.cfg: Python, Jinja and
# the room's JavaScript) into translations/messages.pot and merges it into each language's
# .po; `make catalogues` compiles the .po files to the .mo files the app reads (not committed).
PO_FILES := $(wildcard translations/*/LC_MESSAGES/messages.po)
MO_FILES := $(PO_FILES:.po=.mo)

translations/%/LC_MESSAGES/messages.mo: translations/%/LC_MESSAGES/messages.po $(VENV)/.installed
	$(BIN)/pybabel compile -d translations -l $* >/dev/null

catalogues: $(MO_FILES)

messages:
	$(BIN)/pybabel extract --no-location --no-wrap --sort-output -F babel.cfg \
		-k _l -k t --ignore-dirs=".* _* node_modules tests bench migrations graph" \
		-o translations/messages.pot .
	$(BIN)/pybabel update --no-wrap --ignore-obsolete --no-fuzzy-matching \
		-i translations/messages.pot -d translations

setup: $(VENV)/.installed node_modules/.installed $(VENV)/.kernels catalogues

migrate: setup
	$(FLASK) db upgrade

run: migrate  ## serve the app with the demo community on http://127.0.0.1:5000
	$(FLASK) demo load --if-empty
	FLASK_SHOW_DEV_OUTBOX=$${FLASK_SHOW_DEV_OUTBOX:-true} $(FLASK) serve --host $(HOST) --port $(PORT)

# One pytest worker per core and one more (pytest-xdist; worksteal: an idle worker takes
# queued tests from a busy one, so a long test near the end does not leave a core idle). The
# live and browser tests spend part of their time waiting on servers and on swarms that send
# at a set pace: with one worker per core a tenth to a fifth of the CPU stayed idle, which the
# extra worker fills (README, Development). PYTEST_WORKERS=0 runs in this process only.
PYTEST_WORKERS ?= $(shell $(PYTHON) -c "import os; print((os.cpu_count() or 1) + 1)")

# The suite starts a few hundred Python processes (live servers, gunicorn, the CLI, pytest's
# workers). Where PYTHONDONTWRITEBYTECODE is set, as on the project's machines, each of them
# compiled the app's modules (and pytest the test modules) from source again: a quarter of
# the CPU of a live test. The suite writes bytecode (__pycache__, ignored by git) and reuses it.
test: setup  ## the whole suite (PostgreSQL, Redis and browser tests skip with a reason if absent, outside CI)
	node --test tests/js/
	PYTHONDONTWRITEBYTECODE= $(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist worksteal $(PYTEST_ARGS)

lint: setup
	$(BIN)/ruff check circles graph realtime tests bench
	$(BIN)/mypy

clean:
	rm -rf $(VENV) node_modules instance .pytest_cache .mypy_cache
