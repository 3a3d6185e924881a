"""Database access at the edge: one async engine per service, one schema per service."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from adly_kit.settings import ServiceSettings

_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def safe_schema(schema: str) -> str:
    """Schemas are interpolated into SQL, so only plain lower-case identifiers pass."""
    if not _IDENTIFIER.match(schema):
        raise ValueError(f"not a safe schema name: {schema!r}")
    return schema


def make_engine(settings: ServiceSettings) -> AsyncEngine:
    return create_async_engine(
        settings.database_url,
        # Every connection the pool opens stays open, and a burst beyond the size waits for one.
        # With an overflow, a burst above the kept size opened connections and closed them again
        # as they came back (the pool is FIFO, so every connection took its turn): a backend
        # forked, a login and the driver's type introspection each time, which under 16
        # concurrent requests was most of auth's and Postgres's CPU (docs/benchmarks.md).
        pool_size=settings.database_pool_size,
        max_overflow=0,
        # No pre-ping: it costs a round trip per transaction (a fifth of an append's time).
        # A connection found dead is invalidated on its error and replaced; consumers
        # redeliver on such errors, and HTTP clients retry.
        pool_pre_ping=False,
        pool_recycle=1800,
        connect_args={"server_settings": {"application_name": f"adly-{settings.service_name}"}},
    )


@asynccontextmanager
async def unit_of_work(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """One transaction: everything written inside commits together or not at all."""
    async with engine.begin() as connection:
        yield connection


async def database_is_ready(engine: AsyncEngine) -> bool:
    try:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
        return True
    except Exception:
        return False
