"""The scheduler of periodic syncs: every connected store gets an incremental sync when its
last one is older than `incremental_sync_every_seconds` (webhooks can be lost: WooCommerce
drops failed deliveries, and any platform may disable a subscription)."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from adly_catalog.adapters.container import Adapters
from adly_catalog.domain.sync import changes_since
from adly_events.contracts.catalog import SyncKind

log = logging.getLogger(__name__)
_LOCK = 0x63617461  # "cata": one scheduler at a time across catalog processes


async def queue_due_syncs(a: Adapters, now: datetime | None = None) -> int:
    now = now or datetime.now(UTC)
    due_before = now - timedelta(seconds=a.settings.incremental_sync_every_seconds)
    queued = 0
    async with a.engine.begin() as tx:
        if not (await tx.execute(text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": _LOCK})).scalar():
            return 0
        for store in await a.stores.connected(tx):
            if store.last_synced_at is None or store.last_synced_at > due_before:
                continue  # never synced: its first full sync is queued at connection
            _, new = await a.syncs.queue(tx, store.id, store.workspace_id, SyncKind.INCREMENTAL,
                                         changes_since(store.last_synced_at), None)
            queued += new
    return queued


async def run_scheduler(a: Adapters) -> None:
    while True:
        try:
            await queue_due_syncs(a)
        except Exception:  # noqa: BLE001 - a failed round is retried at the next one
            log.exception("scheduling syncs failed")
        await asyncio.sleep(min(60.0, a.settings.incremental_sync_every_seconds))
