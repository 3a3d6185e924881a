"""Idempotent consumers on the real broker: retries, dead letters, replay, crashes, order.

Counts are exact because every wait ends at a marker: events appended after everything
else, one on each partition (a partition is applied in order, so what came before its
marker is final), or the end of a topic once what it holds was acknowledged.
"""

import asyncio
import random
import signal
from collections import defaultdict

from aiokafka import AIOKafkaProducer
from faststream.kafka import KafkaBroker
from sqlalchemy import text

from adly_events import dead_letter_topic
from adly_kit import kafka
from adly_kit.consumer import DeadLetters, IdempotentConsumer, subscribe
from adly_kit.dlt import replay_topics
from adly_kit.relay import OutboxRelay
from adly_kit.testing.plugin import eventually, read_to_end
from adly_kit.testing.sample import counted, new_aggregate

from .test_relay import append_end_markers, append_many, effects_of, start_worker

LEAKY_URL = ("https://shop.example/wp-json/wc/v3/orders?consumer_key=ck_0123456789abcdef0123"
             "&consumer_secret=cs_0123456789abcdef0123")


class Applied:
    """A handler that records what it applied in its transaction, and fails on demand."""

    def __init__(self, backbone, fail=lambda envelope, attempt: False):
        self.engine, self.table = backbone.engine, f"{backbone.settings.schema}.applied"
        self.fail = fail
        self.attempts = defaultdict(int)

    async def create(self):
        async with self.engine.begin() as tx:
            await tx.execute(text(f"CREATE TABLE {self.table} (seq serial, aggregate_id uuid, version int)"))
        return self

    async def __call__(self, tx, envelope, payload):
        self.attempts[envelope.event_id] += 1
        if self.fail(envelope, self.attempts[envelope.event_id]):
            # What a library quotes back: the request's URL with a store's keys, a customer's email.
            raise RuntimeError(f"cannot apply {envelope.aggregate_version}: GET {LEAKY_URL} for ada@example.com")
        await tx.execute(text(f"INSERT INTO {self.table} (aggregate_id, version) VALUES (:a, :v)"),
                         {"a": envelope.aggregate_id, "v": envelope.aggregate_version})

    async def applied(self) -> dict:
        async with self.engine.connect() as conn:
            rows = await conn.execute(text(f"SELECT aggregate_id, version FROM {self.table} ORDER BY seq"))
        versions = defaultdict(list)
        for aggregate_id, version in rows:
            versions[aggregate_id].append(version)
        return versions


def consumer_for(backbone, handler, broker, name="adly.test.consumer"):
    return IdempotentConsumer(
        name, handler, engine=backbone.engine, schema=backbone.settings.schema, catalog=backbone.catalog,
        dead_letters=DeadLetters(broker), max_retries=3, backoff_seconds=0.01,
    )


def broker_for(backbone) -> KafkaBroker:
    s = backbone.settings
    return KafkaBroker(s.kafka_bootstrap_servers, acks="all", enable_idempotence=s.idempotent_producer)


async def publish_raw(backbone, key: bytes, value: bytes, partition=None):
    producer = AIOKafkaProducer(**kafka.producer_config(backbone.settings))
    await producer.start()
    try:
        await producer.send_and_wait(backbone.topic, value, key=key, partition=partition)
    finally:
        await producer.stop()


async def run_relay(backbone):
    s = backbone.settings
    return asyncio.create_task(OutboxRelay(s.asyncpg_dsn, s.schema, kafka.producer_config(s)).run())


async def test_a_poison_message_goes_to_the_dead_letter_topic_with_its_reason_and_the_next_is_processed(backbone):
    handler = await Applied(backbone).create()
    broker = broker_for(backbone)
    consumer = consumer_for(backbone, handler, broker)
    subscribe(broker, consumer, [backbone.topic], group_id=consumer.name)
    aggregate = new_aggregate()
    await publish_raw(backbone, str(aggregate).encode(), b"{not json", partition=0)
    good = counted(backbone.catalog, aggregate, range(1, 2))[0]
    await publish_raw(backbone, str(aggregate).encode(), good.to_json(), partition=0)
    async with broker:
        await broker.start()
        assert await eventually(lambda: _applied(handler, aggregate, [1]), timeout=120)
    # The dead letter was acknowledged before the consumer went on to the good event.
    dead = await read_to_end(backbone.settings.kafka_bootstrap_servers, dead_letter_topic(backbone.topic))
    assert len(dead) == 1
    headers = {k: v.decode() for k, v in dead[0].headers}
    assert dead[0].value == b"{not json"
    assert dead[0].partition == 0
    assert headers["adly-dlt-origin-topic"] == backbone.topic
    assert headers["adly-dlt-origin-partition"] == "0"
    assert headers["adly-dlt-origin-offset"] == "0"
    assert headers["adly-dlt-exception-type"] == "ValidationError"
    assert headers["adly-dlt-consumer"] == consumer.name


async def _applied(handler, aggregate, versions):
    return (await handler.applied())[aggregate] == versions


async def test_a_failing_handler_is_retried_three_times_then_dead_lettered_and_replayed_once_fixed(backbone):
    broken = {"on": True}
    handler = await Applied(backbone, fail=lambda envelope, attempt: broken["on"] and envelope.aggregate_version == 2).create()
    broker = broker_for(backbone)
    consumer = consumer_for(backbone, handler, broker)
    subscribe(broker, consumer, [backbone.topic], group_id=consumer.name)
    aggregate = new_aggregate()
    async with backbone.engine.begin() as tx:
        await backbone.store.append(tx, counted(backbone.catalog, aggregate, range(1, 4)), expected_version=0)
    relay = await run_relay(backbone)
    try:
        async with broker:
            await broker.start()
            assert await eventually(lambda: _applied(handler, aggregate, [1, 3]), timeout=120)
            async with backbone.engine.connect() as conn:
                event_2 = (await backbone.store.load(conn, aggregate))[1].event_id
            assert handler.attempts[event_2] == 4  # the first try and three retries
            broken["on"] = False
            outcomes = await replay_topics(backbone.settings.kafka_bootstrap_servers, consumer, [dead_letter_topic(backbone.topic)])
            assert outcomes == {"applied": 1}
            again = await replay_topics(backbone.settings.kafka_bootstrap_servers, consumer, [dead_letter_topic(backbone.topic)])
            assert sum(again.values()) == 0
    finally:
        relay.cancel()
    assert (await handler.applied())[aggregate] == [1, 3, 2]
    dead = await read_to_end(backbone.settings.kafka_bootstrap_servers, dead_letter_topic(backbone.topic))
    assert len(dead) == 1
    message = {k: v.decode() for k, v in dead[0].headers}["adly-dlt-exception-message"]
    assert message == ("cannot apply 2: GET https://shop.example/wp-json/wc/v3/orders?consumer_key=[redacted]"
                       "&consumer_secret=[redacted] for ***@example.com")  # the dead letter keeps no secret


async def test_redelivered_events_have_no_second_effect(backbone):
    handler = await Applied(backbone).create()
    broker = broker_for(backbone)
    consumer = consumer_for(backbone, handler, broker)
    events = counted(backbone.catalog, new_aggregate(), range(1, 4))
    async with broker:
        await broker.connect()
        for _ in range(3):
            for e in events:
                outcome = await consumer.process(_record(backbone, e))
    assert outcome == "duplicate"
    assert (await handler.applied())[events[0].aggregate_id] == [1, 2, 3]
    assert await consumer.process_batch([_record(backbone, e) for e in events + events]) == ["duplicate"] * 6


def _record(backbone, envelope):
    from adly_kit.consumer import Record

    return Record(backbone.topic, 0, 0, envelope.key, envelope.to_json())


async def test_per_aggregate_order_holds_across_partitions_under_retries(backbone):
    rnd = random.Random(7)
    flaky = {}
    handler = await Applied(backbone, fail=lambda e, attempt: flaky.setdefault((e.event_id, attempt), rnd.random() < 0.3) and attempt < 3).create()
    broker = broker_for(backbone)
    consumer = consumer_for(backbone, handler, broker)
    subscribe(broker, consumer, [backbone.topic], group_id=consumer.name)
    events = await append_many(backbone, aggregates=30, versions=10)
    relay = await run_relay(backbone)
    try:
        async with broker:
            await broker.start()
            assert await eventually(lambda: _all_applied(handler, len(events)), timeout=120)
            markers = await append_end_markers(backbone)
            assert await eventually(lambda: _all_of(handler, markers), timeout=120)
    finally:
        relay.cancel()
    applied = await handler.applied()
    assert [applied.pop(m.aggregate_id) for m in markers] == [[1]] * len(markers)
    assert len(applied) == 30
    for versions in applied.values():
        assert versions == list(range(1, 11))
    assert sum(a > 1 for a in handler.attempts.values()) > 0  # retries did happen


async def _all_applied(handler, n):
    return sum(len(v) for v in (await handler.applied()).values()) >= n


async def _all_of(handler, events):
    applied = await handler.applied()
    return all(e.aggregate_id in applied for e in events)


async def test_a_consumer_killed_mid_handler_applies_each_event_exactly_once(backbone, tmp_path):
    async with backbone.engine.begin() as tx:
        await tx.execute(text(f"CREATE TABLE {backbone.settings.schema}.effects (event_id uuid, aggregate_id uuid, version int)"))
    events = await append_many(backbone, aggregates=5, versions=4)
    relay = await run_relay(backbone)
    # The slow consumer marks its first event and then stalls inside the handler until killed.
    slow = start_worker(backbone, "consumer", "--marks", str(tmp_path), "--slow-seconds", "86400")
    try:
        assert await eventually(lambda: _any_file(tmp_path), timeout=120)
        slow.send_signal(signal.SIGKILL)  # inside the handler, its transaction still open
        slow.wait()
        steady = start_worker(backbone, "consumer")
        try:
            assert await eventually(lambda: _effects(backbone, len(events)), timeout=120)
            markers = await append_end_markers(backbone)
            assert await eventually(lambda: effects_of(backbone, markers), timeout=120)
            async with backbone.engine.connect() as conn:
                counts = (await conn.execute(text(
                    f"SELECT event_id, count(*) FROM {backbone.settings.schema}.effects GROUP BY event_id"))).all()
        finally:
            steady.kill()
            steady.wait()
    finally:
        relay.cancel()
        slow.kill()
        slow.wait()
    assert {event_id for event_id, _ in counts} == {e.event_id for e in events + markers}
    assert [n for _, n in counts] == [1] * len(events + markers)


async def _any_file(path):
    return any(path.iterdir())


async def _effects(backbone, n):
    async with backbone.engine.connect() as conn:
        return (await conn.execute(text(f"SELECT count(*) FROM {backbone.settings.schema}.effects"))).scalar() >= n


class AppliedInRuns(Applied):
    """Applied, with the runs it was handed (their versions), failing on the versions in `broken`."""

    def __init__(self, backbone, broken=()):
        super().__init__(backbone)
        self.broken = set(broken)
        self.runs: list[list[int]] = []

    async def run(self, tx, run):
        versions = [envelope.aggregate_version for envelope, _ in run]
        self.runs.append(versions)
        if self.broken & set(versions):
            raise RuntimeError(f"cannot apply {sorted(self.broken & set(versions))}")
        for envelope, payload in run:
            await super().__call__(tx, envelope, payload)


def consumer_in_runs(backbone, handler, broker, takes):
    from adly_kit.consumer import Runs

    return IdempotentConsumer(
        "adly.test.runs", handler, engine=backbone.engine, schema=backbone.settings.schema, catalog=backbone.catalog,
        dead_letters=DeadLetters(broker), max_retries=1, backoff_seconds=0.01, runs=Runs(takes, handler.run),
    )


async def test_consecutive_events_handled_in_runs_arrive_together_in_order_and_once(backbone):
    handler = await AppliedInRuns(backbone).create()
    broker = broker_for(backbone)
    consumer = consumer_in_runs(backbone, handler, broker, takes=lambda payload: payload.amount != 3)
    events = counted(backbone.catalog, new_aggregate(), range(1, 7))
    batch = [events[0], events[1], events[1], events[2], events[3], events[4], events[5]]
    async with broker:
        await broker.connect()
        outcomes = await consumer.process_batch([_record(backbone, e) for e in batch])
        again = await consumer.process_batch([_record(backbone, e) for e in events])
    assert outcomes == ["applied", "applied", "duplicate", "applied", "applied", "applied", "applied"]
    assert handler.runs == [[1, 2], [4, 5, 6]]  # 3 is not taken: it goes alone, between the two runs
    assert (await handler.applied())[events[0].aggregate_id] == [1, 2, 3, 4, 5, 6]
    assert again == ["duplicate"] * 6 and len(handler.runs) == 2


async def test_a_run_with_a_bad_event_is_applied_event_by_event_and_only_that_one_is_dead_lettered(backbone):
    handler = await AppliedInRuns(backbone, broken={3}).create()
    broker = broker_for(backbone)
    consumer = consumer_in_runs(backbone, handler, broker, takes=lambda payload: True)
    events = counted(backbone.catalog, new_aggregate(), range(1, 6))
    async with broker:
        await broker.connect()
        outcomes = await consumer.process_batch([_record(backbone, e) for e in events])
    assert outcomes == ["applied", "applied", "dead_lettered", "applied", "applied"]
    assert handler.runs[0] == [1, 2, 3, 4, 5] and handler.runs[1:] == [[1], [2], [3], [3], [4], [5]]
    assert (await handler.applied())[events[0].aggregate_id] == [1, 2, 4, 5]  # the failed run left nothing
    dead = await read_to_end(backbone.settings.kafka_bootstrap_servers, dead_letter_topic(backbone.topic))
    assert [d.value for d in dead] == [events[2].to_json()]
