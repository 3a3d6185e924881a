"""The catalog's product events feed the products read model; other catalog events are not ours."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

from adly_creative.adapters.container import Adapters
from adly_events import EventEnvelope
from adly_events.contracts.catalog import ProductRemoved, ProductUpserted


async def on_product_event(tx: AsyncConnection, a: Adapters, envelope: EventEnvelope, payload) -> None:
    if envelope.workspace_id is None:
        return
    match payload:
        case ProductUpserted():
            await a.products.upsert(tx, envelope, payload)
        case ProductRemoved():
            await a.products.remove(tx, envelope, payload)
