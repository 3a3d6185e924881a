"""Read models of the catalog: the products and orders mirror.

The writers (syncs and webhooks) keep the mirror current in their own transactions, so no
runner follows the store (`follows_store = False`); `adly-catalog rebuild mirror` replays
the store into it after a loss or a schema change.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from adly_catalog.adapters.mirror import Mirror
from adly_catalog.domain.identity import fingerprint
from adly_catalog.domain.store import StoreRef
from adly_events import CATALOG, EventEnvelope
from adly_events.contracts.catalog import OrderPlaced, OrderUpdated, ProductRemoved, ProductUpserted
from adly_kit.db import safe_schema
from adly_kit.eventstore import EventStore


class MirrorProjection:
    name = "mirror"
    follows_store = False

    def __init__(self, schema: str) -> None:
        self.s = safe_schema(schema)
        self.mirror = Mirror(EventStore(schema, CATALOG))

    async def apply(self, tx: AsyncConnection, event: EventEnvelope) -> None:
        if event.aggregate_type not in ("product", "order"):
            return
        payload = CATALOG.decode(event)
        ref = StoreRef(payload.store_id, event.workspace_id, payload.platform)
        match payload:
            case ProductUpserted(product=product):
                await self.mirror.write_rows(tx, "products", ref, [(event.aggregate_id, product.external_id,
                                             event.aggregate_version, fingerprint(product), product.model_dump_json(), None)])
            case ProductRemoved():
                await tx.execute(text(f"UPDATE {self.s}.products SET removed = true, version = :v, fingerprint = '' WHERE id = :id"),
                                 {"id": event.aggregate_id, "v": event.aggregate_version})
            case OrderPlaced(order=order) | OrderUpdated(order=order):
                await self.mirror.write_rows(tx, "orders", ref, [(event.aggregate_id, order.external_id,
                                             event.aggregate_version, fingerprint(order), order.model_dump_json(), order.placed_at)])

    async def reset(self, tx: AsyncConnection) -> None:
        await tx.execute(text(f"TRUNCATE {self.s}.products, {self.s}.orders"))


def projections(schema: str) -> list:
    return [lambda: MirrorProjection(schema)]
