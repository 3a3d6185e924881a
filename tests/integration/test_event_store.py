"""The event store on real Postgres: concurrency, atomicity, commit-safe reading."""

import asyncio
import random

import pytest
from pydantic import BaseModel
from sqlalchemy import text

from adly_kit.eventstore import START, ConcurrencyConflict, EventStore
from adly_kit.testing.sample import ItemCounted, counted, new_aggregate, sample_catalog


class ItemAudited(BaseModel):
    by: str


async def append(backbone, events, expected_version):
    async with backbone.engine.begin() as tx:
        await backbone.store.append(tx, events, expected_version=expected_version)


async def count_rows(backbone, table):
    async with backbone.engine.connect() as conn:
        return (await conn.execute(text(f"SELECT count(*) FROM {backbone.settings.schema}.{table}"))).scalar()


async def test_appended_events_load_back_in_version_order(backbone):
    aggregate = new_aggregate()
    await append(backbone, counted(backbone.catalog, aggregate, range(1, 4)), 0)
    await append(backbone, counted(backbone.catalog, aggregate, range(4, 6)), 3)
    async with backbone.engine.connect() as conn:
        loaded = await backbone.store.load(conn, aggregate)
    assert [e.aggregate_version for e in loaded] == [1, 2, 3, 4, 5]
    assert backbone.catalog.decode(loaded[4]) == ItemCounted(amount=5)


async def test_ten_concurrent_appends_at_one_version_let_exactly_one_win(backbone):
    aggregate = new_aggregate()
    await append(backbone, counted(backbone.catalog, aggregate, range(1, 3)), 0)
    attempts = [append(backbone, counted(backbone.catalog, aggregate, range(3, 5)), 2) for _ in range(10)]
    results = await asyncio.gather(*attempts, return_exceptions=True)
    assert sum(r is None for r in results) == 1
    assert sum(isinstance(r, ConcurrencyConflict) for r in results) == 9
    async with backbone.engine.connect() as conn:
        versions = [e.aggregate_version for e in await backbone.store.load(conn, aggregate)]
    assert versions == [1, 2, 3, 4]
    assert await count_rows(backbone, "outbox") == 4


async def test_stale_batch_writes_nothing_at_all(backbone):
    aggregate = new_aggregate()
    await append(backbone, counted(backbone.catalog, aggregate, range(1, 3)), 0)
    with pytest.raises(ConcurrencyConflict):
        # versions 2..4 at expected 1: version 2 exists, so 3 and 4 must not land either
        await append(backbone, counted(backbone.catalog, aggregate, range(2, 5)), 1)
    assert await count_rows(backbone, "events") == 2
    assert await count_rows(backbone, "outbox") == 2


async def test_expected_version_ahead_of_the_aggregate_is_a_conflict_not_a_gap(backbone):
    aggregate = new_aggregate()
    await append(backbone, counted(backbone.catalog, aggregate, range(1, 2)), 0)
    with pytest.raises(ConcurrencyConflict):
        await append(backbone, counted(backbone.catalog, aggregate, range(6, 7)), 5)
    assert await count_rows(backbone, "events") == 1


async def test_events_of_another_aggregate_or_out_of_sequence_are_refused_before_writing(backbone):
    events = counted(backbone.catalog, new_aggregate(), range(1, 2)) + counted(backbone.catalog, new_aggregate(), range(2, 3))
    with pytest.raises(ValueError):
        await append(backbone, events, 0)
    with pytest.raises(ValueError):
        await append(backbone, counted(backbone.catalog, new_aggregate(), range(2, 3)), 0)
    assert await count_rows(backbone, "events") == 0


async def test_reading_the_store_never_skips_a_transaction_that_commits_late(backbone):
    """10 writers with random commit delays while a reader tails the store (RELIABILITY E3)."""
    writers, per_writer = 10, 20
    expected = set()
    seen, position, done = [], START, asyncio.Event()

    async def writer(seed: int):
        rnd = random.Random(seed)
        for _ in range(per_writer):
            aggregate = new_aggregate()
            events = counted(backbone.catalog, aggregate, range(1, 4))
            expected.update(e.event_id for e in events)
            async with backbone.engine.begin() as tx:
                await backbone.store.append(tx, events, expected_version=0)
                await asyncio.sleep(rnd.uniform(0, 0.02))  # hold the transaction open

    async def reader():
        nonlocal position
        while True:
            finished = done.is_set()
            async with backbone.engine.connect() as conn:
                batch = await backbone.store.read_all(conn, position, 50)
            seen.extend(s.envelope.event_id for s in batch)
            position = batch[-1].position if batch else position
            if finished and not batch:
                return
            await asyncio.sleep(0.001)

    tail = asyncio.create_task(reader())
    await asyncio.gather(*(writer(i) for i in range(writers)))
    done.set()
    await asyncio.wait_for(tail, 120)  # only a hang takes that long
    assert len(seen) == len(set(seen)) == writers * per_writer * 3
    assert set(seen) == expected


async def test_a_unit_of_work_that_fails_before_commit_stores_and_schedules_nothing(backbone):
    """RELIABILITY E2: events of a rolled-back transaction never reach the outbox."""
    for _ in range(50):
        with pytest.raises(RuntimeError):
            async with backbone.engine.begin() as tx:
                await backbone.store.append(tx, counted(backbone.catalog, new_aggregate(), range(1, 3)), expected_version=0)
                raise RuntimeError("the handler failed after appending")
    assert await count_rows(backbone, "events") == 0
    assert await count_rows(backbone, "outbox") == 0


async def test_events_of_one_append_bound_for_different_topics_each_reach_their_own(backbone):
    """Nearly every append has one topic; one whose event types live in two contexts still
    schedules each event for its own topic, in version order, alone or beside other aggregates."""
    catalog = sample_catalog("mixed")
    catalog.event("ItemAudited", version=1, context="mixed_audit", aggregate="counter")(ItemAudited)
    store = EventStore(backbone.settings.schema, catalog)
    first, second = new_aggregate(), new_aggregate()

    def mixed(aggregate, versions):
        return [catalog.envelope(ItemCounted(amount=v) if v % 2 else ItemAudited(by=f"v{v}"), aggregate_id=aggregate,
                                 aggregate_version=v, workspace_id=None) for v in versions]

    async with backbone.engine.begin() as tx:
        await store.append(tx, mixed(first, range(1, 4)), expected_version=0)
    async with backbone.engine.begin() as tx:
        await store.append_many(tx, [(mixed(first, range(4, 6)), 3), (counted(catalog, second, range(1, 3)), 0)])
    async with backbone.engine.connect() as conn:
        rows = (await conn.execute(text(
            f"SELECT e.aggregate_id, e.aggregate_version, o.topic FROM {backbone.settings.schema}.outbox o "
            f"JOIN {backbone.settings.schema}.events e USING (event_id) WHERE e.aggregate_id IN (:a, :b) "
            "ORDER BY o.position"), {"a": first, "b": second})).all()
    counter, audit = "adly.mixed.counter", "adly.mixed_audit.counter"
    assert [(r[0], r[1], r[2]) for r in rows] == [
        (first, 1, counter), (first, 2, audit), (first, 3, counter), (first, 4, audit), (first, 5, counter),
        (second, 1, counter), (second, 2, counter)]


async def test_events_encoded_already_are_stored_as_the_envelopes_they_encode(backbone):
    """A payload handed over as JSON (a sync page's products) loads back as the envelope
    `EventCatalog.envelope` would have made, beside events appended as envelopes."""
    catalog, store = backbone.catalog, backbone.store
    encoded, plain = new_aggregate(), new_aggregate()
    events = catalog.encoded([(ItemCounted, encoded, v, ItemCounted(amount=v).model_dump_json()) for v in (1, 2)],
                             workspace_id=None)
    async with backbone.engine.begin() as tx:
        await store.append_many(tx, [(events, 0), (counted(catalog, plain, range(1, 2)), 0)])
    async with backbone.engine.connect() as conn:
        loaded = await store.load(conn, encoded)
    assert [(e.event_id, e.aggregate_version, catalog.decode(e)) for e in loaded] == [
        (events[0].event_id, 1, ItemCounted(amount=1)), (events[1].event_id, 2, ItemCounted(amount=2))]
    with pytest.raises(ConcurrencyConflict):
        async with backbone.engine.begin() as tx:
            await store.append_many(tx, [(events[1:], 1)])  # version 2 exists: nothing is written twice
