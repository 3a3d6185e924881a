"""Disconnecting a store: by the merchant, by the platform telling us the app was
uninstalled, or because its workspace was deleted. Credentials are deleted, running syncs
stop, StoreDisconnected is recorded: all in the edge's transaction."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from adly_catalog.adapters.container import Adapters
from adly_catalog.domain import store as store_rules
from adly_catalog.domain.platform import Credentials
from adly_catalog.domain.store import Store
from adly_events.contracts.catalog import DisconnectReason

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Disconnected:
    """A store as it was before disconnecting, with what it takes to drop its webhooks."""

    store: Store
    credentials: Credentials | None


async def disconnect(tx: AsyncConnection, a: Adapters, store_id: UUID, reason: DisconnectReason, *,
                     unsubscribing: bool = False, causation_id: UUID | None = None,
                     correlation_id: UUID | None = None) -> Disconnected | None:
    """Idempotent: disconnecting a disconnected store changes nothing (None). `unsubscribing`
    keeps the credentials (read before they are deleted) for `unsubscribe` after the commit."""
    current = await a.stores.get(tx, store_id, for_update=True)
    try:
        event = store_rules.disconnect_store(current.state if current else None, reason)
    except store_rules.StoreNotConnected:
        return None
    assert current is not None  # the rule refuses a missing store
    credentials = None
    if unsubscribing and current.webhook_ids:
        credentials = await a.vault.load(tx, current.workspace_id, current.id)
    await a.syncs.cancel_of_store(tx, current.id)
    await a.stores.record_disconnected(tx, current, event, causation_id=causation_id, correlation_id=correlation_id)
    return Disconnected(current, credentials)


async def unsubscribe(a: Adapters, gone: Disconnected | None) -> None:
    """Best effort, once the disconnection committed: it never depends on the platform answering."""
    if gone is None or gone.credentials is None or not gone.store.webhook_ids:
        return
    store = gone.store
    try:
        await a.platforms[store.platform].connecting.unsubscribe_webhooks(store.address, gone.credentials,
                                                                          store.webhook_ids)
    except Exception as error:  # noqa: BLE001 - the store is disconnected whatever the platform says
        log.warning("webhook unsubscribe failed", extra={"store": str(store.id), "error": type(error).__name__})


async def disconnect_workspace(tx: AsyncConnection, a: Adapters, workspace_id: UUID, *,
                               causation_id: UUID | None = None, correlation_id: UUID | None = None) -> int:
    """A deleted workspace keeps no store connection. Webhook subscriptions are left to lapse:
    deliveries to a disconnected store are refused. Returns how many were disconnected."""
    count = 0
    for store in await a.stores.of_workspace(tx, workspace_id):
        if store.connected and await disconnect(tx, a, store.id, DisconnectReason.MERCHANT, causation_id=causation_id,
                                                correlation_id=correlation_id):
            count += 1
    return count
