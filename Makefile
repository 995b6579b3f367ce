# nplhub: two commands set everything up on a fresh machine.
#   make demo   create .venv, install nplhub, build the demo portfolio, run the pipeline, serve on :8000
#               (make demo ARGS=--no-serve runs the pipeline only)
#   make test   install what the tests need (Python and Debian packages) and run the whole suite

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
ARGS   ?=
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: demo test install install-test system-deps services lint unit bench docs clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	# transitionMatrix is a test oracle only: installed without its dependencies, read by path
	$(BIN)/pip install --quiet --no-deps --target $(VENV)/oracles/transitionmatrix transitionMatrix==0.5.1
	touch $(VENV)/.installed $@

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

demo: install
	$(BIN)/nplhub demo $(ARGS)

# Debian packages the browser tests need, installed only when missing.
system-deps:
	@if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then \
		echo "installing Debian chromium for the browser tests"; \
		$(SUDO) apt-get update -qq && $(SUDO) DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; \
	fi

# PostgreSQL and Redis run on this kind of machine; start them if they are down.
services:
	@pg_isready -q -h 127.0.0.1 -p 5432 || ($(SUDO) pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start && sleep 2)
	@redis-cli -h 127.0.0.1 ping >/dev/null 2>&1 || $(SUDO) redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log

lint: install-test
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/lint-imports
	$(BIN)/mypy

test: install-test system-deps services lint
	$(BIN)/pytest -q -p no:cacheprovider

unit: install-test
	$(BIN)/pytest -q tests/unit tests/properties tests/golden

bench: install-test
	for b in benchmarks/bench_*.py; do $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
