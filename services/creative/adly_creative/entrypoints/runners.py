"""The generation runner (worker role): creative jobs, claimed from the `job_queue` work
table (adly_kit.worklist) under a lease, at most `job_concurrency` at a time per process.
The queue's insert trigger NOTIFYs at commit, so an accepted job starts within
milliseconds, not at the next poll.

How it owns its transactions (handlers/generation.py and handlers/context.py are the
steps; each is handed the transaction it runs in):

- One short read opens the job and reads its inputs (products, brand kit, settings, keys).
- Outside any transaction: asset bytes and product photos are fetched, bytes stored.
- One transaction records the photos fetched (a cache for later jobs too), another
  starts the job: the attempt counted (a job that keeps crashing its workers fails), the
  spend cap checked.
- Per step: the providers work with no transaction open, the step's bytes are stored
  (content-addressed, so a step run twice stores nothing new), then one transaction
  records the step's event, its asset rows and its usage, and checks the cap for the
  next step. A step no provider could make fails the job in one more transaction.
- The lease: a heartbeat extends it every third of the lease, each time in its own
  transaction. When the lease is no longer ours (a cancel finished the queue row, or the
  lease ran out and another worker took the job), the step in flight is stopped; a save
  at a stale version (ConcurrencyConflict) stops the run too.
- A crash keeps what committed; the lease runs out and the next worker replays the
  job's events and resumes at the first step not recorded.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from uuid import UUID

import asyncpg
from prometheus_client import Counter

from adly_creative.adapters.container import Adapters
from adly_creative.adapters.jobs import jobs_channel
from adly_creative.handlers import context, generation
from adly_creative.handlers.router import ProviderRouter
from adly_creative.handlers.steps import StepFailed, StepRunner
from adly_kit.db import unit_of_work
from adly_kit.eventstore import ConcurrencyConflict
from adly_kit.worklist import run_worklist

log = logging.getLogger(__name__)

GENERATED = Counter(
    "content_generation_success_total",
    "Creative steps made and recorded (committed), by kind: copy, image, voice, video.", ["type"])


async def generate_creatives(a: Adapters) -> None:
    """The background runner: claims jobs and runs them until the process stops."""
    wake = asyncio.Event()
    listener = await asyncpg.connect(
        a.settings.asyncpg_dsn, server_settings={"application_name": f"adly-{a.settings.schema}-jobs"})
    await listener.add_listener(jobs_channel(a.settings.schema), lambda *_: wake.set())
    try:
        await run_worklist(a.engine, a.worklist, JobRunner(a).work, concurrency=a.settings.job_concurrency,
                           poll_seconds=a.settings.job_poll_seconds, wake=wake)
    finally:
        await listener.close()


class JobRunner:
    """Runs one claimed job at a time per `work` call. `pause` is how the heartbeat waits
    between renewals (tests pass their own to decide when it beats)."""

    def __init__(self, a: Adapters, router: ProviderRouter | None = None, *,
                 pause: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        self.a = a
        self.steps = StepRunner(a, router or ProviderRouter(a.retry, a.settings.provider_timeout_seconds))
        self.pause = pause

    async def work(self, job_id: UUID, worker: str) -> None:
        """The `run_worklist` callback: run the job while the lease stays ours."""
        body = asyncio.create_task(self._guarded_run(job_id, worker))
        beat = asyncio.create_task(self._heartbeat(job_id, worker, body))
        try:
            await body
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if current is not None and current.cancelling():
                raise
            log.info("job lease lost; stopped", extra={"job_id": str(job_id)})  # cancelled or taken over
        finally:
            beat.cancel()

    async def _heartbeat(self, job_id: UUID, worker: str, body: asyncio.Task[None]) -> None:
        interval = max(self.a.settings.job_lease_seconds / 3, 0.2)
        while not body.done():
            await self.pause(interval)
            async with unit_of_work(self.a.engine) as tx:
                mine = await self.a.worklist.still_mine(tx, job_id, worker)
            if not mine:
                body.cancel()
                return

    async def _guarded_run(self, job_id: UUID, worker: str) -> None:
        try:
            await self.run(job_id, worker)
        except ConcurrencyConflict:
            log.info("job stopped: cancelled or taken over", extra={"job_id": str(job_id)})

    async def run(self, job_id: UUID, worker: str) -> None:
        a = self.a
        async with unit_of_work(a.engine) as tx:
            job = await generation.open_job(tx, a, job_id)
            if job is None or job.spec is None:
                return
            inputs = await context.read_inputs(tx, a, job.spec)
        if isinstance(inputs, context.MissingProducts):
            async with unit_of_work(a.engine) as tx:
                await generation.products_missing(tx, a, job_id, inputs, worker)
            return
        ctx, fetched = await context.gather(a, inputs)
        if fetched:  # the cache of photos outlives this run, whatever becomes of the job
            async with unit_of_work(a.engine) as tx:
                await context.record_photos(tx, a, job.workspace, fetched)
        async with unit_of_work(a.engine) as tx:
            started = await generation.start(tx, a, job_id, ctx)
        if started is None:
            return
        while (step := started.next_step()) is not None:
            try:
                outcome, made = await self.steps.run(started, step, ctx)
            except StepFailed as failed:
                async with unit_of_work(a.engine) as tx:
                    await generation.step_failed(tx, a, job_id, step, failed)
                return
            async with unit_of_work(a.engine) as tx:
                going_on = await generation.record_step(tx, a, started, step, outcome, made, ctx)
            GENERATED.labels(step.kind).inc()  # counted once committed: a rolled-back step made nothing
            if not going_on:
                return
