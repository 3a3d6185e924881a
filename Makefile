# One command runs the system, one command tests it. Everything installs itself.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PACKAGES := libs/events libs/kit $(wildcard services/*)
EDITABLES := libs/events "libs/kit[dev]" $(wildcard services/*)
STAMP := $(VENV)/.installed

.PHONY: install system-deps check run sandbox test test-kafka bench contracts kafka-jars clean

install: $(STAMP)

$(STAMP): requirements-dev.txt $(foreach p,$(PACKAGES),$(p)/pyproject.toml)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -r requirements-dev.txt $(foreach p,$(EDITABLES),-e $(p))
	touch $(STAMP)

## Start Postgres, the broker, every service; Ctrl-C stops them all.
run: install
	$(BIN)/adly-dev run

## `make run` plus sandbox Shopify, WooCommerce, Salla and Zid stores to connect (README, "Sandbox").
sandbox: install
	$(BIN)/adly-dev run --sandbox

## espeak-ng gives the offline creative provider its voice-overs; the voice tests need it.
## Installed with apt-get where this runs as root; elsewhere this says how to get it.
system-deps:
	@command -v espeak-ng >/dev/null || { \
	  if command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ]; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq espeak-ng >/dev/null) \
	      || echo "make: espeak-ng could not be installed; the voice-over tests will skip"; \
	  else echo "make: espeak-ng is missing, so the voice-over tests will skip: sudo apt-get install espeak-ng (or brew install espeak-ng)"; fi; }

## Static checks, zero findings: ruff over the tree, mypy strict over every domain/ and handlers/.
check: install
	$(BIN)/ruff check .
	$(BIN)/mypy $(wildcard services/*/adly_*/domain) $(wildcard services/*/adly_*/handlers)

## The static checks, then unit and integration tests on real Postgres and the embedded Tansu broker.
test: install system-deps check
	$(BIN)/python -m pytest -m "not kafka"

## The integration suite again, on Apache Kafka 4 (KRaft) with idempotent producers. tests/ and the
## services' suites run as two sessions: the e2e stack of tests/ lives as long as its session and
## runs every service, whose consumer groups would take the services' own tests' events.
test-kafka: install kafka-jars
	ADLY_TEST_BROKER=kafka $(BIN)/python -m pytest tests
	ADLY_TEST_BROKER=kafka $(BIN)/python -m pytest services

kafka-jars: install
	$(BIN)/python -c "from adly_kit.devstack import ensure_kafka_jars; print(ensure_kafka_jars())"

## Every issue's benchmark rows in one table; JSON under bench/results/.
bench: install kafka-jars
	$(BIN)/python -m bench.run

## Regenerate the published AsyncAPI document and JSON Schemas after a deliberate change.
contracts: install
	$(BIN)/adly-events asyncapi docs/events/asyncapi.json
	$(BIN)/adly-events schemas docs/events/schemas

clean:
	rm -rf var/test var/bench-pg
