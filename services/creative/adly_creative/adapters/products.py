"""The products read model: the catalog's ProductUpserted / ProductRemoved, as the creative
context needs them. The product id is the catalog's aggregate id (what CreativesRequested
and the API name); a row only moves forward in version, so an old event arriving late
never overwrites a newer state."""

from __future__ import annotations

import json
from collections.abc import Sequence
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from adly_creative.domain.ports import Money
from adly_creative.domain.products import ProductRecord, product_record
from adly_events import EventEnvelope
from adly_events.contracts.catalog import ProductRemoved, ProductUpserted
from adly_kit.sql import Statements


def _money_json(value: Money | None) -> dict[str, str] | None:
    return {"amount": str(value.amount), "currency": value.currency} if value else None


def _money(value: dict[str, Any] | None) -> Money | None:
    return Money(Decimal(value["amount"]), value["currency"]) if value else None


class ProductCatalog:
    def __init__(self, schema: str) -> None:
        self.sql = Statements(schema)

    async def upsert(self, tx: AsyncConnection, envelope: EventEnvelope, payload: ProductUpserted) -> None:
        assert envelope.workspace_id is not None, "a product event names its workspace"
        record = product_record(envelope.aggregate_id, envelope.workspace_id, payload)
        await tx.execute(self.sql("""
            INSERT INTO {s}.products (id, workspace_id, store_id, platform, version, name, names, description, url,
                                      vendor, prices, image_urls, removed, updated_at)
            VALUES (:id, :w, :store, :platform, :v, :name, CAST(:names AS jsonb), :description, :url, :vendor,
                    CAST(:prices AS jsonb), CAST(:images AS jsonb), false, :at)
            ON CONFLICT (id) DO UPDATE SET workspace_id = excluded.workspace_id, store_id = excluded.store_id,
                platform = excluded.platform, version = excluded.version, name = excluded.name, names = excluded.names,
                description = excluded.description, url = excluded.url, vendor = excluded.vendor,
                prices = excluded.prices, image_urls = excluded.image_urls, removed = false, updated_at = excluded.updated_at
            WHERE {s}.products.version < excluded.version"""),
            {"id": record.id, "w": record.workspace_id, "store": payload.store_id,
             "platform": str(payload.platform), "v": envelope.aggregate_version, "name": record.name,
             "names": json.dumps(record.names), "description": record.description, "url": record.url,
             "vendor": record.vendor, "images": json.dumps(list(record.image_urls)),
             "prices": json.dumps([{"price": _money_json(price), "was": _money_json(was)} for price, was in record.prices]),
             "at": envelope.occurred_at})

    async def remove(self, tx: AsyncConnection, envelope: EventEnvelope, payload: ProductRemoved) -> None:
        await tx.execute(self.sql("""
            INSERT INTO {s}.products (id, workspace_id, store_id, platform, version, name, removed, updated_at)
            VALUES (:id, :w, :store, :platform, :v, :name, true, :at)
            ON CONFLICT (id) DO UPDATE SET removed = true, version = excluded.version, updated_at = excluded.updated_at
            WHERE {s}.products.version < excluded.version"""),
            {"id": envelope.aggregate_id, "w": envelope.workspace_id, "store": payload.store_id,
             "platform": str(payload.platform), "v": envelope.aggregate_version, "name": payload.external_id,
             "at": envelope.occurred_at})

    async def get_many(self, conn: AsyncConnection, workspace_id: UUID, ids: Sequence[UUID]) -> dict[UUID, ProductRecord]:
        rows = await conn.execute(self.sql("""
            SELECT id, workspace_id, name, names, description, url, vendor, prices, image_urls FROM {s}.products
            WHERE workspace_id = :w AND id = ANY(:ids) AND NOT removed"""), {"w": workspace_id, "ids": list(ids)})
        return {row[0]: _record(row) for row in rows}

    async def missing(self, conn: AsyncConnection, workspace_id: UUID, ids: Sequence[UUID]) -> list[UUID]:
        found = await self.get_many(conn, workspace_id, ids)
        return [i for i in ids if i not in found]


def _record(row: Any) -> ProductRecord:
    prices = tuple((_money(p["price"]), _money(p.get("was"))) for p in row[7])
    return ProductRecord(row[0], row[1], row[2], dict(row[3] or {}), row[4], row[5], row[6], prices, tuple(row[8] or ()))
