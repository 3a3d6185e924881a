"""`adly-creative` that stalls right after the first unit of work of its job routes commits.

Test-only launcher (`python -m tests.e2e.creative_stall serve`): the job the request created
is committed, then the route prints `STALLED_AFTER_COMMIT` and never answers, so a test can
SIGKILL the process at exactly the point where the outcome is unknown to the caller: after the
commit, before the answer. Everything else is the service as shipped.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from adly_creative.bootstrap import main
from adly_creative.entrypoints import job_routes

MARKER = "STALLED_AFTER_COMMIT"


def stall_after_first_commit() -> None:
    committed = job_routes.unit_of_work
    armed = [True]

    @asynccontextmanager
    async def unit_of_work(engine: Any) -> AsyncIterator[Any]:
        async with committed(engine) as tx:
            yield tx
        if armed[0]:  # the transaction has committed: the job exists
            armed[0] = False
            print(MARKER, flush=True)
            await asyncio.Event().wait()

    job_routes.unit_of_work = unit_of_work  # type: ignore[assignment]


if __name__ == "__main__":
    stall_after_first_commit()
    sys.argv[0] = "adly-creative"
    main()
