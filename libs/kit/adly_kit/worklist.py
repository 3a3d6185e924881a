"""Long-running work (a store sync, a creative job) claimed from a table under a lease.

Work that takes seconds to minutes must not run inside a consumer's transaction: a long
transaction holds back every event-store reader (docs/backbone.md). So a consumer or a
request only records the work as a row; workers claim rows with `FOR UPDATE SKIP LOCKED`
and a lease, do the work in many short transactions, and release. A worker that dies
loses its claim when the lease runs out and another (or the restarted one) resumes the
row from whatever progress the row recorded.

A work table has at least:
    id uuid PRIMARY KEY, state text, leased_by text, leased_until timestamptz,
    not_before timestamptz, created_at timestamptz
and `runnable_states` names the states a worker may pick up.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from collections.abc import Awaitable, Callable, Sequence
from uuid import UUID

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from adly_kit.db import safe_schema

log = logging.getLogger(__name__)


def worker_name() -> str:
    """Unique per process, readable in the table: host, pid and a random suffix."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class Worklist:
    def __init__(self, schema: str, table: str, *, runnable_states: Sequence[str], lease_seconds: float) -> None:
        t = f"{safe_schema(schema)}.{safe_schema(table)}"
        self.lease_seconds = lease_seconds
        self.runnable_states = list(runnable_states)
        self._claim = text(f"""
            UPDATE {t} SET leased_by = :worker, leased_until = now() + make_interval(secs => :lease)
            WHERE id IN (
                SELECT id FROM {t}
                WHERE state = ANY(:states)
                  AND (leased_until IS NULL OR leased_until < now())
                  AND (not_before IS NULL OR not_before <= now())
                ORDER BY created_at
                LIMIT :limit
                FOR UPDATE SKIP LOCKED)
            RETURNING id""")
        self._extend = text(f"""
            UPDATE {t} SET leased_until = now() + make_interval(secs => :lease)
            WHERE id = :id AND leased_by = :worker RETURNING id""")
        self._release = text(f"""
            UPDATE {t} SET leased_by = NULL, leased_until = NULL WHERE id = :id AND leased_by = :worker""")

    async def claim(self, conn: AsyncConnection, worker: str, limit: int = 1) -> list[UUID]:
        rows = await conn.execute(
            self._claim, {"worker": worker, "lease": self.lease_seconds, "states": self.runnable_states, "limit": limit}
        )
        return [row[0] for row in rows]

    async def still_mine(self, conn: AsyncConnection, item: UUID, worker: str) -> bool:
        """Extend the lease; False if it ran out and another worker took the item."""
        return (await conn.execute(self._extend, {"id": item, "worker": worker, "lease": self.lease_seconds})).first() is not None

    async def release(self, conn: AsyncConnection, item: UUID, worker: str) -> None:
        await conn.execute(self._release, {"id": item, "worker": worker})


async def run_worklist(
    engine: AsyncEngine,
    worklist: Worklist,
    work: Callable[[UUID, str], Awaitable[None]],
    *,
    concurrency: int = 2,
    poll_seconds: float = 1.0,
    wake: asyncio.Event | None = None,
) -> None:
    """Claim and work items until cancelled, at most `concurrency` at a time.

    `work(item, worker)` owns the item while it runs and must release it (or finish it
    into a non-runnable state) before returning; an exception is logged and the lease is
    left to run out, so the item is retried later rather than lost."""
    worker = worker_name()
    running: set[asyncio.Task] = set()
    wake = wake or asyncio.Event()
    try:
        while True:
            wake.clear()
            free = concurrency - len(running)
            claimed: list[UUID] = []
            if free > 0:
                async with engine.begin() as tx:
                    claimed = await worklist.claim(tx, worker, free)
            for item in claimed:
                task = asyncio.create_task(_guarded(work, item, worker))
                running.add(task)
                task.add_done_callback(lambda t: (running.discard(t), wake.set()))
            if claimed and len(running) < concurrency:
                continue  # there may be more waiting
            try:
                await asyncio.wait_for(wake.wait(), poll_seconds)
            except TimeoutError:
                pass
    finally:
        for task in running:
            task.cancel()
        if running:
            await asyncio.wait(running, timeout=5)


async def _guarded(work: Callable[[UUID, str], Awaitable[None]], item: UUID, worker: str) -> None:
    try:
        await work(item, worker)
    except asyncio.CancelledError:
        raise
    except Exception:
        log.exception("work item failed; its lease will run out and it will be retried", extra={"item": str(item)})
