"""The steps of running a job, each in the transaction its runner hands it
(`entrypoints/runners.py` owns the loop, the lease and the transactions).

A job is opened and started in one transaction, each finished step is recorded in one
(its event, its asset rows, its usage, and the spend cap checked for the next step), and
a failure in one. Providers work between those transactions (`StepRunner`), never inside one.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from adly_creative.adapters.container import Adapters
from adly_creative.domain.costs import estimate
from adly_creative.domain.job import TERMINAL, GenerationJob, JobStatus, StepOutcome
from adly_creative.domain.limits import Refusal, month_start, refusal_before_step
from adly_creative.domain.plan import Step
from adly_creative.handlers.context import JobContext, MissingProducts
from adly_creative.handlers.steps import Made, StepFailed, usage_contract

log = logging.getLogger(__name__)
PRODUCT_UNKNOWN = "product_unknown"
PROVIDERS_FAILED = "providers_failed"
INTERNAL_ERROR = "internal_error"   # the job crashed its worker (or our storage failed) again and again
PRODUCT_RETRY_SECONDS = 1.0


async def open_job(tx: AsyncConnection, a: Adapters, job_id: UUID) -> GenerationJob | None:
    """The job, or None (and its queue row finished) when there is nothing left to run."""
    job = await a.jobs.load(tx, job_id)
    if not job.exists or job.status in TERMINAL:
        await a.queue.finish(tx, job_id)
        return None
    return job


async def start(tx: AsyncConnection, a: Adapters, job_id: UUID, ctx: JobContext) -> GenerationJob | None:
    """The job, started (or resumed), when it may run its next step; None when it stopped."""
    job = await open_job(tx, a, job_id)
    if job is None:
        return None
    await a.jobs.save(tx, job, job.start())
    if await a.queue.running(tx, job_id) > a.settings.job_max_attempts:
        await _fail(tx, a, job, Refusal(INTERNAL_ERROR, "Generating these creatives kept failing on our side; "
                                                        f"try again later (reference {job_id})"))
        return None
    if await _stopped_by_cap(tx, a, job, ctx):
        return None
    return job


async def record_step(tx: AsyncConnection, a: Adapters, job: GenerationJob, step: Step, outcome: StepOutcome,
                      made: list[Made], ctx: JobContext) -> bool:
    """Record a finished step with what it made; True when the job goes on to its next step."""
    for item in made:
        await a.assets.record(tx, item.meta)
    await a.jobs.save(tx, job, job.complete(step, _with_context_notes(outcome, ctx)))
    await a.usage.record(tx, job.workspace, job.id, step.key, outcome.usage)
    if job.status == JobStatus.SUCCEEDED:
        await a.queue.finish(tx, job.id)
        return False
    return not await _stopped_by_cap(tx, a, job, ctx)


async def step_failed(tx: AsyncConnection, a: Adapters, job_id: UUID, step: Step, failed: StepFailed) -> None:
    """No provider could make the step: the job fails, and what the failed calls cost is kept."""
    job = await open_job(tx, a, job_id)
    if job is None:
        return
    usages = [usage_contract(u) for u in failed.usages]
    await _fail(tx, a, job, Refusal(PROVIDERS_FAILED, failed.reason), failed.provider, failed.spent_usd)
    if usages:
        await a.usage.record(tx, job.workspace, job.id, step.key, usages)


async def products_missing(tx: AsyncConnection, a: Adapters, job_id: UUID, missing: MissingProducts, worker: str) -> None:
    """The catalog's events may trail the request: wait a little before giving up."""
    if await a.queue.age_seconds(tx, job_id) < a.settings.product_wait_seconds:
        await a.queue.postpone(tx, job_id, worker, PRODUCT_RETRY_SECONDS)
        return
    job = await open_job(tx, a, job_id)
    if job is None:
        return
    names = ", ".join(str(p) for p in missing.ids)
    await _fail(tx, a, job, Refusal(PRODUCT_UNKNOWN, f"ADLY does not know product {names}; "
                                                     "sync your store in Settings > Stores and try again"))


async def _stopped_by_cap(tx: AsyncConnection, a: Adapters, job: GenerationJob, ctx: JobContext) -> bool:
    step = job.next_step()
    if step is None:
        return False
    candidates = ctx.candidates(step.modality)
    cost = estimate(candidates[0][0], step.modality.value) if candidates else Decimal(0)
    spent = await a.usage.spend_since(tx, job.workspace, month_start(datetime.now(UTC)))
    refusal = refusal_before_step(ctx.limits, spent, cost)
    if refusal is not None:
        await _fail(tx, a, job, refusal)
    return refusal is not None


async def _fail(tx: AsyncConnection, a: Adapters, job: GenerationJob, refusal: Refusal, provider: str | None = None,
                spent: Decimal = Decimal(0)) -> None:
    await a.jobs.save(tx, job, job.fail(refusal.reason, code=refusal.code, provider=provider, spent_in_step=spent))
    await a.queue.finish(tx, job.id)
    log.info("job failed", extra={"job_id": str(job.id), "code": refusal.code})


def _with_context_notes(outcome: StepOutcome, ctx: JobContext) -> StepOutcome:
    """Notes about the job's inputs (a photo that could not be fetched) ride on the first step recorded."""
    if not ctx.notes:
        return outcome
    notes, ctx.notes = ctx.notes, []
    return replace(outcome, notes=[*notes, *outcome.notes])
