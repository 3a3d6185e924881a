"""Subscriptions of the catalog to other contexts' events, each under its own consumer group."""

from __future__ import annotations

from adly_catalog.adapters.container import Adapters
from adly_catalog.handlers import disconnecting
from adly_events.contracts.auth import WorkspaceDeleted
from adly_kit.service import Delivery, Subscription

deleted_workspaces = Subscription("deleted-workspaces")


@deleted_workspaces.on(WorkspaceDeleted)
async def disconnect_stores(event: WorkspaceDeleted, delivery: Delivery[Adapters]) -> None:
    """A deleted workspace keeps no store connection, in the consumer's transaction."""
    envelope = delivery.envelope
    await disconnecting.disconnect_workspace(delivery.tx, delivery.adapters, envelope.aggregate_id,
                                             causation_id=envelope.event_id, correlation_id=envelope.correlation_id)
