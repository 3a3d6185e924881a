"""Subscriptions of the catalog service to event topics, each under its own consumer group."""

from __future__ import annotations

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncConnection

from adly_catalog.adapters.stores import StoreRepository
from adly_catalog.adapters.syncs import SyncRepository
from adly_catalog.domain import store as store_rules
from adly_events import CATALOG, EventEnvelope
from adly_events.contracts.auth import WorkspaceDeleted
from adly_events.contracts.catalog import DisconnectReason
from adly_events.topics import topic_for
from adly_kit.eventstore import EventStore
from adly_kit.service import Subscription


def deleted_workspaces(schema: str) -> Subscription:
    """A deleted workspace keeps no store connection: each of its stores is disconnected
    (credentials deleted, syncs stopped, StoreDisconnected) in the consumer's transaction.
    Webhook subscriptions are left to lapse: deliveries to a disconnected store are refused."""
    events = EventStore(schema, CATALOG)
    stores, syncs = StoreRepository(events), SyncRepository(events)

    async def handle(tx: AsyncConnection, envelope: EventEnvelope, payload: BaseModel) -> None:
        if not isinstance(payload, WorkspaceDeleted):
            return
        for store in await stores.of_workspace(tx, envelope.aggregate_id):
            if store.status != "connected":
                continue
            event = store_rules.disconnect(store.state, DisconnectReason.MERCHANT)
            await syncs.cancel_of_store(tx, store.id)
            await stores.record_disconnected(tx, store, event)

    return Subscription("deleted-workspaces", [topic_for("auth", "workspace")], handle)

