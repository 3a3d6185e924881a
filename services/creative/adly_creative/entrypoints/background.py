"""Background work of the creative service (worker role): running generation jobs.

Jobs are claimed from the `job_queue` work table (adly_kit.worklist) under a lease, at
most `job_concurrency` at a time per process. The queue's insert trigger NOTIFYs at
commit, so a job accepted by any process starts within milliseconds, not at the next poll.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import asyncpg

from adly_creative.adapters.container import Adapters
from adly_creative.handlers.generation import JobRunner
from adly_kit.service import Runtime
from adly_kit.worklist import run_worklist

log = logging.getLogger(__name__)


def generation_worker(bind: Callable[[Runtime], Adapters]):
    async def generate(runtime: Runtime) -> None:
        a = bind(runtime)
        wake = asyncio.Event()
        listener = await asyncpg.connect(
            a.settings.asyncpg_dsn, server_settings={"application_name": f"adly-{a.settings.schema}-jobs"})
        await listener.add_listener(a.queue.channel(), lambda *_: wake.set())
        try:
            await run_worklist(a.engine, a.queue.worklist, JobRunner(a).work, concurrency=a.settings.job_concurrency,
                               poll_seconds=a.settings.job_poll_seconds, wake=wake)
        finally:
            await listener.close()
            await a.aclose()

    return generate
