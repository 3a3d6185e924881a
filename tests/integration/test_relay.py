"""The outbox relay on real Postgres and a real broker.

Each test decides the order of events itself: a relay stops at a chosen send and says so,
a relay says when it has parked, and every read ends at a marker (the topic's end offsets
once the relay is done, or events appended after everything else), never after a delay.
Run as a script, this module is the stalled relay that the crash test kills.
"""

import asyncio
import json
import os
import random
import signal
import subprocess
import sys
from collections import defaultdict

import pytest
from aiokafka import AIOKafkaProducer
from sqlalchemy import text

from adly_kit import kafka
from adly_kit.relay import OutboxRelay
from adly_kit.testing.plugin import eventually, one_key_per_partition, read_to_end
from adly_kit.testing.sample import counted, new_aggregate

STALLED = "relay stalled"


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


async def append_end_markers(backbone) -> list:
    """One event on each partition, appended after everything else (see `one_key_per_partition`)."""
    markers = []
    for aggregate in one_key_per_partition(backbone.settings.topic_partitions):
        markers += counted(backbone.catalog, aggregate, range(1, 2))
        async with backbone.engine.begin() as tx:
            await backbone.store.append(tx, markers[-1:], expected_version=0)
    return markers


def relay_for(backbone, relay_class=OutboxRelay, producer: dict | None = None, **options) -> OutboxRelay:
    settings = backbone.settings
    config = kafka.producer_config(settings) | (producer or {})
    return relay_class(settings.asyncpg_dsn, settings.schema, config, **options)


class StalledRelay(OutboxRelay):
    """The real relay, stopped in its `stall_page`-th page once the broker acknowledged every
    page before it and that page's first `stall_rows` rows; it prints `STALLED` and waits
    there to be killed."""

    def __init__(self, *args, stall_page: int, stall_rows: int, **options) -> None:
        super().__init__(*args, **options)
        self.stall_page, self.stall_rows = stall_page, stall_rows
        self.acks: list[asyncio.Future] = []

    async def _publish(self, producer, rows) -> asyncio.Future:
        if len(self.acks) + 1 == self.stall_page:
            self.acks.append(await super()._publish(producer, rows[:self.stall_rows]))
            await asyncio.gather(*self.acks)
            print(STALLED, flush=True)
            await asyncio.Event().wait()
        self.acks.append(await super()._publish(producer, rows))
        return self.acks[-1]


class WatchedRelay(OutboxRelay):
    """The real relay, telling when a drain is over: it has read the outbox and is about to
    park until a notification (or its poll) wakes it."""

    def __init__(self, *args, **options) -> None:
        super().__init__(*args, **options)
        self.drained = asyncio.Event()

    async def _record_lag(self, connection) -> None:  # the last step of a drain before it parks
        await super()._record_lag(connection)
        self.drained.set()


def by_aggregate(records) -> dict:
    versions = defaultdict(list)
    for r in records:
        versions[r.key].append(json.loads(r.value)["aggregate_version"])
    return versions


def event_ids(records) -> list[str]:
    return [dict(r.headers)["adly-event-id"].decode() for r in records]


@pytest.mark.parametrize(("page", "batch_bytes"), [(2000, None), (10, None), (10, 1024)],
                         ids=["row-by-row", "batch-per-partition", "batches-fill-up"])
async def test_relay_publishes_every_event_once_keyed_by_aggregate_in_order(backbone, page, batch_bytes):
    # Full pages (a backlog) go out as record batches, a last page row by row; with 1 KB
    # record batches, a partition's share of a page fills several batches in turn.
    events = await append_many(backbone, aggregates=20, versions=5)
    producer = {"max_batch_size": batch_bytes} if batch_bytes else None
    task = asyncio.create_task(relay_for(backbone, producer=producer, batch_size=page).run())
    try:
        assert await eventually(lambda: _none_left(backbone), timeout=60)
        # Nothing is marked published before the broker acknowledged it: the topic is complete.
        records = await read_to_end(backbone.settings.kafka_bootstrap_servers, backbone.topic)
    finally:
        task.cancel()
    assert sorted(event_ids(records)) == sorted(str(e.event_id) for e in events)
    assert len(by_aggregate(records)) == 20
    for key, versions in by_aggregate(records).items():
        assert versions == [1, 2, 3, 4, 5], key
    assert all(r.key == json.loads(r.value)["aggregate_id"].encode() for r in records)
    # Each aggregate is on the partition a plain keyed `send` picks, as other producers' would be.
    placed = {r.key: r.partition for r in records}
    probe = AIOKafkaProducer(**kafka.producer_config(backbone.settings))
    await probe.start()
    try:
        for key, partition in placed.items():
            assert (await probe.send_and_wait(backbone.topic, b"probe", key=key)).partition == partition, key
    finally:
        await probe.stop()


async def _none_left(backbone) -> bool:
    return await unpublished(backbone) == 0


async def test_relay_wakes_on_commit_without_waiting_for_its_poll(backbone):
    # A poll of an hour: only the commit's notification can publish the row within the test.
    relay = relay_for(backbone, WatchedRelay, poll_seconds=3600)
    task = asyncio.create_task(relay.run())
    try:
        await asyncio.wait_for(relay.drained.wait(), 60)  # read the empty outbox; now parked
        await append_many(backbone, aggregates=1, versions=1)
        assert await eventually(lambda: _none_left(backbone), timeout=60)
    finally:
        task.cancel()


async def _leader(relay) -> bool:
    return relay.is_leader


async def test_two_relays_share_the_work_safely_one_leads_and_the_other_takes_over(backbone):
    first, second = relay_for(backbone, standby_seconds=0.2), relay_for(backbone, standby_seconds=0.2)
    first_task = asyncio.create_task(first.run())
    assert await eventually(lambda: _leader(first), timeout=60)
    second_task = asyncio.create_task(second.run())
    try:
        events = await append_many(backbone, aggregates=10, versions=3)
        assert await eventually(lambda: _none_left(backbone), timeout=60)
        assert not second.is_leader
        first_task.cancel()
        more = await append_many(backbone, aggregates=10, versions=3)
        assert await eventually(lambda: _leader(second), timeout=60)
        assert await eventually(lambda: _none_left(backbone), timeout=60)
        records = await read_to_end(backbone.settings.kafka_bootstrap_servers, backbone.topic)
    finally:
        first_task.cancel()
        second_task.cancel()
    assert sorted(event_ids(records)) == sorted(str(e.event_id) for e in events + more)
    assert len(by_aggregate(records)) == 20
    for versions in by_aggregate(records).values():
        assert versions == [1, 2, 3]


def _worker_env(backbone) -> dict[str, str]:
    settings = backbone.settings
    return os.environ | {
        "ADLY_SERVICE_NAME": settings.service_name,
        "ADLY_DATABASE_URL": settings.database_url,
        "ADLY_KAFKA_BOOTSTRAP_SERVERS": settings.kafka_bootstrap_servers,
        "ADLY_KAFKA_BROKER_KIND": settings.kafka_broker_kind,
        "ADLY_TOPIC_REPLICATION_FACTOR": "1",
    }


def start_worker(backbone, role: str, *args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "adly_kit.testing.workers", role, *args], env=_worker_env(backbone))


def start_stalled_relay(backbone, batch_size: int, stall_page: int, stall_rows: int) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, __file__, str(batch_size), str(stall_page), str(stall_rows)],
                            env=_worker_env(backbone), stdout=subprocess.PIPE, text=True)


async def stalled(process: subprocess.Popen) -> bool:
    """Wait for the stalled relay's signal line (False if it ended without one)."""
    while line := await asyncio.to_thread(process.stdout.readline):
        if line.strip() == STALLED:
            return True
    return False


async def test_relay_killed_mid_batch_loses_nothing_and_the_consumer_applies_each_event_once(backbone):
    async with backbone.engine.begin() as tx:
        await tx.execute(text(f"CREATE TABLE {backbone.settings.schema}.effects (event_id uuid, aggregate_id uuid, version int)"))
    events = await append_many(backbone, aggregates=400, versions=5)
    # Pages of 50, marked a page behind sending: the first is published and marked, the
    # second published and not yet marked, the third killed after the broker acknowledged
    # its first 22 rows.
    marked, sent = 50, 122
    consumer = start_worker(backbone, "consumer")
    relay = start_stalled_relay(backbone, batch_size=50, stall_page=3, stall_rows=22)
    bootstrap, topic = backbone.settings.kafka_bootstrap_servers, backbone.topic
    try:
        assert await asyncio.wait_for(stalled(relay), 120)
        relay.send_signal(signal.SIGKILL)
        relay.wait()
        assert await unpublished(backbone) == len(events) - marked
        before_crash = await read_to_end(bootstrap, topic)
        assert sorted(event_ids(before_crash)) == sorted(str(e.event_id) for e in events[:sent])

        relay = start_worker(backbone, "relay", "--batch-size", "50")
        assert await eventually(lambda: _none_left(backbone), timeout=120)
        markers = await append_end_markers(backbone)
        assert await eventually(lambda: effects_of(backbone, markers), timeout=120)
        async with backbone.engine.connect() as conn:
            rows = (await conn.execute(text(
                f"SELECT event_id, count(*) FROM {backbone.settings.schema}.effects GROUP BY event_id"))).all()
        records = await read_to_end(bootstrap, topic)
    finally:
        for process in (relay, consumer):
            process.kill()
            process.wait()
    assert {event_id for event_id, _ in rows} == {e.event_id for e in events + markers}
    assert [count for _, count in rows] == [1] * len(events + markers)
    # The new relay published every row the first one had not marked, once, in order per
    # aggregate; the 72 sent but unmarked rows are on the topic twice (at least once).
    crashed = {(r.partition, r.offset) for r in before_crash}
    marker_ids = {str(m.event_id) for m in markers}
    after_crash = [r for r in records if (r.partition, r.offset) not in crashed
                   and event_ids([r])[0] not in marker_ids]
    assert sorted(event_ids(after_crash)) == sorted(str(e.event_id) for e in events[marked:])
    assert len(by_aggregate(after_crash)) == (len(events) - marked) // 5
    for key, versions in by_aggregate(after_crash).items():
        assert versions == [1, 2, 3, 4, 5], key
    assert len(records) == len(events) + (sent - marked) + len(markers)


async def effects_of(backbone, events) -> bool:
    """Whether the `effects` table has a row for each of `events`."""
    async with backbone.engine.connect() as conn:
        applied = (await conn.execute(text(
            f"SELECT count(DISTINCT event_id) FROM {backbone.settings.schema}.effects WHERE event_id = ANY(:ids)"),
            {"ids": [e.event_id for e in events]})).scalar()
    return applied == len(events)


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
                await asyncio.sleep(rnd.uniform(0, 0.03))  # holds the transaction open: commits interleave

    task = asyncio.create_task(relay_for(backbone, batch_size=25).run())
    try:
        await asyncio.gather(*(writer(i) for i in range(10)))
        assert await eventually(lambda: _none_left(backbone), timeout=60)
        records = await read_to_end(backbone.settings.kafka_bootstrap_servers, backbone.topic)
    finally:
        task.cancel()
    published = event_ids(records)
    assert len(published) == len(set(published)) == 600
    assert set(published) == {str(e.event_id) for e in expected}


if __name__ == "__main__":
    # `python test_relay.py <batch size> <stall page> <stall rows>`, configured like a service (ADLY_*).
    from adly_kit.settings import ServiceSettings

    settings = ServiceSettings(service_name=os.environ["ADLY_SERVICE_NAME"])
    batch_size, stall_page, stall_rows = map(int, sys.argv[1:4])
    asyncio.run(StalledRelay(settings.asyncpg_dsn, settings.schema, kafka.producer_config(settings),
                             batch_size=batch_size, stall_page=stall_page, stall_rows=stall_rows).run())
