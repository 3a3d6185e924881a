# One command runs the system, one command tests it. Everything installs itself.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PACKAGES := libs/events libs/kit $(wildcard services/*)
EDITABLES := libs/events "libs/kit[dev]" $(wildcard services/*)
STAMP := $(VENV)/.installed

.PHONY: install run test test-kafka bench contracts kafka-jars clean

install: $(STAMP)

$(STAMP): requirements-dev.txt $(foreach p,$(PACKAGES),$(p)/pyproject.toml)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -r requirements-dev.txt $(foreach p,$(EDITABLES),-e $(p))
	touch $(STAMP)

## Start Postgres, the broker, every service; Ctrl-C stops them all.
run: install
	$(BIN)/adly-dev run

## Unit and integration tests on real Postgres and the embedded Tansu broker.
test: install
	$(BIN)/python -m pytest -m "not kafka"

## The integration suite again, on Apache Kafka 4 (KRaft) with idempotent producers.
test-kafka: install kafka-jars
	ADLY_TEST_BROKER=kafka $(BIN)/python -m pytest tests services

kafka-jars: install
	$(BIN)/python -c "from adly_kit.devstack import ensure_kafka_jars; print(ensure_kafka_jars())"

## Every issue's benchmark rows in one table; JSON under bench/results/.
bench: install
	$(BIN)/python -m bench.run

## Regenerate the published AsyncAPI document and JSON Schemas after a deliberate change.
contracts: install
	$(BIN)/adly-events asyncapi docs/events/asyncapi.json
	$(BIN)/adly-events schemas docs/events/schemas

clean:
	rm -rf var/test var/bench-pg
