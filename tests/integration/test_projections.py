"""A projection fed from the event store: checkpoints, live following, rebuild."""

import asyncio
import contextlib

from sqlalchemy import text

from adly_kit.projections import ProjectionRunner
from adly_kit.testing.plugin import eventually
from adly_kit.testing.sample import counted, new_aggregate


class CounterTotals:
    name = "counter_totals"

    def __init__(self, schema: str):
        self.table = f"{schema}.counter_totals"

    async def create(self, tx):
        await tx.execute(text(f"CREATE TABLE {self.table} (aggregate_id uuid PRIMARY KEY, total bigint, last_version int)"))

    async def apply(self, tx, event):
        await tx.execute(
            text(f"""INSERT INTO {self.table} VALUES (:a, :amount, :v)
                     ON CONFLICT (aggregate_id) DO UPDATE
                     SET total = {self.table}.total + excluded.total, last_version = excluded.last_version"""),
            {"a": event.aggregate_id, "amount": event.payload["amount"], "v": event.aggregate_version},
        )

    async def reset(self, tx):
        await tx.execute(text(f"TRUNCATE {self.table}"))

    async def rows(self, engine):
        async with engine.connect() as conn:
            return (await conn.execute(text(f"SELECT * FROM {self.table} ORDER BY aggregate_id"))).all()


async def write(backbone, aggregates: int, versions: int):
    for _ in range(aggregates):
        aggregate = new_aggregate()
        for v in range(1, versions + 1):
            async with backbone.engine.begin() as tx:
                await backbone.store.append(tx, counted(backbone.catalog, aggregate, range(v, v + 1)), expected_version=v - 1)


async def test_a_rebuilt_projection_equals_the_live_one(backbone):
    projection = CounterTotals(backbone.settings.schema)
    async with backbone.engine.begin() as tx:
        await projection.create(tx)
    runner = ProjectionRunner(backbone.engine, backbone.store, projection, batch_size=7)
    live = asyncio.create_task(runner.run(backbone.settings.asyncpg_dsn, poll_seconds=0.2))
    try:
        await asyncio.gather(*(write(backbone, aggregates=5, versions=6) for _ in range(6)))
        # One more aggregate, written last, ends the wait: the runner applies in store
        # order, so once it shows, every event before it was applied and nothing is pending.
        await write(backbone, aggregates=1, versions=1)
        assert await eventually(lambda: _complete(projection, backbone, 31), timeout=60)
    finally:
        live.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await live
    live_rows = await projection.rows(backbone.engine)
    assert sorted(r.total for r in live_rows) == [1] + [21] * 30
    assert sorted(r.last_version for r in live_rows) == [1] + [6] * 30
    assert await runner.rebuild() == 181
    assert await projection.rows(backbone.engine) == live_rows


async def test_a_projection_resumes_from_its_checkpoint_without_reapplying(backbone):
    projection = CounterTotals(backbone.settings.schema)
    async with backbone.engine.begin() as tx:
        await projection.create(tx)
    runner = ProjectionRunner(backbone.engine, backbone.store, projection)
    await write(backbone, aggregates=2, versions=3)
    assert await runner.catch_up() == 6
    await write(backbone, aggregates=1, versions=2)
    restarted = ProjectionRunner(backbone.engine, backbone.store, projection)
    assert await restarted.catch_up() == 2
    assert sorted(r.total for r in await projection.rows(backbone.engine)) == [3, 6, 6]


async def _complete(projection, backbone, aggregates):
    return len(await projection.rows(backbone.engine)) >= aggregates


async def test_a_rebuild_waits_for_transactions_open_before_it_and_misses_no_event(backbone):
    """The store is read below the oldest open transaction; a rebuild that began while one
    was open used to stop short (0 of the events already committed) on a busy database."""
    projection = CounterTotals(backbone.settings.schema)
    async with backbone.engine.begin() as tx:
        await projection.create(tx)
    runner = ProjectionRunner(backbone.engine, backbone.store, projection)
    waiting = asyncio.Event()
    wait = runner._wait_until_readable

    async def signalled_wait(tx_id: int) -> None:
        waiting.set()
        await wait(tx_id)

    runner._wait_until_readable = signalled_wait
    async with backbone.engine.connect() as other:
        blocker = await other.begin()
        await other.execute(text("SELECT pg_current_xact_id()"))  # a writer's transaction, older than the events
        await write(backbone, aggregates=3, versions=2)
        rebuilding = asyncio.create_task(runner.rebuild())
        await waiting.wait()
        assert not rebuilding.done()
        await blocker.rollback()
    assert await rebuilding == 6
    assert [(row.total, row.last_version) for row in await projection.rows(backbone.engine)] == [(3, 2)] * 3
