"""The edge's part in connecting a store: the transactions, and the platform's answers waited
for between them, never inside one (docs/ARCHITECTURE-SHAPE.md, "the edge owns the transaction")."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from uuid import UUID

from adly_catalog.adapters.container import Adapters
from adly_catalog.domain.errors import ConnectionRefused
from adly_catalog.domain.platform import Credentials, PlatformError
from adly_catalog.domain.ports import Grant, PendingConnection
from adly_catalog.domain.store import Store
from adly_catalog.handlers import connecting
from adly_events.contracts.catalog import StorePlatform
from adly_kit.db import unit_of_work

log = logging.getLogger(__name__)


async def connect_store(a: Adapters, workspace_id: UUID, platform: StorePlatform, grant: Grant,
                        user_id: UUID | None) -> Store:
    """StoreConnected and the sealed credentials; then the webhooks (the platform's answer);
    then the webhook ids and the first full sync."""
    async with unit_of_work(a.engine) as tx:
        connection = await connecting.record_connection(tx, a, workspace_id, platform, grant, user_id)
    webhook_ids = await connecting.subscribe_webhooks(a, connection)
    async with unit_of_work(a.engine) as tx:
        return await connecting.start_syncing(tx, a, connection, webhook_ids, user_id)


async def connect_by_callback(a: Adapters, platform: StorePlatform, query: Mapping[str, str]) -> Store:
    """The platform sent the merchant back with a code: spend the state, exchange the code, connect."""
    async with unit_of_work(a.engine) as tx:
        pending = await connecting.spend_state(tx, a, platform, query)
    grant = await connecting.exchange(a, platform, query, pending)
    return await connect_store(a, pending.workspace_id, platform, grant, pending.requested_by)


async def connect_sent_keys(a: Adapters, pending: PendingConnection, credentials: Credentials) -> Store | None:
    """After WooCommerce's key delivery was answered: the keys checked against the store, then
    connected. Nobody waits for this answer, so a refusal is logged."""
    try:
        grant = await connecting.grant_from_sent_keys(a, pending, credentials)
        return await connect_store(a, pending.workspace_id, pending.platform, grant, pending.requested_by)
    except (ConnectionRefused, PlatformError) as error:
        log.warning("woocommerce connection failed after authorization", extra={"reason": type(error).__name__})
        return None
