"""In-memory implementations of the analytics ports (handlers/ports.py), for handler tests without
Postgres or a broker; the engine and the event store fail loudly if a handler reaches for them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any, cast
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from adly_analytics.adapters.container import Adapters
from adly_analytics.domain.attribution import Campaigns, Entry, OrderRecord, Publication
from adly_analytics.domain.figures import Key, PerformanceRow, Series, Totals, rollup
from adly_analytics.handlers.ports import CellDelta, Grain
from adly_analytics.handlers.reading import largest
from adly_events.contracts.analytics import FiguresUpdated
from adly_events.contracts.campaigns import PerformanceLevel
from adly_events.contracts.catalog import CatalogOrder
from adly_events.contracts.common import AdPlatform


class Unused:
    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attribute: str) -> Any:
        raise AssertionError(f"a handler used {self._name}.{attribute}; handlers go through their ports")


class MemoryRules:
    """No rules: handler tests of ingest evaluate nothing (the rules' own tests run on Postgres)."""

    async def list(self, tx: AsyncConnection, workspace_id: UUID) -> list[Any]:
        return []


class MemoryCells:
    def __init__(self, performance: MemoryPerformance) -> None:
        self.kept: dict[tuple[str, Key, int], Totals] = {}
        self.performance = performance

    def add(self, deltas: Sequence[CellDelta]) -> None:
        for d in deltas:
            at = (d.grain, d.key, d.hour)
            self.kept[at] = self.kept.get(at, Totals()) + d.totals
            if _empty(self.kept[at]):
                del self.kept[at]        # as the Postgres cells delete a cell that came back to nothing

    async def cells(self, tx: AsyncConnection, workspace_id: UUID, grain: Grain, start: date, end: date, *,
                    platform: AdPlatform | None = None, campaign_id: UUID | None = None) -> dict[Key, Totals]:
        found: dict[Key, Totals] = {}
        for (g, key, hour), totals in self.kept.items():
            if g == grain and hour == -1 and self._within(key, workspace_id, start, end, platform, campaign_id):
                found[key] = found.get(key, Totals()) + totals
        return found

    async def sums(self, tx: AsyncConnection, workspace_id: UUID, grain: Grain, by: Sequence[str], start: date,
                   end: date, *, platform: AdPlatform | None = None,
                   campaign_id: UUID | None = None) -> dict[Key, Totals]:
        cells = await self.cells(tx, workspace_id, grain, start, end, platform=platform, campaign_id=campaign_id)
        return {key: f.totals for key, f in rollup(cells, by=by, start=start, end=end).items()}

    async def ranked(self, tx: AsyncConnection, workspace_id: UUID, grain: Grain, by: Sequence[str], start: date,
                     end: date, *, offset: int, limit: int, platform: AdPlatform | None = None,
                     campaign_id: UUID | None = None) -> tuple[list[tuple[Key, Totals]], bool]:
        cells = await self.cells(tx, workspace_id, grain, start, end, platform=platform, campaign_id=campaign_id)
        groups = sorted(rollup(cells, by=by, start=start, end=end).items(), key=largest)
        return [(key, f.totals) for key, f in groups[offset:offset + limit]], offset + limit < len(groups)

    async def hours(self, tx: AsyncConnection, workspace_id: UUID, start: date, end: date, *,
                    platform: AdPlatform | None = None,
                    campaign_id: UUID | None = None) -> dict[tuple[date, int], Totals]:
        found: dict[tuple[date, int], Totals] = {}
        for (g, key, hour), totals in self.kept.items():
            if g == "hour" and key.day and self._within(key, workspace_id, start, end, platform, campaign_id):
                found[(key.day, hour)] = found.get((key.day, hour), Totals()) + totals
        return found

    async def reach(self, tx: AsyncConnection, workspace_id: UUID, start: date, end: date) -> int | None:
        rows = [r for r in self.performance.rows.values() if r.workspace_id == workspace_id and start <= r.day <= end
                and r.level == PerformanceLevel.AD and r.hour is None]
        return rows[0].reach if len(rows) == 1 else None

    @staticmethod
    def _within(key: Key, workspace_id: UUID, start: date, end: date, platform: AdPlatform | None,
                campaign_id: UUID | None) -> bool:
        return (key.workspace_id == workspace_id and key.day is not None and start <= key.day <= end
                and platform in (None, key.platform) and campaign_id in (None, key.campaign_id))


def _empty(t: Totals) -> bool:
    money = (t.spend, t.conversion_value, t.revenue)
    return (t.impressions, t.clicks, t.conversions, t.orders, t.reach_rows) == (0, 0, 0, 0, 0) and not any(
        amount for amounts in money for _, amount in amounts.by_currency)


class MemoryPerformance:
    def __init__(self) -> None:
        self.rows: dict[Series, PerformanceRow] = {}
        self.cells = MemoryCells(self)
        self.saves = 0

    async def latest(self, tx: AsyncConnection, series: Sequence[Series]) -> dict[Series, PerformanceRow]:
        return {s: self.rows[s] for s in series if s in self.rows}

    async def save(self, tx: AsyncConnection, rows: Sequence[PerformanceRow], deltas: Sequence[CellDelta]) -> None:
        self.saves += 1
        for row in rows:
            self.rows[row.series] = row
        self.cells.add(deltas)

    async def without_ad_set(self, tx: AsyncConnection, campaign_id: UUID,
                             platform: AdPlatform) -> list[PerformanceRow]:
        return [r for r in self.rows.values() if r.campaign_id == campaign_id and r.platform == platform
                and r.level == PerformanceLevel.AD and r.ad_set_id is None]

    async def assign_ad_sets(self, tx: AsyncConnection, rows: Sequence[PerformanceRow],
                             deltas: Sequence[CellDelta]) -> None:
        await self.save(tx, rows, deltas)


class MemoryOrders:
    def __init__(self, cells: MemoryCells) -> None:
        self.records: dict[UUID, OrderRecord] = {}
        self.latest: dict[UUID, CatalogOrder] = {}
        self.entries: list[Entry] = []
        self.cells = cells

    async def record(self, tx: AsyncConnection, order_id: UUID) -> OrderRecord | None:
        return self.records.get(order_id)

    async def save(self, tx: AsyncConnection, record: OrderRecord, order: CatalogOrder, entries: Sequence[Entry],
                   deltas: Sequence[CellDelta]) -> None:
        self.records[record.order_id] = record
        self.latest[record.order_id] = order
        self.entries.extend(entries)
        self.cells.add(deltas)

    async def awaiting_credit(self, tx: AsyncConnection, workspace_id: UUID,
                              placed_since: datetime) -> list[tuple[OrderRecord, CatalogOrder]]:
        return sorted(((r, self.latest[o]) for o, r in self.records.items()
                       if r.workspace_id == workspace_id and r.credit.awaits_campaign
                       and self.latest[o].placed_at >= placed_since), key=lambda pair: pair[1].placed_at)

    async def awaiting_delivery(self, tx: AsyncConnection, workspace_id: UUID, platforms: Sequence[AdPlatform],
                                placed_from: datetime, placed_until: datetime) -> list[tuple[OrderRecord, CatalogOrder]]:
        return sorted(((r, self.latest[o]) for o, r in self.records.items()
                       if r.workspace_id == workspace_id and r.awaiting_delivery in platforms
                       and placed_from <= self.latest[o].placed_at < placed_until), key=lambda pair: pair[1].placed_at)

    async def redecided(self, tx: AsyncConnection, record: OrderRecord, entries: Sequence[Entry],
                        deltas: Sequence[CellDelta]) -> None:
        self.records[record.order_id] = record
        self.entries.extend(entries)
        self.cells.add(deltas)


class MemoryDirectory:
    def __init__(self, performance: MemoryPerformance) -> None:
        self.owned: dict[UUID, UUID] = {}
        self.publications: dict[tuple[UUID, AdPlatform], tuple[UUID, dict[UUID, str]]] = {}
        self.zones: dict[UUID, str] = {}
        self.performance = performance

    async def drafted(self, tx: AsyncConnection, workspace_id: UUID, campaign_id: UUID) -> None:
        self.owned.setdefault(campaign_id, workspace_id)

    async def published(self, tx: AsyncConnection, workspace_id: UUID, campaign_id: UUID, platform: AdPlatform,
                        ad_sets: Mapping[UUID, str]) -> None:
        _, known = self.publications.get((campaign_id, platform), (workspace_id, {}))
        self.publications[(campaign_id, platform)] = (workspace_id, known | dict(ad_sets))

    async def ad_sets(self, tx: AsyncConnection, campaign_ids: Sequence[UUID]) -> dict[UUID, str]:
        return {ad: s for (c, _), (_, ads) in self.publications.items() if c in campaign_ids for ad, s in ads.items()}

    async def campaigns(self, tx: AsyncConnection, workspace_id: UUID, since: date) -> Campaigns:
        def delivering(campaign_id: UUID, platform: AdPlatform) -> frozenset[date]:
            return frozenset(r.day for r in self.performance.rows.values() if r.campaign_id == campaign_id
                             and r.platform == platform and r.impressions > 0 and r.day >= since)

        return Campaigns(frozenset(c for c, w in self.owned.items() if w == workspace_id), tuple(
            Publication(c, p, ads, delivering(c, p))
            for (c, p), (w, ads) in sorted(self.publications.items(), key=str) if w == workspace_id))

    async def time_zone(self, tx: AsyncConnection, workspace_id: UUID) -> str:
        return self.zones.get(workspace_id, "UTC")

    async def first_time_zone(self, tx: AsyncConnection, workspace_id: UUID, time_zone: str) -> None:
        self.zones.setdefault(workspace_id, time_zone)


class MemoryUpdates:
    """`FiguresUpdated` as appended, per workspace."""

    def __init__(self) -> None:
        self.appended: list[tuple[UUID, FiguresUpdated]] = []

    async def updated(self, tx: AsyncConnection, workspace_id: UUID, update: FiguresUpdated, *,
                      causation_id: UUID | None = None, correlation_id: UUID | None = None) -> None:
        self.appended.append((workspace_id, update))


def memory_adapters() -> Adapters:
    performance = MemoryPerformance()
    return Adapters(settings=cast(Any, Unused("settings")), engine=cast(Any, Unused("engine")),
                    store=cast(Any, Unused("store")), directory=MemoryDirectory(performance), performance=performance,
                    orders=MemoryOrders(performance.cells), cells=performance.cells,
                    updates=MemoryUpdates(), exports=cast(Any, Unused("exports")), rules=MemoryRules())
