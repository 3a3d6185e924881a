"""Read models fed from the service's own event store, with checkpoints.

A projection's writes and its checkpoint commit in one transaction, so it resumes
exactly where it stopped. `rebuild` empties it and replays the whole store; the result
equals the live projection because both apply the same events in the same order.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Protocol

import asyncpg
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from adly_events import EventEnvelope
from adly_kit.backbone_schema import notify_channel
from adly_kit.db import safe_schema
from adly_kit.eventstore import START, EventStore, StorePosition

log = logging.getLogger(__name__)


class Projection(Protocol):
    name: str

    async def apply(self, tx: AsyncConnection, event: EventEnvelope) -> None: ...

    async def reset(self, tx: AsyncConnection) -> None:
        """Empty the read model before a rebuild."""


class ProjectionRunner:
    def __init__(self, engine: AsyncEngine, store: EventStore, projection: Projection, *, batch_size: int = 500) -> None:
        self.engine = engine
        self.store = store
        self.projection = projection
        self.batch_size = batch_size
        s = safe_schema(store.schema)
        # FOR UPDATE: one catch-up (or rebuild) of a projection at a time. Without it a rebuild's
        # reset could land while a running catch-up was applying events after the old checkpoint,
        # which then saved its later position over the reset and the rebuild skipped what it read
        # (and two replicas could apply the same batch twice).
        self._load = text(f"SELECT tx_id::text::bigint, position FROM {s}.projection_checkpoints "
                          "WHERE projection = :p FOR UPDATE")
        self._save = text(f"""
            INSERT INTO {s}.projection_checkpoints (projection, tx_id, position)
            VALUES (:p, CAST(CAST(:tx_id AS text) AS xid8), :position)
            ON CONFLICT (projection) DO UPDATE
            SET tx_id = excluded.tx_id, position = excluded.position, updated_at = now()""")
        self._newest = text(f"SELECT max(tx_id)::text::bigint FROM {s}.events")
        self._readable = text("SELECT pg_snapshot_xmin(pg_current_snapshot()) > CAST(CAST(:tx_id AS text) AS xid8)")

    async def catch_up(self) -> int:
        """Apply every event committed since the checkpoint; returns how many."""
        applied = 0
        while True:
            async with self.engine.begin() as tx:
                after = await self._checkpoint(tx)
                batch = await self.store.read_all(tx, after, self.batch_size)
                for stored in batch:
                    await self.projection.apply(tx, stored.envelope)
                if batch:
                    await self._save_checkpoint(tx, batch[-1].position)
            applied += len(batch)
            if len(batch) < self.batch_size:
                return applied

    async def rebuild(self) -> int:
        """Empty the read model and apply every event committed before the rebuild began.

        The store is read only below the oldest transaction still open anywhere (a later
        commit could otherwise slip in behind the checkpoint), so the rebuild first waits
        until every transaction that was open when it began has ended: a concurrent writer
        must not leave the rebuilt model short of events that were already there."""
        async with self.engine.begin() as tx:
            await self._checkpoint(tx)                 # wait for a catch-up in flight, then hold it off
            await self._save_checkpoint(tx, START)
            await self.projection.reset(tx)
            newest = (await tx.execute(self._newest)).scalar()
        if newest is not None:
            await self._wait_until_readable(newest)
        return await self.catch_up()

    async def _wait_until_readable(self, tx_id: int) -> None:
        waited = 0.0
        while True:
            async with self.engine.connect() as conn:
                if (await conn.execute(self._readable, {"tx_id": str(tx_id)})).scalar():
                    return
            # No notification says when another session's transaction ends: look again soon.
            await asyncio.sleep(0.05)
            waited += 0.05
            if waited >= 10.0:
                log.warning("rebuild waits for open transactions to end", extra={"projection": self.projection.name})
                waited = 0.0

    async def run(self, dsn: str, poll_seconds: float = 1.0) -> None:
        """Follow the store until cancelled, woken by the append notification."""
        wake = asyncio.Event()
        connection = await asyncpg.connect(dsn, server_settings={"application_name": f"adly-{self.store.schema}-projection"})
        await connection.add_listener(notify_channel(self.store.schema), lambda *_: wake.set())
        try:
            while True:
                wake.clear()
                await self.catch_up()
                try:
                    await asyncio.wait_for(wake.wait(), poll_seconds)
                except TimeoutError:
                    pass
        finally:
            await connection.close()

    async def _checkpoint(self, tx: AsyncConnection) -> StorePosition:
        row = (await tx.execute(self._load, {"p": self.projection.name})).first()
        return StorePosition(*row) if row else START

    async def _save_checkpoint(self, tx: AsyncConnection, position: StorePosition) -> None:
        await tx.execute(self._save, {"p": self.projection.name, "tx_id": str(position.tx_id), "position": position.position})
