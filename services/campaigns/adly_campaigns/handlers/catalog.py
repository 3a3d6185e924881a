"""The catalog's products, kept so briefs can name them and ads can lead to them."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

from adly_campaigns.adapters.container import Adapters
from adly_events import EventEnvelope
from adly_events.contracts.catalog import ProductRemoved, ProductUpserted


async def product_upserted(tx: AsyncConnection, a: Adapters, event: ProductUpserted, envelope: EventEnvelope) -> None:
    if envelope.workspace_id is None:
        return
    product = event.product
    titles = [product.name, *product.names.values()]
    collections = [c for c in (product.product_type, product.vendor) if c]
    await a.products.keep(tx, envelope.workspace_id, event.store_id, envelope.aggregate_id,
                          " / ".join(dict.fromkeys(t for t in titles if t)), product.url,
                          product.tags, collections, product.status.value)


async def product_removed(tx: AsyncConnection, a: Adapters, event: ProductRemoved, envelope: EventEnvelope) -> None:
    await a.products.drop(tx, envelope.aggregate_id)
