"""Replay a consumer's dead-lettered events once the cause is fixed.

Reads the dead-letter topics of one subscription from where the last replay stopped up
to their current end, and runs each record that this consumer dead-lettered through the
same idempotent path as live traffic: an event applied meanwhile is skipped, one that
fails again goes back to the dead-letter topic with its new reason.
"""

from __future__ import annotations

from collections import Counter

from aiokafka import AIOKafkaConsumer

from adly_events import dead_letter_topic
from adly_kit.consumer import IdempotentConsumer, Record
from adly_kit.service import Runtime


async def replay(runtime: Runtime, subscription: str) -> Counter:
    spec = next(s for s in runtime.service.subscriptions if s.name == subscription)
    consumer = next(c for c in runtime.consumers if c.name == runtime.group_id(subscription))
    await runtime.open(("replay",))
    await runtime.broker.connect()
    try:
        topics = [dead_letter_topic(t) for t in spec.topics]
        outcomes = await replay_topics(runtime.settings.kafka_bootstrap_servers, consumer, topics)
    finally:
        await runtime.broker.stop()
        await runtime.close()
    print(f"replayed {sum(outcomes.values())} dead-lettered events of {consumer.name}: {dict(outcomes)}")
    return outcomes


async def replay_topics(bootstrap: str, consumer: IdempotentConsumer, topics: list[str]) -> Counter:
    reader = AIOKafkaConsumer(
        *topics,
        bootstrap_servers=bootstrap,
        group_id=f"{consumer.name}.dlt-replay",
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    await reader.start()
    outcomes: Counter = Counter()
    ends: dict | None = None
    try:
        while True:
            batch = await reader.getmany(timeout_ms=1000)
            if ends is None and reader.assignment():
                # The end as of now: what this replay fails again lands after it, for the next replay.
                ends = await reader.end_offsets(list(reader.assignment()))
            for records in batch.values():
                for r in records:
                    if _dead_lettered_by(r, consumer.name):
                        record = Record(r.topic, r.partition, r.offset, r.key, r.value, tuple(r.headers))
                        outcomes[await consumer.process(record)] += 1
                    await reader.commit()
            if ends is not None and all([await reader.position(tp) >= end for tp, end in ends.items()]):
                return outcomes
    finally:
        await reader.stop()


def _dead_lettered_by(record, consumer: str) -> bool:
    return any(k == "adly-dlt-consumer" and v.decode() == consumer for k, v in record.headers)
