"""Disconnecting a store: by the merchant, or by the platform telling us the app was
uninstalled. Credentials are deleted, running syncs stop, StoreDisconnected is recorded."""

from __future__ import annotations

import logging

from adly_catalog.adapters.container import Adapters
from adly_catalog.adapters.stores import StoreRow
from adly_catalog.domain import store as store_rules
from adly_events.contracts.catalog import DisconnectReason

log = logging.getLogger(__name__)


async def disconnect(a: Adapters, store: StoreRow, reason: DisconnectReason) -> None:
    """Idempotent: disconnecting a disconnected store changes nothing."""
    if reason is DisconnectReason.MERCHANT:
        await _unsubscribe(a, store)  # after an uninstall the platform dropped them, and our token with them
    async with a.engine.begin() as tx:
        current = await a.stores.get(tx, store.id, for_update=True)
        try:
            event = store_rules.disconnect(current.state if current else None, reason)
        except store_rules.StoreNotConnected:
            return
        await a.syncs.cancel_of_store(tx, store.id)
        await a.stores.record_disconnected(tx, current, event)


async def _unsubscribe(a: Adapters, store: StoreRow) -> None:
    if not store.webhook_ids:
        return
    try:
        async with a.engine.connect() as conn:
            credentials = await a.vault.load(conn, store.workspace_id, store.id)
        if credentials is not None:
            await a.platforms[store.platform].unsubscribe_webhooks(store.address, credentials, store.webhook_ids)
    except Exception as error:  # noqa: BLE001 - disconnecting must not depend on the platform answering
        log.warning("webhook unsubscribe failed", extra={"store": str(store.id), "error": type(error).__name__})
