"""Test support every service shares: real Postgres and a real broker, started once per run.

Loaded as a pytest plugin from the repository's `conftest.py`. The broker is the
embedded Tansu by default; `ADLY_TEST_BROKER=kafka` runs the same suite against Apache
Kafka (KRaft), which `make test-kafka` does. `ADLY_TEST_DATABASE_URL` and
`ADLY_TEST_KAFKA_BOOTSTRAP_SERVERS` point the suite at servers started elsewhere.
"""
