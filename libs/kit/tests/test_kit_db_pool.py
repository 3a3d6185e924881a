"""A service's engine keeps the connections it opens: a burst of concurrent requests is served
by the same Postgres backends as the one before it, and never by more than the pool's size."""

import asyncio

from sqlalchemy import text

from adly_kit.db import make_engine
from adly_kit.settings import ServiceSettings

SIZE = 3


async def _burst(engine, tasks: int) -> list[int]:
    """`tasks` concurrent checkouts; each holds its connection until SIZE are held at once."""
    held = 0
    full = asyncio.Event()

    async def one() -> int:
        nonlocal held
        async with engine.connect() as connection:
            pid = (await connection.execute(text("SELECT pg_backend_pid()"))).scalar_one()
            held += 1
            if held >= SIZE:
                full.set()
            await full.wait()
            held -= 1
            return pid

    return await asyncio.gather(*(one() for _ in range(tasks)))


async def test_bursts_beyond_the_pool_size_reuse_the_same_backends(service_settings: ServiceSettings):
    engine = make_engine(service_settings.model_copy(update={"database_pool_size": SIZE}))
    try:
        first = await _burst(engine, 3 * SIZE)
        second = await _burst(engine, 3 * SIZE)
        backends = set(first) | set(second)
        assert len(backends) == SIZE, f"{len(backends)} backends served two bursts of {3 * SIZE}; the pool holds {SIZE}"
        assert set(second) == set(first)
    finally:
        await engine.dispose()
