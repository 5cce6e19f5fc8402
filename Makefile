# Backing Lancashire: `make run` to serve the site, `make test` to prove it works.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
# One test process more than the machine has cores: browser, mail-outage and killed-worker tests spend
# much of their time waiting, and the extra process fills that time (3 on 2 cores: 3:00 against 3:47).
TEST_WORKERS ?= $(shell echo $$(( $$(nproc 2>/dev/null || echo 1) + 1 )))
export FLASK_APP := app.py
SITE_URL ?= http://127.0.0.1:$(PORT)
export SITE_URL

.PHONY: run test install install-dev migrate seed demo worker lint clean

$(BIN)/activate:
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Python 3.11 is needed (set PYTHON=/path/to/python3.11)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/activate
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt $(VENV)/.installed
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

install-dev: $(VENV)/.installed-dev

migrate: install
	$(BIN)/flask db upgrade

seed: migrate
	$(BIN)/flask seed --if-empty

## Fill the pledge wall with made-up, clearly labelled demo organisations (`flask demo clear` removes them).
demo: seed
	$(BIN)/flask demo load

## Serve the site on http://127.0.0.1:$(PORT) with SQLite, the outbox worker beside it.
run: seed
	@mkdir -p instance
	@echo "Backing Lancashire is at http://127.0.0.1:$(PORT) (emails appear at /dev/mail)"
	@echo "The outbox worker's output and errors go to $(CURDIR)/instance/outbox-worker.log"
	@$(BIN)/flask outbox worker --quiet >>instance/outbox-worker.log 2>&1 & worker=$$!; \
	  trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	  $(BIN)/flask run --host 127.0.0.1 --port $(PORT)

## Install the test tools and run every test in parallel (TEST_DATABASE_URL picks PostgreSQL; TEST_WORKERS=1 for one process).
test: install-dev
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadgroup

worker: install
	$(BIN)/flask outbox worker

lint: install-dev
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
