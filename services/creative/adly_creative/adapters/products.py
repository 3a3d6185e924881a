"""The products read model: the catalog's ProductUpserted / ProductRemoved, as the creative
context needs them. The product id is the catalog's aggregate id (what CreativesRequested
and the API name); a row only moves forward in version, so an old event arriving late
never overwrites a newer state."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from adly_creative.domain.ports import Money, ProductFacts
from adly_events import EventEnvelope
from adly_events.contracts.catalog import ProductRemoved, ProductUpserted
from adly_kit.sql import Statements


@dataclass(frozen=True)
class ProductRecord:
    id: UUID
    workspace_id: UUID
    name: str
    names: dict[str, str] = field(default_factory=dict)
    description: str | None = None
    url: str | None = None
    vendor: str | None = None
    prices: tuple[tuple[Money, Money | None], ...] = ()
    image_urls: tuple[str, ...] = ()

    @property
    def main_price(self) -> tuple[Money | None, Money | None]:
        """The lowest price among the variants ("from"), with that variant's compare-at price."""
        if not self.prices:
            return None, None
        price, was = min(self.prices, key=lambda pair: pair[0].amount)
        return price, (was if was is not None and was.amount > price.amount else None)

    def facts(self, photos: Sequence[bytes] = (), store_name: str | None = None) -> ProductFacts:
        price, was = self.main_price
        return ProductFacts(
            product_id=str(self.id), name=self.name, names=dict(self.names), description=self.description,
            price=price, compare_at_price=was, url=self.url, photos=tuple(photos), store_name=store_name or self.vendor)


def _prices_of(payload: ProductUpserted) -> list[dict]:
    return [{"price": {"amount": str(v.price.amount), "currency": v.price.currency},
             "was": {"amount": str(v.compare_at_price.amount), "currency": v.compare_at_price.currency}
             if v.compare_at_price else None} for v in payload.product.variants]


def _money(value: dict | None) -> Money | None:
    return Money(Decimal(value["amount"]), value["currency"]) if value else None


class ProductCatalog:
    def __init__(self, schema: str) -> None:
        self.sql = Statements(schema)

    async def upsert(self, tx: AsyncConnection, envelope: EventEnvelope, payload: ProductUpserted) -> None:
        product = payload.product
        images = [i.url for i in sorted(product.images, key=lambda i: i.position)]
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
            {"id": envelope.aggregate_id, "w": envelope.workspace_id, "store": payload.store_id,
             "platform": str(payload.platform), "v": envelope.aggregate_version, "name": product.name,
             "names": json.dumps(product.names), "description": product.description, "url": product.url,
             "vendor": product.vendor, "prices": json.dumps(_prices_of(payload)), "images": json.dumps(images),
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


def _record(row) -> ProductRecord:
    prices = tuple((_money(p["price"]), _money(p.get("was"))) for p in row[7])
    return ProductRecord(row[0], row[1], row[2], dict(row[3] or {}), row[4], row[5], row[6], prices, tuple(row[8] or ()))
