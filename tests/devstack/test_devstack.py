"""Real-server tests for adly_kit.devstack: start, real traffic, stop, restart.

Postgres and Tansu take well under a second to start.  The Apache Kafka test is
marked ``kafka``: it needs Java 17+ and, the first time, Maven to fetch the jars
(~45 MB); the broker itself starts in ~3-5 s.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path

import pytest

from adly_kit.devstack import ApacheKafka, EmbeddedPostgres, TansuBroker


def _port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def _host_port(bootstrap: str) -> tuple[str, int]:
    host, port = bootstrap.rsplit(":", 1)
    return host, int(port)


# ---------------------------------------------------------------------- postgres


def test_postgres_start_stop_and_persistence(tmp_path: Path) -> None:
    import asyncpg

    data_dir = tmp_path / "pg"

    async def write_and_read(url: str, value: int) -> list[int]:
        conn = await asyncpg.connect(url)
        try:
            await conn.execute("CREATE TABLE IF NOT EXISTS t (x int)")
            await conn.execute("INSERT INTO t VALUES ($1)", value)
            settings = {
                name: await conn.fetchval(f"SHOW {name}")
                for name in ("fsync", "synchronous_commit", "max_connections", "shared_buffers", "listen_addresses")
            }
            assert settings == {
                "fsync": "on",
                "synchronous_commit": "on",
                "max_connections": "300",
                "shared_buffers": "256MB",
                "listen_addresses": "127.0.0.1",
            }
            return [r["x"] for r in await conn.fetch("SELECT x FROM t ORDER BY x")]
        finally:
            await conn.close()

    with EmbeddedPostgres(data_dir) as pg:
        url = pg.url
        assert url.startswith("postgresql://postgres@127.0.0.1:") and url.endswith("/postgres")
        app_url = pg.create_database("app")
        assert pg.create_database("app") == app_url  # idempotent
        assert asyncio.run(write_and_read(app_url, 1)) == [1]
        port = pg.port
    assert not _port_open("127.0.0.1", port)
    pg.stop()  # idempotent

    # Same data dir again (new free port): the data survived.
    pg2 = EmbeddedPostgres(data_dir)
    try:
        pg2.start()
        app_url = pg2.create_database("app")
        assert asyncio.run(write_and_read(app_url, 2)) == [1, 2]
    finally:
        pg2.stop()
    assert not _port_open("127.0.0.1", pg2.port)


def test_postgres_same_dir_twice_is_refused(tmp_path: Path) -> None:
    from adly_kit.devstack import ServerStartError

    with EmbeddedPostgres(tmp_path / "pg"):
        with pytest.raises(ServerStartError, match="in use"):
            EmbeddedPostgres(tmp_path / "pg").start()


# ------------------------------------------------------------------------- tansu


def test_tansu_produce_consume(tmp_path: Path) -> None:
    from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
    from aiokafka.admin import AIOKafkaAdminClient, NewTopic

    topic = f"t-{uuid.uuid4().hex[:8]}"

    async def roundtrip(bootstrap: str) -> None:
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
        await admin.start()
        try:
            await admin.create_topics([NewTopic(topic, num_partitions=3, replication_factor=1)])
        finally:
            await admin.close()
        # Tansu's memory engine has no idempotent producer.
        producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=False, acks="all")
        await producer.start()
        try:
            md = await producer.send_and_wait(topic, b"hello", key=b"k", headers=[("trace", b"abc")])
        finally:
            await producer.stop()
        # Manual assignment: a consumer-group join on Tansu takes ~session_timeout/2.
        consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, auto_offset_reset="earliest")
        await consumer.start()
        try:
            tp = TopicPartition(topic, md.partition)
            consumer.assign([tp])
            records = []
            deadline = time.monotonic() + 60  # only a hang takes that long
            while not records and time.monotonic() < deadline:
                records = (await consumer.getmany(tp, timeout_ms=500)).get(tp, [])
        finally:
            await consumer.stop()
        assert [(r.key, r.value, tuple(r.headers)) for r in records] == [(b"k", b"hello", (("trace", b"abc"),))]

    broker = TansuBroker(log_path=tmp_path / "tansu.log")
    with broker:
        bootstrap = broker.bootstrap_servers
        assert bootstrap.startswith("127.0.0.1:")
        asyncio.run(roundtrip(bootstrap))
    assert not _port_open(*_host_port(bootstrap))
    broker.stop()  # idempotent


def test_server_dies_with_its_parent(tmp_path: Path) -> None:
    """SIGKILL the Python process that started a server: the server goes too."""
    script = textwrap.dedent(
        """
        import sys, time
        from adly_kit.devstack import TansuBroker
        b = TansuBroker()
        print(b.start(), flush=True)
        time.sleep(600)
        """
    )
    child = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, env=os.environ.copy())
    try:
        assert child.stdout is not None
        bootstrap = child.stdout.readline().strip()
        host, port = _host_port(bootstrap)
        assert _port_open(host, port)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    deadline = time.monotonic() + 60  # only a hang takes that long
    while _port_open(host, port) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _port_open(host, port)


# ------------------------------------------------------------------ apache kafka


@pytest.mark.kafka
def test_apache_kafka_produce_consume_persist(tmp_path: Path) -> None:
    from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
    from aiokafka.admin import AIOKafkaAdminClient, NewTopic

    topic = "orders"

    async def first_run(bootstrap: str) -> None:
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
        await admin.start()
        try:
            await admin.create_topics([NewTopic(topic, num_partitions=3, replication_factor=1)])
            # auto.create.topics.enable=false: asking about an unknown topic does not create it
            described = await admin.describe_topics(["not-provisioned"])
            assert described[0]["error_code"] != 0
            assert "not-provisioned" not in await admin.list_topics()
        finally:
            await admin.close()
        producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True, acks="all")
        await producer.start()
        try:
            await producer.send_and_wait(topic, b"v1", key=b"k", headers=[("trace", b"abc")])
        finally:
            await producer.stop()
        assert await consume_one(bootstrap) == (b"k", b"v1", (("trace", b"abc"),))

    async def consume_one(bootstrap: str) -> tuple[bytes, bytes, tuple]:
        consumer = AIOKafkaConsumer(
            topic,
            bootstrap_servers=bootstrap,
            group_id="g",
            auto_offset_reset="earliest",
            enable_auto_commit=False,
        )
        await consumer.start()
        try:
            deadline = time.monotonic() + 120  # a group join, then one record: only a hang takes that long
            while time.monotonic() < deadline:
                for records in (await consumer.getmany(timeout_ms=500)).values():
                    if records:
                        await consumer.commit()
                        r = records[0]
                        return r.key, r.value, tuple(r.headers)
            raise AssertionError("no record consumed within 120 s")
        finally:
            await consumer.stop()

    async def second_run(bootstrap: str) -> None:
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
        await admin.start()
        try:
            assert topic in await admin.list_topics()
        finally:
            await admin.close()
        producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True, acks="all")
        await producer.start()
        try:
            await producer.send_and_wait(topic, b"v2", key=b"k")
        finally:
            await producer.stop()
        # The group's committed offset survived the restart: only the new record is read.
        assert await consume_one(bootstrap) == (b"k", b"v2", ())

    data_dir = tmp_path / "kafka"
    kafka = ApacheKafka(data_dir)
    with kafka:
        bootstrap = kafka.bootstrap_servers
        asyncio.run(first_run(bootstrap))
    assert not _port_open(*_host_port(bootstrap))
    kafka.stop()  # idempotent

    with ApacheKafka(data_dir) as kafka2:
        asyncio.run(second_run(kafka2.bootstrap_servers))
