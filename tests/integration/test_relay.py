"""The outbox relay on real Postgres and a real broker."""

import asyncio
import os
import random
import signal
import subprocess
import sys
from collections import defaultdict

from sqlalchemy import text

from adly_kit import kafka
from adly_kit.relay import OutboxRelay
from adly_kit.testing.plugin import eventually, read_topic
from adly_kit.testing.sample import counted, new_aggregate


async def unpublished(backbone) -> int:
    async with backbone.engine.connect() as conn:
        query = f"SELECT count(*) FROM {backbone.settings.schema}.outbox WHERE published_at IS NULL"
        return (await conn.execute(text(query))).scalar()


async def append_many(backbone, aggregates: int, versions: int) -> list:
    events = []
    for _ in range(aggregates):
        batch = counted(backbone.catalog, new_aggregate(), range(1, versions + 1))
        async with backbone.engine.begin() as tx:
            await backbone.store.append(tx, batch, expected_version=0)
        events += batch
    return events


def relay_for(backbone, **options) -> OutboxRelay:
    settings = backbone.settings
    return OutboxRelay(settings.asyncpg_dsn, settings.schema, kafka.producer_config(settings), **options)


def by_aggregate(records) -> dict:
    versions = defaultdict(list)
    for r in records:
        versions[r.key].append(_version(r.value))
    return versions


def _version(value: bytes) -> int:
    import json

    return json.loads(value)["aggregate_version"]


async def test_relay_publishes_every_event_once_keyed_by_aggregate_in_order(backbone):
    events = await append_many(backbone, aggregates=20, versions=5)
    task = asyncio.create_task(relay_for(backbone).run())
    try:
        assert await eventually(lambda: _none_left(backbone))
        records = await read_topic(backbone.settings.kafka_bootstrap_servers, backbone.topic, until=len(events))
    finally:
        task.cancel()
    assert len(records) == len(events)
    assert {dict(r.headers)["adly-event-id"].decode() for r in records} == {str(e.event_id) for e in events}
    for key, versions in by_aggregate(records).items():
        assert versions == [1, 2, 3, 4, 5], key
    assert all(r.key == str(_aggregate(r.value)).encode() for r in records)


def _aggregate(value: bytes) -> str:
    import json

    return json.loads(value)["aggregate_id"]


async def _none_left(backbone) -> bool:
    return await unpublished(backbone) == 0


async def test_relay_wakes_on_commit_without_waiting_for_its_poll(backbone):
    relay = relay_for(backbone, poll_seconds=30)
    task = asyncio.create_task(relay.run())
    try:
        assert await eventually(lambda: _leader(relay))
        await asyncio.sleep(0.5)  # the relay is now parked on its 30 s wait
        started = asyncio.get_running_loop().time()
        await append_many(backbone, aggregates=1, versions=1)
        assert await eventually(lambda: _none_left(backbone), timeout=5)
        assert asyncio.get_running_loop().time() - started < 5
    finally:
        task.cancel()


async def _leader(relay) -> bool:
    return relay.is_leader


async def test_two_relays_share_the_work_safely_one_leads_and_the_other_takes_over(backbone):
    first, second = relay_for(backbone, standby_seconds=0.2), relay_for(backbone, standby_seconds=0.2)
    first_task = asyncio.create_task(first.run())
    assert await eventually(lambda: _leader(first))
    second_task = asyncio.create_task(second.run())
    try:
        events = await append_many(backbone, aggregates=10, versions=3)
        assert await eventually(lambda: _none_left(backbone))
        assert not second.is_leader
        first_task.cancel()
        more = await append_many(backbone, aggregates=10, versions=3)
        assert await eventually(lambda: _leader(second))
        assert await eventually(lambda: _none_left(backbone))
        records = await read_topic(backbone.settings.kafka_bootstrap_servers, backbone.topic, until=len(events + more))
    finally:
        first_task.cancel()
        second_task.cancel()
    assert len(records) == len(events) + len(more)
    for versions in by_aggregate(records).values():
        assert versions == [1, 2, 3]


def start_worker(backbone, role: str, *args: str) -> subprocess.Popen:
    settings = backbone.settings
    env = os.environ | {
        "ADLY_SERVICE_NAME": settings.service_name,
        "ADLY_DATABASE_URL": settings.database_url,
        "ADLY_KAFKA_BOOTSTRAP_SERVERS": settings.kafka_bootstrap_servers,
        "ADLY_KAFKA_BROKER_KIND": settings.kafka_broker_kind,
        "ADLY_TOPIC_REPLICATION_FACTOR": "1",
    }
    return subprocess.Popen([sys.executable, "-m", "adly_kit.testing.workers", role, *args], env=env)


async def test_relay_killed_mid_batch_loses_nothing_and_the_consumer_applies_each_event_once(backbone):
    async with backbone.engine.begin() as tx:
        await tx.execute(text(f"CREATE TABLE {backbone.settings.schema}.effects (event_id uuid, aggregate_id uuid, version int)"))
    events = await append_many(backbone, aggregates=400, versions=5)
    consumer = start_worker(backbone, "consumer")
    relay = start_worker(backbone, "relay", "--batch-size", "50")
    try:
        total = len(events)
        # kill the relay with SIGKILL somewhere in the middle of publishing
        assert await eventually(lambda: _published_at_least(backbone, total, 100), interval=0.005)
        await asyncio.sleep(random.uniform(0, 0.01))
        relay.send_signal(signal.SIGKILL)
        relay.wait()
        assert await unpublished(backbone) > 0
        relay = start_worker(backbone, "relay", "--batch-size", "50")
        assert await eventually(lambda: _none_left(backbone), timeout=60)
        assert await eventually(lambda: _effects_at_least(backbone, total), timeout=60)
        await asyncio.sleep(1)  # let any redelivered duplicate arrive
        async with backbone.engine.connect() as conn:
            rows = (await conn.execute(text(
                f"SELECT event_id, count(*) FROM {backbone.settings.schema}.effects GROUP BY event_id"))).all()
    finally:
        for process in (relay, consumer):
            process.kill()
            process.wait()
    assert len(rows) == total
    assert all(count == 1 for _, count in rows)
    assert {r[0] for r in rows} == {e.event_id for e in events}


async def _published_at_least(backbone, total, n) -> bool:
    return total - await unpublished(backbone) >= n


async def _effects_at_least(backbone, n) -> bool:
    async with backbone.engine.connect() as conn:
        return (await conn.execute(text(f"SELECT count(*) FROM {backbone.settings.schema}.effects"))).scalar() >= n


async def test_relay_never_skips_rows_that_commit_out_of_order(backbone):
    """10 writers holding their transactions open for random times while the relay runs (RELIABILITY E3)."""
    expected = []

    async def writer(seed: int):
        rnd = random.Random(seed)
        for _ in range(20):
            events = counted(backbone.catalog, new_aggregate(), range(1, 4))
            expected.extend(events)
            async with backbone.engine.begin() as tx:
                await backbone.store.append(tx, events, expected_version=0)
                await asyncio.sleep(rnd.uniform(0, 0.03))

    task = asyncio.create_task(relay_for(backbone, batch_size=25).run())
    try:
        await asyncio.gather(*(writer(i) for i in range(10)))
        assert await eventually(lambda: _none_left(backbone))
        records = await read_topic(backbone.settings.kafka_bootstrap_servers, backbone.topic, until=len(expected))
    finally:
        task.cancel()
    published = [dict(r.headers)["adly-event-id"].decode() for r in records]
    assert len(published) == len(set(published)) == 600
    assert set(published) == {str(e.event_id) for e in expected}
