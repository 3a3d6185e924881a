"""Pytest fixtures (`postgres_url`, `kafka`, `service_settings`, `backbone`) and helpers that end waits at a marker."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from adly_events import EventCatalog
from adly_kit.backbone_schema import create_statements, drop_statements
from adly_kit.db import make_engine
from adly_kit.eventstore import EventStore
from adly_kit.kafka import ensure_topics
from adly_kit.settings import ServiceSettings
from adly_kit.testing.sample import sample_catalog


@dataclass(frozen=True)
class KafkaUnderTest:
    bootstrap_servers: str
    kind: str  # "tansu" or "kafka"


def _var_dir() -> Path:
    path = Path(os.environ.get("ADLY_TEST_VAR", Path.cwd() / "var" / "test"))
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    if url := os.environ.get("ADLY_TEST_DATABASE_URL"):
        yield url
        return
    from adly_kit.devstack import EmbeddedPostgres

    server = EmbeddedPostgres(_var_dir() / "postgres")
    server.start()
    try:
        yield server.create_database("adly_test")
    finally:
        server.stop()


@pytest.fixture(scope="session")
def kafka() -> Iterator[KafkaUnderTest]:
    kind = os.environ.get("ADLY_TEST_BROKER", "tansu")
    if bootstrap := os.environ.get("ADLY_TEST_KAFKA_BOOTSTRAP_SERVERS"):
        yield KafkaUnderTest(bootstrap, kind)
        return
    from adly_kit.devstack import ApacheKafka, TansuBroker

    server = ApacheKafka(_var_dir() / f"kafka-{uuid.uuid4().hex[:8]}") if kind == "kafka" else TansuBroker()
    try:
        yield KafkaUnderTest(server.start(), kind)
    finally:
        server.stop()


@pytest.fixture
def service_settings(postgres_url: str, kafka: KafkaUnderTest) -> ServiceSettings:
    """Settings of a throwaway service: its own schema, production producer settings
    (idempotent on Apache Kafka; Tansu's memory build has no idempotent producer)."""
    name = f"t{uuid.uuid4().hex[:12]}"
    return ServiceSettings(
        service_name=name,
        database_url=postgres_url,
        kafka_bootstrap_servers=kafka.bootstrap_servers,
        kafka_broker_kind=kafka.kind,
        topic_partitions=3,
        topic_replication_factor=1,
        topic_min_insync_replicas=1,
        consumer_retry_backoff_seconds=0.05,
    )


@dataclass
class Backbone:
    """A migrated schema with its store and a sample catalog whose topics exist."""

    settings: ServiceSettings
    engine: AsyncEngine
    catalog: EventCatalog
    store: EventStore

    @property
    def topic(self) -> str:
        return self.catalog.topics()[0]


@pytest.fixture
async def backbone(service_settings: ServiceSettings) -> AsyncIterator[Backbone]:
    engine = make_engine(service_settings)
    async with engine.begin() as tx:
        for statement in create_statements(service_settings.schema):
            await tx.execute(text(statement))
    catalog = sample_catalog(service_settings.schema)
    await ensure_topics(service_settings, catalog.topics())
    try:
        yield Backbone(service_settings, engine, catalog, EventStore(service_settings.schema, catalog))
    finally:
        await engine.dispose()
        await drop_schema(service_settings)


async def drop_schema(settings: ServiceSettings) -> None:
    """Drop a test service's schema, first ending any session of it that a cancelled task
    left behind mid-transaction (it would hold locks and make DROP wait forever)."""
    import asyncpg

    connection = await asyncpg.connect(settings.asyncpg_dsn)
    try:
        await connection.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE pid <> pg_backend_pid() AND (application_name = $1 OR application_name LIKE $2)",
            f"adly-{settings.service_name}", f"adly-{settings.schema}-%",
        )
        await connection.execute("SET lock_timeout = '10s'")
        for statement in drop_statements(settings.schema):
            await connection.execute(statement)
    finally:
        await connection.close()


async def eventually(check, *, timeout: float = 20.0, interval: float = 0.05):
    """Poll an async `check` until it returns a truthy value or time runs out."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        result = await check()
        if result or asyncio.get_running_loop().time() > deadline:
            return result
        await asyncio.sleep(interval)


async def read_topic(bootstrap: str, topic: str, *, until: int, timeout: float = 30.0) -> list:
    """Every record on `topic` from the beginning, once `until` of them arrived (or time ran out)."""
    from aiokafka import AIOKafkaConsumer, TopicPartition

    reader = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, auto_offset_reset="earliest")
    await reader.start()
    try:
        partitions = await _partitions(reader, topic)
        reader.assign([TopicPartition(topic, p) for p in partitions])
        await reader.seek_to_beginning()
        records: list = []
        deadline = asyncio.get_running_loop().time() + timeout
        while len(records) < until and asyncio.get_running_loop().time() < deadline:
            for batch in (await reader.getmany(timeout_ms=200)).values():
                records.extend(batch)
        return records
    finally:
        await reader.stop()


async def read_to_end(bootstrap: str, topic: str, *, timeout: float = 60.0) -> list:
    """Every record on `topic`, from the beginning up to the end the broker reports.

    The end (the high watermark of each partition's fetch) is the end marker: call this once
    what is to be read was acknowledged, and the answer is complete and exact however slow
    the machine, where a read that stops at a count or after a quiet spell misses late
    duplicates or cuts slow records short. The high watermark is taken from fetches rather
    than from ListOffsets, which Tansu answers with the last batch's base offset + 1.
    `timeout` only ends a read the broker never completes."""
    from aiokafka import AIOKafkaConsumer, TopicPartition

    reader = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, auto_offset_reset="earliest")
    await reader.start()
    try:
        partitions = [TopicPartition(topic, p) for p in sorted(await _partitions(reader, topic))]
        reader.assign(partitions)
        await reader.seek_to_beginning(*partitions)
        records: list = []
        async with asyncio.timeout(timeout):
            while not await _at_end(reader, partitions):
                for batch in (await reader.getmany(timeout_ms=200)).values():
                    records.extend(batch)
        return records
    finally:
        await reader.stop()


async def _at_end(reader, partitions: list) -> bool:
    ends = [reader.highwater(tp) for tp in partitions]
    return None not in ends and all([await reader.position(tp) >= end for tp, end in zip(partitions, ends, strict=True)])


def one_key_per_partition(partitions: int) -> list[uuid.UUID]:
    """Aggregate ids that the producer's default partitioner sends one to each of `partitions`.

    An event of each, appended after everything else, is an end marker on every partition:
    a consumer applies a partition in order, so once it applied the marker, whatever came
    before it on that partition is final (no late duplicate can follow)."""
    from aiokafka.partitioner import DefaultPartitioner

    chosen: dict[int, uuid.UUID] = {}
    every = list(range(partitions))
    while len(chosen) < partitions:
        key = uuid.uuid4()
        chosen.setdefault(DefaultPartitioner()(str(key).encode(), every, every), key)
    return [chosen[p] for p in every]


async def _partitions(reader, topic: str) -> set[int]:
    for _ in range(50):
        partitions = reader.partitions_for_topic(topic)
        if partitions:
            return partitions
        await reader._client.force_metadata_update()  # aiokafka has no public refresh call
        await asyncio.sleep(0.1)
    raise AssertionError(f"topic {topic} has no partitions")
