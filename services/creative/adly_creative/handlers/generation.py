"""Running a job, step by step, outside any consumer transaction (adly_kit.worklist).

A worker claims the job under a lease and keeps the lease alive while it works. No
transaction is open while a provider works: each step's outputs are stored first (bytes
are content-addressed, so a repeated step writes nothing new), then one short transaction
records the step's event, its asset rows and its usage, checks the spend cap for the next
step and, after the last step, records CreativeGenerated. A worker that dies mid-way
leaves the lease to run out; whoever claims the job next replays its events and goes on
from the first step not recorded. A cancel (or another worker that took over) shows up as
a concurrency conflict on the next save, or as a lease that is no longer ours, and the
worker stops.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from datetime import UTC, datetime
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from adly_creative.adapters.container import Adapters
from adly_creative.domain.costs import estimate
from adly_creative.domain.job import TERMINAL, GenerationJob, JobStatus, StepOutcome
from adly_creative.domain.limits import Refusal, month_start, refusal_before_step
from adly_creative.domain.plan import Step
from adly_creative.handlers.context import JobContext, MissingProducts, load_context
from adly_creative.handlers.router import ProviderRouter
from adly_creative.handlers.steps import StepFailed, StepRunner, usage_contract
from adly_events.contracts.creative import ProviderUsage
from adly_kit.eventstore import ConcurrencyConflict

log = logging.getLogger(__name__)
PRODUCT_UNKNOWN = "product_unknown"
PROVIDERS_FAILED = "providers_failed"
INTERNAL_ERROR = "internal_error"   # the job crashed its worker (or our storage failed) again and again


class JobRunner:
    def __init__(self, a: Adapters, router: ProviderRouter | None = None) -> None:
        self.a = a
        self.steps = StepRunner(a, router or ProviderRouter(a.retry, a.settings.provider_timeout_seconds))

    async def work(self, job_id: UUID, worker: str) -> None:
        """The `run_worklist` callback: run the job while the lease stays ours."""
        body = asyncio.create_task(self._guarded_run(job_id, worker))
        beat = asyncio.create_task(self._heartbeat(job_id, worker, body))
        try:
            await body
        except asyncio.CancelledError:
            if asyncio.current_task().cancelling():
                raise
            log.info("job lease lost; stopped", extra={"job_id": str(job_id)})  # cancelled or taken over
        finally:
            beat.cancel()

    async def _heartbeat(self, job_id: UUID, worker: str, body: asyncio.Task) -> None:
        interval = max(self.a.settings.job_lease_seconds / 3, 0.2)
        while not body.done():
            await asyncio.sleep(interval)
            async with self.a.engine.begin() as tx:
                mine = await self.a.queue.worklist.still_mine(tx, job_id, worker)
            if not mine:
                body.cancel()
                return

    async def _guarded_run(self, job_id: UUID, worker: str) -> None:
        try:
            await self.run(job_id, worker)
        except ConcurrencyConflict:
            log.info("job stopped: cancelled or taken over", extra={"job_id": str(job_id)})

    async def run(self, job_id: UUID, worker: str) -> None:
        async with self.a.engine.begin() as tx:
            job = await self._open(tx, job_id)
        if job is None:
            return
        ctx = await load_context(self.a, job.spec)
        if isinstance(ctx, MissingProducts):
            await self._wait_for_products(job, ctx, worker)
            return
        async with self.a.engine.begin() as tx:
            job = await self._open(tx, job_id)
            if job is None:
                return
            await self.a.jobs.save(tx, job, job.start())
            if await self.a.queue.running(tx, job_id) > self.a.settings.job_max_attempts:
                await self._fail(tx, job, Refusal(INTERNAL_ERROR, "Generating these creatives kept failing on our side; "
                                                                  f"try again later (reference {job_id})"))
                return
            if await self._stopped_by_cap(tx, job, ctx):
                return
        while (step := job.next_step()) is not None:
            try:
                outcome, made = await self.steps.run(job, step, ctx)
            except StepFailed as failed:
                await self._step_failed(job_id, step, failed)
                return
            async with self.a.engine.begin() as tx:
                for item in made:
                    await self.a.assets.record(tx, item.meta)
                await self.a.jobs.save(tx, job, job.complete(step, _with_context_notes(outcome, ctx)))
                await self.a.usage.record(tx, job.workspace_id, job.id, step.key, outcome.usage)
                if job.status == JobStatus.SUCCEEDED:
                    await self.a.queue.finish(tx, job.id)
                    return
                if await self._stopped_by_cap(tx, job, ctx):
                    return

    async def _open(self, tx: AsyncConnection, job_id: UUID) -> GenerationJob | None:
        """The job, or None (and its queue row finished) when there is nothing left to run."""
        job = await self.a.jobs.load(tx, job_id)
        if not job.exists or job.status in TERMINAL:
            await self.a.queue.finish(tx, job_id)
            return None
        return job

    async def _stopped_by_cap(self, tx: AsyncConnection, job: GenerationJob, ctx: JobContext) -> bool:
        step = job.next_step()
        if step is None:
            return False
        candidates = ctx.candidates(step.modality)
        cost = estimate(candidates[0][0], step.modality.value) if candidates else 0
        spent = await self.a.job_queries.spend_since(tx, job.workspace_id, month_start(datetime.now(UTC)))
        refusal = refusal_before_step(ctx.limits, spent, cost)
        if refusal is not None:
            await self._fail(tx, job, refusal)
        return refusal is not None

    async def _fail(self, tx: AsyncConnection, job: GenerationJob, refusal: Refusal, provider: str | None = None,
                    step: Step | None = None, usages: list[ProviderUsage] = (), spent=0) -> None:
        await self.a.jobs.save(tx, job, job.fail(refusal.reason, code=refusal.code, provider=provider, spent_in_step=spent))
        if usages:
            await self.a.usage.record(tx, job.workspace_id, job.id, step.key, usages)
        await self.a.queue.finish(tx, job.id)
        log.info("job failed", extra={"job_id": str(job.id), "code": refusal.code})

    async def _step_failed(self, job_id: UUID, step: Step, failed: StepFailed) -> None:
        async with self.a.engine.begin() as tx:
            job = await self._open(tx, job_id)
            if job is None:
                return
            await self._fail(tx, job, Refusal(PROVIDERS_FAILED, failed.reason), failed.provider, step,
                             [usage_contract(u) for u in failed.usages], failed.spent_usd)

    async def _wait_for_products(self, job: GenerationJob, missing: MissingProducts, worker: str) -> None:
        """The catalog's events may trail the request: wait a little before giving up."""
        async with self.a.engine.begin() as tx:
            if await self.a.queue.age_seconds(tx, job.id) < self.a.settings.product_wait_seconds:
                await self.a.queue.postpone(tx, job.id, worker, 1.0)
                return
            job = await self._open(tx, job.id)
            if job is None:
                return
            names = ", ".join(str(p) for p in missing.ids)
            await self._fail(tx, job, Refusal(PRODUCT_UNKNOWN, f"ADLY does not know product {names}; "
                                                               "sync your store in Settings > Stores and try again"))


def _with_context_notes(outcome: StepOutcome, ctx: JobContext) -> StepOutcome:
    """Notes about the job's inputs (a photo that could not be fetched) ride on the first step recorded."""
    if not ctx.notes:
        return outcome
    notes, ctx.notes = ctx.notes, []
    return replace(outcome, notes=[*notes, *outcome.notes])
