"""The facts: each performance series at its latest revision, and each order's record with the
attribution entries it added; every write carries its cells' deltas in the same transaction."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from adly_analytics.adapters.cells import add_cells, copy_into, staging
from adly_analytics.adapters.records import dump_record, dump_touch, load_record
from adly_analytics.domain.attribution import Attribution, Entry, OrderRecord
from adly_analytics.domain.figures import PerformanceRow, Series
from adly_analytics.handlers.ports import CellDelta
from adly_events.contracts.campaigns import PerformanceLevel
from adly_events.contracts.catalog import CatalogOrder
from adly_events.contracts.common import AdPlatform, Money

REDECIDED_SEQ = 1000
SERIES = ("campaign_id", "platform", "level", "object_id", "day", "hour")
PERFORMANCE = SERIES + ("workspace_id", "revision", "impressions", "clicks", "spend", "spend_currency", "conversions",
                        "conversion_value", "value_currency", "reach", "ad_set_id", "ad_id", "product")


class PerformanceRepository:
    def __init__(self, schema: str) -> None:
        self.s = schema

    async def latest(self, tx: AsyncConnection, series: Sequence[Series]) -> dict[Series, PerformanceRow]:
        if not series:
            return {}
        keys = [json.dumps([str(c), p.value, lv.value, o, d.isoformat(), -1 if h is None else h])
                for c, p, lv, o, d, h in series]
        rows = await tx.execute(text(
            f"SELECT p.* FROM {self.s}.performance p JOIN (SELECT CAST(k AS jsonb) AS k FROM unnest(CAST(:keys AS text[])) "
            "AS k) wanted ON p.campaign_id = (wanted.k->>0)::uuid AND p.platform = wanted.k->>1 "
            "AND p.level = wanted.k->>2 AND p.object_id = wanted.k->>3 AND p.day = (wanted.k->>4)::date "
            "AND p.hour = (wanted.k->>5)::smallint FOR UPDATE OF p"), {"keys": keys})
        found = [_row(r) for r in rows]
        return {row.series: row for row in found}

    async def save(self, tx: AsyncConnection, rows: Sequence[PerformanceRow], deltas: Sequence[CellDelta]) -> None:
        stage = await staging(tx, f"{self.s}_performance_stage", f"{self.s}.performance")
        await copy_into(tx, stage, PERFORMANCE, [_record(row) for row in rows])
        columns = ", ".join(PERFORMANCE)
        newer = ", ".join(f"{c} = excluded.{c}" for c in PERFORMANCE if c not in SERIES)
        await tx.execute(text(
            f"INSERT INTO {self.s}.performance ({columns}) SELECT {columns} FROM {stage} "
            f"ON CONFLICT ({', '.join(SERIES)}) DO UPDATE SET {newer} WHERE performance.revision < excluded.revision"))
        await add_cells(tx, self.s, deltas)

    async def without_ad_set(self, tx: AsyncConnection, campaign_id: UUID,
                             platform: AdPlatform) -> list[PerformanceRow]:
        rows = await tx.execute(text(
            f"SELECT * FROM {self.s}.performance WHERE campaign_id = :c AND platform = :p AND level = 'ad' "
            "AND ad_set_id IS NULL ORDER BY object_id, day, hour FOR UPDATE"), {"c": campaign_id, "p": platform.value})
        return [_row(r) for r in rows]

    async def assign_ad_sets(self, tx: AsyncConnection, rows: Sequence[PerformanceRow],
                             deltas: Sequence[CellDelta]) -> None:
        await tx.execute(text(
            f"UPDATE {self.s}.performance SET ad_set_id = :ad_set WHERE campaign_id = :c AND platform = :p "
            "AND level = :level AND object_id = :o AND day = :d AND hour = :h"),
            [{"ad_set": r.ad_set_id, "c": r.campaign_id, "p": r.platform.value, "level": r.level.value,
              "o": r.object_id, "d": r.day, "h": -1 if r.hour is None else r.hour} for r in rows])
        await add_cells(tx, self.s, deltas)


class OrderRepository:
    def __init__(self, schema: str) -> None:
        self.s = schema

    async def record(self, tx: AsyncConnection, order_id: UUID) -> OrderRecord | None:
        found = (await tx.execute(text(
            f"SELECT workspace_id, version, record FROM {self.s}.orders WHERE order_id = :o FOR UPDATE"),
            {"o": order_id})).first()
        return None if found is None else load_record(found.workspace_id, order_id, found.version, found.record)

    async def save(self, tx: AsyncConnection, record: OrderRecord, order: CatalogOrder, entries: Sequence[Entry],
                   deltas: Sequence[CellDelta]) -> None:
        await tx.execute(text(
            f"INSERT INTO {self.s}.orders (order_id, workspace_id, version, record, placed_at, latest, awaiting_campaign, "
            "awaiting_delivery) VALUES (:o, :w, :v, CAST(:r AS jsonb), :placed, CAST(:latest AS jsonb), :awaiting, "
            ":delivery) "
            "ON CONFLICT (order_id) DO UPDATE SET version = excluded.version, record = excluded.record, "
            "placed_at = excluded.placed_at, latest = excluded.latest, awaiting_campaign = excluded.awaiting_campaign, "
            "awaiting_delivery = excluded.awaiting_delivery "
            "WHERE orders.version < excluded.version"),
            {"o": record.order_id, "w": record.workspace_id, "v": record.version, "r": json.dumps(dump_record(record)),
             "placed": order.placed_at, "latest": order.model_dump_json(), "awaiting": record.credit.awaits_campaign,
             "delivery": _platform(record)})
        await self._entries(tx, record.version, 0, entries)
        await add_cells(tx, self.s, deltas)

    async def awaiting_credit(self, tx: AsyncConnection, workspace_id: UUID,
                              placed_since: datetime) -> list[tuple[OrderRecord, CatalogOrder]]:
        rows = await tx.execute(text(
            f"SELECT order_id, version, record, latest FROM {self.s}.orders WHERE workspace_id = :w AND awaiting_campaign "
            "AND placed_at >= :since AND latest IS NOT NULL ORDER BY placed_at, order_id FOR UPDATE"),
            {"w": workspace_id, "since": placed_since})
        return [(load_record(workspace_id, row.order_id, row.version, row.record),
                 CatalogOrder.model_validate(row.latest)) for row in rows]

    async def awaiting_delivery(self, tx: AsyncConnection, workspace_id: UUID, platforms: Sequence[AdPlatform],
                                placed_from: datetime, placed_until: datetime) -> list[tuple[OrderRecord, CatalogOrder]]:
        rows = await tx.execute(text(
            f"SELECT order_id, version, record, latest FROM {self.s}.orders WHERE workspace_id = :w "
            "AND awaiting_delivery = ANY(:platforms) AND placed_at >= :since AND placed_at < :until "
            "ORDER BY placed_at, order_id FOR UPDATE"),
            {"w": workspace_id, "platforms": [p.value for p in platforms], "since": placed_from, "until": placed_until})
        return [(load_record(workspace_id, row.order_id, row.version, row.record),
                 CatalogOrder.model_validate(row.latest)) for row in rows]

    async def redecided(self, tx: AsyncConnection, record: OrderRecord, entries: Sequence[Entry],
                        deltas: Sequence[CellDelta]) -> None:
        await tx.execute(text(
            f"UPDATE {self.s}.orders SET record = CAST(:r AS jsonb), awaiting_campaign = :awaiting, "
            "awaiting_delivery = :delivery "
            "WHERE order_id = :o AND version = :v"),
            {"o": record.order_id, "v": record.version, "r": json.dumps(dump_record(record)),
             "awaiting": record.credit.awaits_campaign, "delivery": _platform(record)})
        # A version's own entries are numbered from 0; the ones a re-decision adds to it from
        # REDECIDED_SEQ (an order moves at most once: it then credits a campaign).
        await self._entries(tx, record.version, REDECIDED_SEQ, entries)
        await add_cells(tx, self.s, deltas)

    async def _entries(self, tx: AsyncConnection, version: int, first: int, entries: Sequence[Entry]) -> None:
        if entries:
            await tx.execute(text(
                f"INSERT INTO {self.s}.entries (order_id, version, seq, workspace_id, kind, reason, level, platform, "
                "campaign_id, ad_set_id, ad_id, day, orders, amount, currency, products, touch) VALUES (:order_id, "
                ":version, :seq, :workspace_id, :kind, :reason, :level, :platform, :campaign_id, :ad_set_id, :ad_id, "
                ":day, :orders, :amount, :currency, CAST(:products AS jsonb), CAST(:touch AS jsonb))"),
                [_entry(version, first + seq, entry) for seq, entry in enumerate(entries)])


def _record(row: PerformanceRow) -> tuple[Any, ...]:
    return (row.campaign_id, row.platform.value, row.level.value, row.object_id, row.day,
            -1 if row.hour is None else row.hour, row.workspace_id, row.revision, row.impressions, row.clicks,
            row.spend.amount, row.spend.currency, row.conversions, row.conversion_value.amount,
            row.conversion_value.currency, row.reach, row.ad_set_id, row.ad_id, row.product)


def _row(r: Any) -> PerformanceRow:
    return PerformanceRow(r.workspace_id, r.campaign_id, AdPlatform(r.platform), PerformanceLevel(r.level), r.object_id,
                          r.day, r.revision, r.impressions, r.clicks, Money(amount=r.spend, currency=r.spend_currency),
                          r.conversions, Money(amount=r.conversion_value, currency=r.value_currency), r.reach,
                          r.ad_set_id, r.ad_id, r.product, None if r.hour == -1 else r.hour)


def _entry(version: int, seq: int, entry: Entry) -> dict[str, Any]:
    attribution = isinstance(entry, Attribution)
    money = entry.revenue if isinstance(entry, Attribution) else entry.amount
    credit = entry.credit
    return {"order_id": entry.order_id, "version": version, "seq": seq, "workspace_id": entry.workspace_id,
            "kind": "attribution" if attribution else "adjustment",
            "reason": None if isinstance(entry, Attribution) else entry.reason.value, "level": credit.level.value,
            "platform": credit.platform.value if credit.platform else None, "campaign_id": credit.campaign_id,
            "ad_set_id": credit.ad_set_id, "ad_id": credit.ad_id, "day": entry.day, "orders": entry.orders,
            "amount": money.amount, "currency": money.currency,
            "products": json.dumps([{"product": p.product, "amount": str(p.amount.amount)} for p in entry.products]),
            "touch": json.dumps(dump_touch(entry.touch)) if isinstance(entry, Attribution) else None}


def _platform(record: OrderRecord) -> str | None:
    platform = record.awaiting_delivery
    return None if platform is None else platform.value
