"""The ports the analytics handlers use that take a transaction; adapters/ implements them over
Postgres, tests/unit/doubles.py in memory."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal, Protocol
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from adly_analytics.domain.attribution import Campaigns, Entry, OrderRecord
from adly_analytics.domain.figures import Key, PerformanceRow, Series, Totals
from adly_analytics.domain.rules import History, RuleSpec
from adly_events.contracts.analytics import FiguresUpdated, RuleFired
from adly_events.contracts.catalog import CatalogOrder
from adly_events.contracts.common import AdPlatform

Grain = Literal["workspace", "ad", "product", "hour"]


@dataclass(frozen=True)
class CellDelta:
    """What one cell of the read model gains (or loses): `totals.reach_rows` counts performance rows."""

    grain: Grain
    key: Key
    totals: Totals
    hour: int = -1


class CampaignDirectory(Protocol):
    async def drafted(self, tx: AsyncConnection, workspace_id: UUID, campaign_id: UUID) -> None: ...

    async def published(self, tx: AsyncConnection, workspace_id: UUID, campaign_id: UUID, platform: AdPlatform,
                        ad_sets: Mapping[UUID, str]) -> None: ...

    async def ad_sets(self, tx: AsyncConnection, campaign_ids: Sequence[UUID]) -> dict[UUID, str]: ...

    async def campaigns(self, tx: AsyncConnection, workspace_id: UUID, since: date) -> Campaigns: ...

    async def time_zone(self, tx: AsyncConnection, workspace_id: UUID) -> str: ...

    async def first_time_zone(self, tx: AsyncConnection, workspace_id: UUID, time_zone: str) -> None: ...


class PerformanceLedger(Protocol):
    async def latest(self, tx: AsyncConnection, series: Sequence[Series]) -> dict[Series, PerformanceRow]: ...

    async def save(self, tx: AsyncConnection, rows: Sequence[PerformanceRow], deltas: Sequence[CellDelta]) -> None: ...

    async def without_ad_set(self, tx: AsyncConnection, campaign_id: UUID,
                             platform: AdPlatform) -> list[PerformanceRow]: ...

    async def assign_ad_sets(self, tx: AsyncConnection, rows: Sequence[PerformanceRow],
                             deltas: Sequence[CellDelta]) -> None: ...


class OrderLedger(Protocol):
    async def record(self, tx: AsyncConnection, order_id: UUID) -> OrderRecord | None: ...

    async def save(self, tx: AsyncConnection, record: OrderRecord, order: CatalogOrder, entries: Sequence[Entry],
                   deltas: Sequence[CellDelta]) -> None:
        """Keep the record and the order's latest version (`order`), add the entries and their cells."""
        ...

    async def awaiting_credit(self, tx: AsyncConnection, workspace_id: UUID,
                              placed_since: datetime) -> list[tuple[OrderRecord, CatalogOrder]]:
        """The workspace's orders crediting no campaign yet (unattributed, or a platform only) placed
        since then, locked, with their latest versions."""
        ...

    async def awaiting_delivery(self, tx: AsyncConnection, workspace_id: UUID, platforms: Sequence[AdPlatform],
                                placed_from: datetime, placed_until: datetime) -> list[tuple[OrderRecord, CatalogOrder]]:
        """The workspace's orders crediting one of `platforms` alone from a click id, placed in that
        span, locked, with their latest versions."""
        ...

    async def redecided(self, tx: AsyncConnection, record: OrderRecord, entries: Sequence[Entry],
                        deltas: Sequence[CellDelta]) -> None:
        """Keep a record decided again at the same version, with the entries that moved its sale."""
        ...


class CellReader(Protocol):
    async def cells(self, tx: AsyncConnection, workspace_id: UUID, grain: Grain, start: date, end: date, *,
                    platform: AdPlatform | None = None, campaign_id: UUID | None = None) -> dict[Key, Totals]: ...

    async def sums(self, tx: AsyncConnection, workspace_id: UUID, grain: Grain, by: Sequence[str], start: date,
                   end: date, *, platform: AdPlatform | None = None,
                   campaign_id: UUID | None = None) -> dict[Key, Totals]:
        """The cells from `start` to `end` summed per group of `by` (dimensions of `Key`), as the
        domain's `rollup` of `cells` sums them; only the groups come back."""
        ...

    async def ranked(self, tx: AsyncConnection, workspace_id: UUID, grain: Grain, by: Sequence[str], start: date,
                     end: date, *, offset: int, limit: int, platform: AdPlatform | None = None,
                     campaign_id: UUID | None = None) -> tuple[list[tuple[Key, Totals]], bool]:
        """`limit` groups of `by` from `offset`, largest attributed revenue first, then spend, then key
        (`reading.largest`); and whether more groups follow."""
        ...

    async def hours(self, tx: AsyncConnection, workspace_id: UUID, start: date, end: date, *,
                    platform: AdPlatform | None = None,
                    campaign_id: UUID | None = None) -> dict[tuple[date, int], Totals]: ...

    async def reach(self, tx: AsyncConnection, workspace_id: UUID, start: date, end: date) -> int | None: ...


class FiguresLog(Protocol):
    """Appends `FiguresUpdated` to the event store (outbox included) in the writer's transaction."""

    async def updated(self, tx: AsyncConnection, workspace_id: UUID, update: FiguresUpdated, *,
                      causation_id: UUID | None = None, correlation_id: UUID | None = None) -> None: ...


class ExportReader(Protocol):
    """A workspace's cells of one grain summed per group and currency (key, currency, totals), in key
    order, read through a server-side cursor a page at a time (never the whole set in memory)."""

    def groups(self, tx: AsyncConnection, workspace_id: UUID, grain: Grain, by: Sequence[str], start: date,
               end: date) -> AsyncIterator[tuple[Key, str, Totals]]: ...


@dataclass(frozen=True)
class StoredRule:
    rule_id: UUID
    workspace_id: UUID
    spec: RuleSpec
    version: int = 0              # RuleFired events recorded so far (the rule is their aggregate)


class RuleStore(Protocol):
    async def list(self, tx: AsyncConnection, workspace_id: UUID) -> list[StoredRule]: ...

    async def get(self, tx: AsyncConnection, workspace_id: UUID, rule_id: UUID, *,
                  lock: bool = False) -> StoredRule | None: ...

    async def put(self, tx: AsyncConnection, rule: StoredRule) -> None: ...

    async def delete(self, tx: AsyncConnection, workspace_id: UUID, rule_id: UUID) -> bool: ...

    async def history(self, tx: AsyncConnection, rule_id: UUID) -> History: ...

    async def fired(self, tx: AsyncConnection, rule_id: UUID, version: int, event_id: UUID,
                    event: RuleFired) -> None: ...

    async def latest_day(self, tx: AsyncConnection, workspace_id: UUID) -> date | None: ...
