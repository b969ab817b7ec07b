# Domkom: `make run` serves the demo on 127.0.0.1:5000 with the job queue's worker beside it
# (Ctrl-C stops both), `make test` runs every test (SQLite),
# `make test-pg` runs them on PostgreSQL (DOMKOM_TEST_DATABASE_URL, or a throw-away cluster),
# `make test-deploy` runs README's VPS guide on loopback (nginx, TLS, gunicorn, the worker).
# `make install` (a server) installs requirements.txt only; test and bench add requirements-dev.txt.
VENV ?= .venv
PORT ?= 5000
PY := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask --app app

.PHONY: run test test-pg test-deploy translations install install-dev bench clean

$(VENV)/.installed: requirements.txt
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed translations

install-dev: $(VENV)/.installed-dev translations

translations: $(VENV)/.installed
	$(VENV)/bin/pybabel -q compile --use-fuzzy -d translations

run: install
	$(FLASK) init-db
	$(FLASK) demo --if-empty
	$(FLASK) worker & worker=$$!; \
	  trap 'kill -INT $$worker 2>/dev/null; wait $$worker; exit 0' INT TERM EXIT; \
	  $(FLASK) run --host 127.0.0.1 --port $(PORT)

# the suite runs in JOBS processes (pytest-xdist); JOBS=0 runs it in this one. The tests start
# Python processes of their own (workers, gunicorn, render processes): with the modules' compiled
# code kept in __pycache__ each starts without compiling the tree again, even where the
# environment says PYTHONDONTWRITEBYTECODE. Tests marked xdist_group share one process (the
# walk through every page in a browser is made once for all the tests that read it).
JOBS ?= 2
PYTEST := $(PY) -m pytest -q -n $(JOBS) --dist loadgroup
export PYTHONDONTWRITEBYTECODE :=
test: install-dev
	$(PYTEST) $(PYTEST_ARGS)

test-pg: install-dev
	@if [ -n "$$DOMKOM_TEST_DATABASE_URL" ]; then $(PYTEST) $(PYTEST_ARGS); else \
	  dir=$$(mktemp -d /tmp/domkom-pg.XXXXXX); trap '.ci/pg stop '"$$dir" EXIT; \
	  port=$$($(PY) -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'); \
	  url=$$(.ci/pg start "$$dir" "$$port") && \
	  DOMKOM_TEST_DATABASE_URL="$$url" $(PYTEST) $(PYTEST_ARGS); fi

# nginx with the site of deploy/site.sh and a self-signed certificate, gunicorn and the worker
# started from the systemd units, then two app servers on one PostgreSQL and one Redis; about
# a minute, so not part of `make test`. Needs nginx, openssl, redis-server and PostgreSQL.
test-deploy: install-dev
	DOMKOM_TEST_DEPLOY=1 $(PY) -m pytest -q tests/test_deploy_*.py $(PYTEST_ARGS)

# `make bench` (SQLite), `make bench DB=pg` (a throw-away PostgreSQL cluster, or BENCH_PG_URL),
# `make bench DB=both`; BENCH_ARGS="--sizes 1000 --seconds 3" for a quick run, BENCH_ARGS=--only-mail
# for the mail benchmark alone (bench/bench_mail.py). Writes bench/results.md.
DB ?= sqlite
bench: install-dev
	@command -v wrk >/dev/null || { apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
	$(PY) bench/run.py --db $(DB) $(BENCH_ARGS)

clean:
	rm -rf $(VENV) data/outbox
