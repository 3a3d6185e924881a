"""Every adapter the campaigns handlers use, built once per running process by the runtime."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine

from adly_kit.eventstore import EventStore
from adly_kit.service import Runtime
from adly_kit.settings import ServiceSettings


@dataclass
class Adapters:
    settings: ServiceSettings
    engine: AsyncEngine
    store: EventStore


@asynccontextmanager
async def open_adapters(runtime: Runtime) -> AsyncIterator[Adapters]:
    yield Adapters(settings=runtime.settings, engine=runtime.engine, store=runtime.store)
