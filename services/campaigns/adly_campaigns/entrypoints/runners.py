"""The campaigns runners (worker role).

The publisher claims publications (one campaign on one platform) from the `publications`
work table under a lease (adly_kit.worklist); the table's insert trigger NOTIFYs at commit,
so an approved campaign starts publishing within milliseconds. Each step commits in its own
transaction and every platform call happens between transactions (handlers/publishing.py);
a killed publisher resumes at the first step not recorded once its lease runs out.

The review watcher reads the platforms' ad reviews of running campaigns on a schedule and
records each change as `AdReviewChanged`.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from uuid import UUID

import asyncpg
from prometheus_client import Histogram

from adly_campaigns.adapters.container import Adapters
from adly_campaigns.adapters.publications import publications_channel
from adly_campaigns.domain.ports import ErrorKind, PlatformError
from adly_campaigns.handlers import performance, publishing, reviews
from adly_kit.db import unit_of_work
from adly_kit.eventstore import ConcurrencyConflict
from adly_kit.sql import utc_now
from adly_kit.worklist import run_worklist

log = logging.getLogger(__name__)

CAMPAIGN_CREATION = Histogram(
    "campaign_creation_duration_seconds",
    "From the publish request (after approval) to the campaign live on one platform.",
    ["platform"], buckets=(0.1, 0.25, 0.5, 1, 2, 3, 5, 10, 30, 60, 120, 300, 900))


async def publish_campaigns(a: Adapters) -> None:
    wake = asyncio.Event()
    listener = await asyncpg.connect(
        a.settings.asyncpg_dsn, server_settings={"application_name": f"adly-{a.settings.schema}-publisher"})
    await listener.add_listener(publications_channel(a.settings.schema), lambda *_: wake.set())
    try:
        await run_worklist(a.engine, a.publication_queue, Publisher(a).work,
                           concurrency=a.settings.publish_concurrency, poll_seconds=a.settings.publish_poll_seconds,
                           wake=wake)
    finally:
        await listener.close()


class LeaseLost(Exception):
    """Another worker holds the publication now: this one stops before creating anything."""


class Publisher:
    def __init__(self, a: Adapters) -> None:
        self.a = a

    async def work(self, publication_id: UUID, worker: str) -> None:
        """Publish under the lease, renewed every third of it; a lost lease stops this worker at
        once, and every create first re-checks the lease in the transaction that marks it, so two
        workers never create the same step."""
        a, lost = self.a, asyncio.Event()
        current = asyncio.current_task()
        assert current is not None

        async def heartbeat() -> None:
            while True:
                await asyncio.sleep(a.settings.publish_lease_seconds / 3)
                async with unit_of_work(a.engine) as tx:
                    if not await a.publication_queue.still_mine(tx, publication_id, worker):
                        lost.set()
                        current.cancel()
                        return

        beat = asyncio.create_task(heartbeat())
        try:
            await self._publish(publication_id, worker)
        except asyncio.CancelledError:
            if not lost.is_set():
                raise
            current.uncancel()  # our own heartbeat cancelled it: the runner goes on with other work
            log.warning("publication taken over by another worker", extra={"publication": str(publication_id)})
        except LeaseLost:
            log.warning("publication taken over by another worker", extra={"publication": str(publication_id)})
        finally:
            beat.cancel()

    async def _publish(self, publication_id: UUID, worker: str) -> None:
        a = self.a
        async with unit_of_work(a.engine) as tx:
            job = await publishing.open_job(tx, a, publication_id)
        if job is None:
            return
        try:
            if job.platform not in a.publishers:
                raise PlatformError(ErrorKind.INVALID_PARAMETER,
                                    f"ADLY cannot publish on {job.platform.value} yet.", field="platforms")
            if job.access is None:
                raise PlatformError(ErrorKind.TOKEN_INVALID, "The ad account is not connected any more: reconnect it.")
            job.access = await publishing.fresh_access(a, job.access)
            for step in job.steps:
                if job.done.get(step.key):
                    continue
                if step.key in job.done:  # a create whose answer never came back
                    existing = await publishing.find_existing(a, job, step)
                    if existing is not None:
                        async with unit_of_work(a.engine) as tx:
                            await publishing.mark_created(tx, a, job, step, existing)
                        continue
                async with unit_of_work(a.engine) as tx:
                    if not await a.publication_queue.still_mine(tx, publication_id, worker):
                        raise LeaseLost()
                    await publishing.mark_attempt(tx, a, job, step)
                platform_id = await publishing.create(a, job, step)
                async with unit_of_work(a.engine) as tx:
                    await publishing.mark_created(tx, a, job, step, platform_id)
            await publishing.switch_on(a, job)
            async with unit_of_work(a.engine) as tx:
                await publishing.finish(tx, a, job)
            waited = publishing.seconds_since(job.publication.approved_at, utc_now())
            if waited is not None:
                CAMPAIGN_CREATION.labels(job.platform.value).observe(waited)
        except PlatformError as error:
            await self._refused(job, error)
        except ConcurrencyConflict:
            await self._again(job, "the campaign changed while publishing")
        except LeaseLost:
            raise
        except Exception as error:  # a fault of ours or of creative's: retried, then failed, never lost
            log.exception("publishing step failed", extra={"publication": str(publication_id)})
            await self._refused(job, PlatformError(ErrorKind.TRANSIENT, f"Publishing stopped: {type(error).__name__}."))

    async def _again(self, job: publishing.PublishJob, why: str) -> None:
        async with unit_of_work(self.a.engine) as tx:  # the campaign moved on meanwhile: try again at once
            await publishing.retry_later(tx, self.a, job, 0.0, why)

    async def _refused(self, job: publishing.PublishJob, error: PlatformError) -> None:
        a = self.a
        attempts = job.publication.attempts + 1
        try:
            async with unit_of_work(a.engine) as tx:
                if error.retryable and attempts < a.settings.publish_max_attempts:
                    delay = error.retry_after if error.retry_after is not None else min(2.0 ** attempts, 300.0)
                    await publishing.retry_later(tx, a, job, delay, error.message)
                else:
                    await publishing.fail(tx, a, job, error)
        except ConcurrencyConflict:
            await self._again(job, "the campaign changed while recording a refusal")


async def watch_reviews(a: Adapters) -> None:
    while True:
        await read_reviews_once(a)
        await asyncio.sleep(a.settings.review_poll_seconds)


async def read_reviews_once(a: Adapters) -> int:
    """One pass over the running campaigns; a platform's refusal waits for the next pass."""
    async with unit_of_work(a.engine) as tx:
        targets = await reviews.targets(tx, a)
    changed = 0
    for target in targets:
        try:
            target = replace(target, access=await publishing.fresh_access(a, target.access))
            seen = await reviews.read(a, target)
            async with unit_of_work(a.engine) as tx:
                await reviews.record(tx, a, target, seen)
            changed += len(seen)
        except PlatformError as error:
            log.warning("reading ad reviews refused", extra={"platform": target.platform.value, "reason": error.message})
        except ConcurrencyConflict:
            continue  # the campaign changed meanwhile; the next pass reads it again
    return changed


async def report_performance(a: Adapters) -> None:
    """Every `performance_poll_seconds` (hourly by default), every live campaign's figures."""
    while True:
        await pull_performance_once(a)
        await asyncio.sleep(a.settings.performance_poll_seconds)


async def pull_performance_once(a: Adapters) -> int:
    """One pull over every reporting ad account; the revisions it recorded. A platform's refusal
    waits for the next pull (a lost token also turns the account to access_lost)."""
    now = utc_now()
    async with unit_of_work(a.engine) as tx:
        accounts = await performance.accounts(tx, a, now)
    made = 0
    for account in accounts:
        try:
            account, rows = await performance.read(a, account, now)
            async with unit_of_work(a.engine) as tx:
                made += await performance.record(tx, a, account, rows, now)
        except PlatformError as error:
            log.warning("reading performance refused",
                        extra={"platform": account.platform.value, "reason": error.message})
            if error.kind == ErrorKind.TOKEN_INVALID:
                async with unit_of_work(a.engine) as tx:
                    await publishing.lose_access(tx, a, account.workspace_id, account.account_id, error)
        except ConcurrencyConflict:
            continue  # another worker recorded the same pull; the next one compares with it
    return made
