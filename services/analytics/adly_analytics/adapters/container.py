"""Every adapter the analytics handlers use, built once per running process by the runtime."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine

from adly_analytics.adapters.cells import CellQueries
from adly_analytics.adapters.directory import CampaignDirectoryRepository
from adly_analytics.adapters.exports import ExportQueries
from adly_analytics.adapters.ledgers import OrderRepository, PerformanceRepository
from adly_analytics.adapters.rules_store import RuleRepository
from adly_analytics.adapters.updates import FiguresUpdates
from adly_analytics.handlers.ports import (
    CampaignDirectory,
    CellReader,
    ExportReader,
    FiguresLog,
    OrderLedger,
    PerformanceLedger,
    RuleStore,
)
from adly_kit.eventstore import EventStore
from adly_kit.service import Runtime
from adly_kit.settings import ServiceSettings


@dataclass
class Adapters:
    settings: ServiceSettings
    engine: AsyncEngine
    store: EventStore
    directory: CampaignDirectory
    performance: PerformanceLedger
    orders: OrderLedger
    cells: CellReader
    updates: FiguresLog
    exports: ExportReader
    rules: RuleStore


@asynccontextmanager
async def open_adapters(runtime: Runtime) -> AsyncIterator[Adapters]:
    schema = runtime.settings.schema
    yield Adapters(settings=runtime.settings, engine=runtime.engine, store=runtime.store,
                   directory=CampaignDirectoryRepository(schema), performance=PerformanceRepository(schema),
                   orders=OrderRepository(schema), cells=CellQueries(schema),
                   updates=FiguresUpdates(runtime.store), exports=ExportQueries(schema),
                   rules=RuleRepository(schema))
