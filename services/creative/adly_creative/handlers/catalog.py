"""The catalog's product events feed the products read model jobs read their facts from."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

from adly_creative.adapters.container import Adapters
from adly_events import EventEnvelope
from adly_events.contracts.catalog import ProductRemoved, ProductUpserted


async def product_upserted(tx: AsyncConnection, a: Adapters, event: ProductUpserted, envelope: EventEnvelope) -> None:
    if envelope.workspace_id is not None:  # a product belongs to a workspace's store, or to nobody we serve
        await a.products.upsert(tx, envelope, event)


async def product_removed(tx: AsyncConnection, a: Adapters, event: ProductRemoved, envelope: EventEnvelope) -> None:
    if envelope.workspace_id is not None:
        await a.products.remove(tx, envelope, event)
