"""Periodic syncs: every connected store gets an incremental sync when its last one is
older than `incremental_sync_every_seconds` (webhooks can be lost: WooCommerce drops failed
deliveries, and any platform may disable a subscription)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncConnection

from adly_catalog.adapters.container import Adapters
from adly_catalog.domain.sync import changes_since
from adly_events.contracts.catalog import SyncKind


async def queue_due_syncs(tx: AsyncConnection, a: Adapters, now: datetime) -> int:
    """Queue the syncs due at `now`; 0 when another process is scheduling meanwhile."""
    if not await a.syncs.lock_scheduling(tx):
        return 0
    due_before = now - timedelta(seconds=a.settings.incremental_sync_every_seconds)
    queued = 0
    for store in await a.stores.connected(tx):
        if store.last_synced_at is None or store.last_synced_at > due_before:
            continue  # never synced: its first full sync is queued at connection
        _, new = await a.syncs.queue(tx, store.id, store.workspace_id, SyncKind.INCREMENTAL,
                                     changes_since(store.last_synced_at), None)
        queued += new
    return queued
